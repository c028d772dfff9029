"""The transcoder's records and content addressing: where a job's outputs live
(``content/{h[0:2]}/{h[2:4]}/{h}/``) and what a stored output looks like. Pure; storage adapters
import this, never the reverse. The optimized-version presets are records too (re-exported from
:mod:`.presets`)."""

from __future__ import annotations

from dataclasses import dataclass

from viewra.common.content_address import content_key
from viewra.transcoding.presets import BUILT_IN_PRESETS, Preset, PresetKind, check_names, preset

__all__ = [
    "BUILT_IN_PRESETS",
    "CONTENT_PREFIX",
    "MANIFEST",
    "Preset",
    "PresetKind",
    "StoredObject",
    "check_names",
    "job_prefix",
    "output_key",
    "preset",
]

CONTENT_PREFIX = "content"
MANIFEST = "manifest.json"  # written last: its presence means the output is complete


def job_prefix(h: str) -> str:
    """The folder of one content hash's outputs."""
    return content_key(CONTENT_PREFIX, h)


def output_key(h: str, name: str) -> str:
    """The key of one output file of a content hash."""
    return content_key(CONTENT_PREFIX, h, name)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: str

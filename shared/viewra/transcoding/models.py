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
    "subtitle_message",
]

CONTENT_PREFIX = "content"
MANIFEST = "manifest.json"  # written last: its presence means the output is complete


SUBTITLE_MESSAGE_TYPE = "subtitles"  # a transcode-queue message: extract subtitle streams
SUBTITLE_PREFIX = "subtitles/"  # where extracted subtitles live in the content bucket
FAILED_SUFFIX = ".failed"  # beside an output that could not be made: the reason
VTT_CONTENT_TYPE = "text/vtt; charset=utf-8"


def subtitle_message(
    bucket: str, key: str, etag: str, outputs: dict[int, str]
) -> dict[str, object]:
    """Ask a worker to extract the subtitle streams ``{index: output key}`` of the source (the
    version ``etag``) as WebVTT (see :mod:`viewra.transcoding.subtitle_extract`)."""
    return {
        "type": SUBTITLE_MESSAGE_TYPE,
        "bucket": bucket,
        "key": key,
        "etag": etag,
        "outputs": {str(i): k for i, k in sorted(outputs.items())},
    }


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

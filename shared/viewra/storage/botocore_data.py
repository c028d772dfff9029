"""One botocore data loader per process, shared by every botocore session (ours and PynamoDB's).

Why: botocore gives each session its own loader, and each loader parses ``endpoints.json``,
``partitions.json`` and the service's model from disk again (~0.1 s of JSON per session).
PynamoDB opens a session per table model, so building the services for one ``Settings`` parsed
the same files 15+ times: ~2.5 s of a Lambda cold start, and most of a functional test's set-up
(each test has its own table names, so its own models and sessions). The files are read-only
package data and a loader only caches what it parsed, so sessions can share one.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.loaders
import botocore.session

_lock = threading.Lock()
_loaders: dict[str | None, Any] = {}


class _SearchPaths(list):
    """A loader's search paths, each kept once: every boto3 ``Session`` appends boto3's own data
    directory to its loader's paths, which for a shared loader would grow without end."""

    def append(self, path: Any) -> None:
        if path not in self:
            super().append(path)


def _shared_loader(search_path_string: str | None = None, **kwargs: Any) -> Any:
    """botocore's ``create_loader``, one loader per search path (``AWS_DATA_PATH``) and process."""
    if kwargs:  # a caller botocore does not make today: keep botocore's behaviour
        return botocore.loaders.create_loader(search_path_string, **kwargs)
    with _lock:
        loader = _loaders.get(search_path_string)
        if loader is None:
            loader = botocore.loaders.create_loader(search_path_string)
            loader._search_paths = _SearchPaths(loader.search_paths)
            _loaders[search_path_string] = loader
        return loader


def share_botocore_data() -> None:
    """Make botocore sessions created from now on share a loader (idempotent).

    ``botocore.session.Session`` registers its loader as ``create_loader(data_path)``, looked up
    in ``botocore.session`` when the session first needs it, so that is the name replaced."""
    if botocore.session.create_loader is not _shared_loader:
        botocore.session.create_loader = _shared_loader

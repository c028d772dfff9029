"""S3 listings of a prefix read the keys under it, as S3's do, not every key of the bucket.

moto 5.2 answers ``ListObjects(V2)`` by walking every key of the bucket (``bucket.keys.items()``,
which first copies the whole store) and keeping those that start with the prefix: the scan's
sidecar look-up lists a file's folder, so each file of a 10,000-file drop cost ~28 ms of the
emulator's CPU against ~0.7 ms at 1,000 (a scan that slowed down as the bucket grew). Here each
bucket's key store keeps its names sorted as keys are added and removed, and a listing with a
prefix hands moto's own ``list_objects`` a window of just the keys under it; delimiters,
markers, truncation and the answer stay moto's code. ``VIEWRA_MOTO_VERIFY=1`` answers both ways
and fails on any difference. Imports only moto (no Viewra storage code).
"""

from __future__ import annotations

import bisect
import functools
import os
import threading
from typing import Any

_NAMES = "_viewra_names"  # per key store: its key names, sorted
_LOCK = threading.Lock()  # keeps each store's names and its dict in step


def _names(store: Any) -> list[str]:
    """The store's sorted names, rebuilt when they no longer match it (a change this module did
    not see: the check is a length comparison, so a missed add or remove is always caught)."""
    names = store.__dict__.get(_NAMES)
    if names is None or len(names) != dict.__len__(store):
        names = sorted(dict.keys(store))
        store.__dict__[_NAMES] = names
    return names


def _added(store: Any, key: str) -> None:
    names = store.__dict__.get(_NAMES)
    if names is None:
        return
    at = bisect.bisect_left(names, key)
    if at == len(names) or names[at] != key:
        names.insert(at, key)


def _removed(store: Any, key: str) -> None:
    names = store.__dict__.get(_NAMES)
    if names is None:
        return
    at = bisect.bisect_left(names, key)
    if at < len(names) and names[at] == key:
        del names[at]


class _Window:
    """What moto's ``list_objects`` reads of a bucket: here, only the keys under a prefix."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys


def _under(store: Any, prefix: str) -> dict[str, Any]:
    with _LOCK:
        names = _names(store)
        start = bisect.bisect_left(names, prefix)
        stop = start
        while stop < len(names) and names[stop].startswith(prefix):
            stop += 1
        window = names[start:stop]
    found = {}
    for name in window:
        versions = store.getlist(name)
        if versions:
            found[name] = versions[-1]
    return found


def index_s3_listings() -> None:
    """Apply the patch in this process (idempotent)."""
    from moto.s3.models import FakeTableStorageBucket, S3Backend
    from moto.s3.utils import _VersionedKeyStore

    if getattr(S3Backend.list_objects, "_viewra_indexed", False):
        return
    setitem, setlist, pop = (
        _VersionedKeyStore.__setitem__,
        _VersionedKeyStore.setlist,
        _VersionedKeyStore.pop,
    )

    def __setitem__(self: Any, key: str, value: Any) -> Any:
        with _LOCK:
            setitem(self, key, value)
            _added(self, key)

    def set_list(self: Any, key: Any, list_: Any) -> Any:
        with _LOCK:
            setlist(self, key, list_)
            _added(self, key)

    def pop_(self: Any, key: str) -> None:
        with _LOCK:
            try:
                pop(self, key)
            finally:
                if not dict.__contains__(self, key):
                    _removed(self, key)

    def __delitem__(self: Any, key: str) -> None:
        with _LOCK:
            dict.__delitem__(self, key)
            _removed(self, key)

    _VersionedKeyStore.__setitem__ = __setitem__  # type: ignore[method-assign]
    _VersionedKeyStore.setlist = set_list  # type: ignore[method-assign]
    _VersionedKeyStore.pop = pop_  # type: ignore[method-assign,assignment]
    _VersionedKeyStore.__delitem__ = __delitem__  # type: ignore[method-assign]

    list_objects = S3Backend.list_objects

    @functools.wraps(list_objects)
    def indexed(self: Any, bucket: Any, prefix: str | None, *args: Any, **kwargs: Any) -> Any:
        if not prefix or isinstance(bucket, FakeTableStorageBucket):
            return list_objects(self, bucket, prefix, *args, **kwargs)
        answer = list_objects(self, _Window(_under(bucket.keys, prefix)), prefix, *args, **kwargs)
        if os.environ.get("VIEWRA_MOTO_VERIFY") == "1":
            expected = list_objects(self, bucket, prefix, *args, **kwargs)
            if _comparable(answer) != _comparable(expected):
                raise AssertionError(f"ListObjects {prefix!r}: {answer} != {expected}")
        return answer

    indexed._viewra_indexed = True  # type: ignore[attr-defined]
    S3Backend.list_objects = indexed  # type: ignore[method-assign]


def _comparable(answer: tuple[Any, ...]) -> tuple[Any, ...]:
    keys, folders, truncated, marker = answer
    return [k.name for k in keys], list(folders), truncated, marker

"""A small cache interface for enrichment answers, so a rescan does not ask the services again.

Values are JSON-shaped dicts (what the services answered), so the DynamoDB one
(:mod:`viewra.storage.enrich_cache`) stores them as they are. Each process keeps a memory cache
in front of that shared table (:class:`LayeredCache`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol


class Cache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None: ...


class MemoryCache:
    """A dict with expiry; bounded by ``max_entries`` (oldest insertion evicted first)."""

    def __init__(
        self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._data: dict[str, tuple[float, dict[str, Any]]] = {}
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            expires, value = hit
            if self._clock() >= expires:
                del self._data[key]
                return None
            return value

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        with self._lock:
            self._data.pop(key, None)
            if len(self._data) >= self._max:
                del self._data[next(iter(self._data))]
            self._data[key] = (self._clock() + ttl, value)


REFILL_TTL = 3600.0  # s an answer read from the shared cache stays in the process's memory


class LayeredCache:
    """A fast cache in front of a shared one: read the first, then the second (and keep what it
    had in the first); write both."""

    def __init__(self, first: Cache, second: Cache) -> None:
        self.first, self.second = first, second

    def get(self, key: str) -> dict[str, Any] | None:
        value = self.first.get(key)
        if value is None:
            value = self.second.get(key)
            if value is not None:
                self.first.set(key, value, REFILL_TTL)
        return value

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self.first.set(key, value, ttl)
        self.second.set(key, value, ttl)

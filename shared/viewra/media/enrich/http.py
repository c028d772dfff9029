"""GET JSON from a web service politely: rate-limited, cached, retried with backoff.

Every enrichment client goes through :class:`JsonApi`, so the rules live in one place: a
User-Agent on every request (MusicBrainz refuses anonymous clients), the limiter before every
attempt (retries count too), 429 and 5xx retried with exponential backoff (or the server's
``Retry-After``, capped), 404 cached as "not found", anything else an :class:`EnrichError`.
Secrets (the TMDB key) never enter cache keys or log lines.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from viewra.common.logs import logger
from viewra.media.enrich.cache import Cache, MemoryCache
from viewra.media.enrich.ratelimit import RateLimiter

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NOT_FOUND = {"__not_found__": True}


class EnrichError(RuntimeError):
    """A service could not answer (after retries) or answered something unusable."""


class JsonApi:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        user_agent: str,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        cache: Cache | None = None,
        cache_ttl: float = 7 * 24 * 3600,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.limiter = limiter
        self.cache = cache if cache is not None else MemoryCache()
        self.cache_ttl = cache_ttl
        self._secret_params = dict(params or {})
        self._headers = {"User-Agent": user_agent, "Accept": "application/json", **(headers or {})}
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self._sleep = sleep

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The JSON object at ``path``, or None when the service says 404."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        key = self._cache_key(path, query)
        cached = self.cache.get(key)
        if cached is not None:
            return None if cached == _NOT_FOUND else cached
        value = self._fetch(path, {**query, **self._secret_params})
        self.cache.set(key, _NOT_FOUND if value is None else value, self.cache_ttl)
        return value

    def _fetch(self, path: str, query: dict[str, str]) -> dict[str, Any] | None:
        url = f"{self.base_url}/{path.lstrip('/')}"
        for attempt in range(self.retries + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            try:
                resp = self.session.get(
                    url, params=query, headers=self._headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                status, reason, wait = None, f"{type(exc).__name__}", None
            else:
                if resp.status_code == 404:
                    return None
                if resp.ok:
                    return _json_object(resp, self.name, path)
                status, reason = resp.status_code, resp.reason
                wait = _retry_after(resp.headers.get("Retry-After"))
                if status not in RETRY_STATUSES:
                    raise EnrichError(f"{self.name} {path}: HTTP {status} {reason}")
            if attempt == self.retries:
                raise EnrichError(
                    f"{self.name} {path}: gave up after {attempt + 1} tries ({status or reason})"
                )
            delay = min(self.max_backoff, wait if wait is not None else self.backoff * 2**attempt)
            logger.info(
                "retrying",
                extra={"service": self.name, "path": path, "status": status, "delay": delay},
            )
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _cache_key(self, path: str, query: dict[str, str]) -> str:
        canonical = json.dumps([self.base_url, path, sorted(query.items())])
        return f"{self.name}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def _json_object(resp: requests.Response, name: str, path: str) -> dict[str, Any]:
    try:
        value = resp.json()
    except ValueError as exc:
        raise EnrichError(f"{name} {path}: not JSON") from exc
    if not isinstance(value, dict):
        raise EnrichError(f"{name} {path}: not a JSON object")
    return value


def _retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff

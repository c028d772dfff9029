"""The transcoding module's face: what the handlers and the other modules may call. Behind the
API: pre-transcode requests, job status and cancel, output playlists, the content cache and the
provider list; for the transcode function, the worker; for playback, the session port."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from viewra.common.errors import BadRequest, NotFound, Unprocessable
from viewra.common.identifiers import ItemId
from viewra.media.models.items import ItemStatus, MediaItem, OptimizedVersion
from viewra.transcoding import jobs, playlists, seek
from viewra.transcoding.command import MP4_FILE
from viewra.transcoding.context import TranscodeLimits, Transcoder
from viewra.transcoding.fanout import handle_message as run_transcode_message
from viewra.transcoding.for_playback import QueueTranscoder, output_url, request_for_item
from viewra.transcoding.jobs import CacheEntry, Job, RequestResult
from viewra.transcoding.models import BUILT_IN_PRESETS
from viewra.transcoding.optimized import OptimizedVersions
from viewra.transcoding.params import TranscodeParams
from viewra.transcoding.providers import BUILT_IN, FfmpegFacts, Registry
from viewra.transcoding.worker import Heartbeat


class ItemLookup(Protocol):
    def get(self, item_id: str) -> MediaItem | None: ...


class Services(Protocol):
    """What this service is handed (by :mod:`viewra.bootstrap`); read-only from here."""

    @property
    def catalog(self) -> ItemLookup: ...
    @property
    def transcode(self) -> Transcoder: ...


_HASH_CHARS = set("0123456789abcdef")


class TranscodeRequest(TranscodeParams):
    """``POST /transcodes``: an item and the output wanted (an "optimized version")."""

    item_id: ItemId


class EvictRequest(BaseModel):
    """``POST /transcode/cache/evict``: the byte budget to evict down to (the configured one
    when absent)."""

    model_config = ConfigDict(extra="forbid")

    budget_bytes: int | None = Field(default=None, ge=0, le=2**62)


def _hash(h: str) -> str:
    if len(h) != 64 or not set(h) <= _HASH_CHARS:
        raise BadRequest("a transcode id is a SHA-256 in lower-case hex", code="InvalidId")
    return h


def create(services: Services, request: TranscodeRequest, base_url: str) -> dict[str, Any]:
    item = services.catalog.get(request.item_id)
    if item is None or item.status is ItemStatus.REMOVED:
        raise NotFound(f"item {request.item_id!r} does not exist")
    if item.status is not ItemStatus.READY:
        raise Unprocessable(f"item {request.item_id!r} is not playable", code="NotPlayable")
    params = TranscodeParams.model_validate(request.model_dump(exclude={"item_id"}))
    result = request_for_item(services.transcode, item, params)
    body = result.model_dump(mode="json")
    body["url"] = output_url(base_url, result.h, params)
    return body


def get(services: Services, h: str) -> dict[str, Any]:
    return jobs.get_job(services.transcode, _hash(h)).model_dump(mode="json")


def cancel(services: Services, h: str) -> dict[str, Any]:
    return jobs.cancel_job(services.transcode, _hash(h)).model_dump(mode="json")


def output(services: Services, h: str, name: str, base_url: str) -> tuple[str, str]:
    """("playlist", text) for the HLS playlists, ("redirect", URL) for a progressive MP4."""
    tc = services.transcode
    h = _hash(h)
    if name == MP4_FILE:
        return "redirect", playlists.mp4_url(tc, h)
    if name not in playlists.PLAYLISTS:
        raise NotFound(f"no output {name!r}")
    return "playlist", playlists.render(tc, h, name, f"{base_url.rstrip('/')}/transcodes/{h}")


def segment(services: Services, h: str, name: str) -> str:
    """A presigned URL of one segment, once it is up (a seek into a fanned-out job moves the
    segment's chunk ahead and waits for it: :mod:`viewra.transcoding.seek`)."""
    return seek.segment_url(services.transcode, _hash(h), name)


def cache(services: Services) -> dict[str, Any]:
    entries = jobs.list_content(services.transcode)
    return {
        "entries": [e.model_dump(mode="json") for e in entries],
        "total_bytes": sum(e.size for e in entries),
        "budget_bytes": services.transcode.limits.cache_budget_bytes,
    }


def evict_one(services: Services, h: str) -> dict[str, Any]:
    return {"h": h, "freed_bytes": jobs.evict(services.transcode, _hash(h))}


def evict_to_budget(services: Services, budget: int | None) -> dict[str, Any]:
    if budget is not None and (not isinstance(budget, int) or budget < 0):
        raise Unprocessable("budget_bytes: a whole number of bytes, 0 or more")
    limit = services.transcode.limits.cache_budget_bytes if budget is None else budget
    return {"evicted": jobs.evict_lru(services.transcode, limit), "budget_bytes": limit}


def presets() -> list[dict[str, Any]]:
    """The built-in optimized-version presets a library may name."""
    return [p.model_dump(mode="json") for p in BUILT_IN_PRESETS.values()]


def version_states(
    services: Services, versions: list[dict[str, Any]], base_url: str
) -> list[dict[str, Any]]:
    """An item's optimized versions (as its JSON lists them) with their jobs' states."""
    rows = [OptimizedVersion.model_validate(v) for v in versions]
    return OptimizedVersions(services.transcode).states(rows, base_url)


def providers(services: Services) -> list[dict[str, Any]]:
    return [row.to_dict() for row in services.transcode.registry.describe()]


__all__ = [
    "BUILT_IN",
    "CacheEntry",
    "FfmpegFacts",
    "Heartbeat",
    "Job",
    "OptimizedVersions",
    "QueueTranscoder",
    "Registry",
    "RequestResult",
    "Services",
    "TranscodeLimits",
    "TranscodeRequest",
    "Transcoder",
    "cache",
    "cancel",
    "create",
    "evict_one",
    "evict_to_budget",
    "get",
    "output",
    "presets",
    "providers",
    "run_transcode_message",
    "segment",
    "version_states",
]

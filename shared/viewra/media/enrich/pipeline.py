"""Enrichment behind its queue: after a scan adds or updates an item, ask TMDB or MusicBrainz.

The enrich queue is subscribed to the event topic for ItemAdded and ItemUpdated, so enrichment
never blocks a scan. What the file and its path said wins; enrichment fills the gaps (overview,
genres, a missing year). A service that fails makes the message fail, so the queue retries it
later (and, past maxReceiveCount, dead-letters it); a service without a key is simply off.
Enriching writes the item without publishing ItemUpdated, or it would enrich itself forever.
An item without artwork of its own gets the poster or cover its metadata names, fetched from the
services' image hosts only (:mod:`viewra.media.enrich.artwork`) and stored like local artwork.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from viewra.common.errors import PoisonMessage
from viewra.common.events import Event, ItemAdded
from viewra.common.logs import logger
from viewra.common.settings import Settings
from viewra.media.enrich.artwork import ArtworkFetcher
from viewra.media.enrich.cache import Cache, LayeredCache, MemoryCache
from viewra.media.enrich.core import Clients, enrich_item
from viewra.media.enrich.musicbrainz import MusicBrainzClient
from viewra.media.enrich.tmdb import TmdbClient
from viewra.media.models.items import ItemMetadata, ItemStatus
from viewra.media.scan_pipeline import store_artwork

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices as Services


class EnrichmentFailed(RuntimeError):
    """A service failed: the message is retried later through the queue."""


def clients_for(settings: Settings, shared: Cache | None = None) -> Clients:
    """One client per service per process, so its rate limit and cache hold across messages.

    ``shared``: a cache every process reads (the enrichment cache table), behind each client's
    own memory, so a rescan or another sandbox does not ask a service again."""

    def cache() -> Cache:
        return MemoryCache() if shared is None else LayeredCache(MemoryCache(), shared)

    tmdb = TmdbClient(
        settings.tmdb_api_key or None,
        base_url=settings.tmdb_base_url,
        image_base_url=settings.tmdb_image_base_url,
        user_agent=settings.user_agent,
        cache=cache(),
    )
    musicbrainz = None
    if settings.musicbrainz_enabled:
        musicbrainz = MusicBrainzClient(
            user_agent=settings.user_agent,
            base_url=settings.musicbrainz_base_url,
            cover_art_url=settings.coverart_base_url,
            cache=cache(),
        )
    images = {settings.tmdb_image_base_url, settings.coverart_base_url}
    artwork = ArtworkFetcher(
        hosts=frozenset(h for h in (urlsplit(u).hostname for u in images) if h),
        user_agent=settings.user_agent,
    )
    return Clients(tmdb=tmdb if tmdb.enabled else None, musicbrainz=musicbrainz, artwork=artwork)


def _remote_artwork(
    services: Services, fetcher: ArtworkFetcher, metadata: ItemMetadata | None
) -> str | None:
    """The poster (or cover) the metadata names, fetched and stored like local artwork; None
    when there is none or it cannot be had (the next enrichment of the item tries again)."""
    url = metadata and (metadata.poster_url or metadata.cover_url)
    fetched = fetcher.fetch(url) if url else None
    return store_artwork(services, *fetched) if fetched else None


def enrich_delivery(services: Services, body: str) -> bool:
    """One ItemAdded/ItemUpdated delivery; True if the item changed."""
    try:
        payload = Event.model_validate(json.loads(body)).payload()
    except ValueError as exc:
        raise PoisonMessage(f"not an event: {exc}") from exc
    if not isinstance(payload, ItemAdded):  # ItemUpdated is one too
        return False
    clients = services.enrich_clients()
    if clients.tmdb is None and clients.musicbrainz is None:
        return False  # no source enabled: nothing to look up, so no need to read the item
    item = services.catalog.get(payload.item_id)
    if item is None or item.status is not ItemStatus.READY:
        return False
    found = enrich_item(item, clients)
    if found.errors:
        raise EnrichmentFailed("; ".join(found.errors))
    updates = found.item_updates(item)
    if found.overview and not item.overview:
        updates["overview"] = found.overview
    if not item.artwork_key and clients.artwork is not None:
        art = _remote_artwork(services, clients.artwork, updates.get("metadata") or item.metadata)
        if art:
            updates["artwork_key"] = art
    if not updates:
        return False
    changed = services.catalog.amend(item.model_copy(update=updates))
    logger.info(
        "item enriched",
        extra={
            "item_id": item.id,
            "fields": sorted(updates),
            "sources": found.sources,
            "written": changed,
        },
    )
    return changed

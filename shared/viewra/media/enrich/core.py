"""``enrich_item``: ask the services that fit the item's kind, merge what they say.

Movies and episodes go to TMDB (episodes by their series), tracks to MusicBrainz. A service that
fails is recorded in ``errors`` and the rest of the result stands: enrichment is an extra, never
a reason to fail an item.
"""

from __future__ import annotations

from dataclasses import dataclass

from viewra.common.logs import logger
from viewra.media.enrich.artwork import ArtworkFetcher
from viewra.media.enrich.http import EnrichError
from viewra.media.enrich.models import Enrichment
from viewra.media.enrich.musicbrainz import MusicBrainzClient
from viewra.media.enrich.tmdb import TmdbClient
from viewra.media.models.items import ItemKind, MediaItem


@dataclass(frozen=True)
class Clients:
    tmdb: TmdbClient | None = None
    musicbrainz: MusicBrainzClient | None = None
    artwork: ArtworkFetcher | None = None  # the services' image hosts, for remote artwork


def enrich_item(item: MediaItem, clients: Clients) -> Enrichment:
    try:
        found = _lookup(item, clients)
    except EnrichError as exc:
        logger.warning("enrichment failed", extra={"item_id": item.id, "error": str(exc)})
        return Enrichment(errors=[str(exc)])
    return found or Enrichment()


def _lookup(item: MediaItem, clients: Clients) -> Enrichment | None:
    if item.kind is ItemKind.MOVIE and clients.tmdb and item.title:
        return clients.tmdb.movie(item.title, item.year)
    if item.kind is ItemKind.EPISODE and clients.tmdb and (item.series or item.title):
        return clients.tmdb.series(item.series or item.title or "", None)
    if item.kind is ItemKind.TRACK and clients.musicbrainz and item.title:
        return clients.musicbrainz.track(item.title, item.artist or item.album_artist, item.album)
    return None

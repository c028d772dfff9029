"""Sidecars in the scan: what lies beside a video adds to its item.

External subtitles (``Movie.en.srt``, ``Movie.eng.forced.srt``…) become subtitle streams marked
``external``; an NFO (``Movie.nfo``, ``movie.nfo``) fills title, year, genres, overview and the
item's metadata (cast, ids, ratings, tagline): local metadata overrides the file's, as in
Jellyfin, and enrichment only fills its gaps; ``poster.jpg``/``folder.jpg``/``Movie-poster.jpg``
becomes the artwork when the file embeds none. A sidecar dropped or replaced later refreshes the
videos of its folder.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING

from viewra.common.content_address import content_key
from viewra.common.logs import logger
from viewra.media.models.items import MediaItem
from viewra.media.scrapers.artwork import MAX_ARTWORK_BYTES
from viewra.media.scrapers.keys import folder
from viewra.media.scrapers.nfo import NfoError, read_nfo
from viewra.media.scrapers.sidecars import find_sidecars

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices as Services

SIDECAR_EXTENSIONS = frozenset(
    {".srt", ".vtt", ".ass", ".ssa", ".nfo", ".jpg", ".jpeg", ".png", ".webp", ".tbn"}
)
_MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".tbn": "image/jpeg",
}


class FolderListings:
    """Folder listings, kept a few seconds: a drop of many files in one folder lists it once per
    window instead of once per file (1,000 files in one folder made the scan list 1,000 keys a
    thousand times). A sidecar arriving or leaving forgets its folder, so the refresh it causes
    sees the change."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[float, list[str]]] = {}

    def keys(self, services: Services, bucket: str, where: str) -> list[str]:
        now = time.monotonic()
        with self._lock:
            found = self._seen.get((bucket, where))
            if found and now - found[0] < self._ttl:
                return found[1]
        keys = services.objects.list_folder(bucket, where)
        with self._lock:
            self._seen[(bucket, where)] = (now, keys)
            if len(self._seen) > 1000:  # old folders go; a listing is cheap to make again
                cutoff = now - self._ttl
                self._seen = {k: v for k, v in self._seen.items() if v[0] >= cutoff}
        return keys

    def forget(self, bucket: str, where: str) -> None:
        with self._lock:
            self._seen.pop((bucket, where), None)


LISTINGS = FolderListings()


def is_sidecar(key: str) -> bool:
    name = key.rsplit("/", 1)[-1].casefold()
    return "." in name and name[name.rindex(".") :] in SIDECAR_EXTENSIONS


def apply_sidecars(services: Services, item: MediaItem) -> MediaItem:
    """The item with its folder's sidecars applied (its own streams and tags kept)."""
    siblings = LISTINGS.keys(services, item.bucket, folder(item.key))
    found = find_sidecars(item.key, siblings, first_index=len(item.streams))
    update: dict[str, object] = {}
    if found.subtitles:
        update["streams"] = [*item.streams, *found.subtitles]
    if found.nfo_key:
        try:
            nfo = read_nfo(
                found.nfo_key, lambda k, n: services.objects.read_head(item.bucket, k, n)
            )
        except NfoError as exc:
            logger.warning("NFO not used", extra={"key": found.nfo_key, "reason": str(exc)})
        else:
            meta = nfo.metadata
            update.update(
                {
                    k: v
                    for k, v in {
                        "title": meta.title,
                        "year": meta.year,
                        "overview": meta.overview,
                    }.items()
                    if v
                }
            )
            if meta.genres:
                update["genres"] = meta.genres
            said = meta.item_metadata()  # cast, ids, ratings, tagline: the NFO's stand
            if said is not None:
                update["metadata"] = said.filled_from(item.metadata) if item.metadata else said
    poster = found.artwork.poster_key
    if poster and not item.artwork_key:
        data = services.objects.read_head(item.bucket, poster, MAX_ARTWORK_BYTES + 1)
        if len(data) <= MAX_ARTWORK_BYTES:
            ext = poster[poster.rindex(".") :].casefold()
            digest = hashlib.sha256(data).hexdigest()
            key = content_key("artwork", digest, f"poster{ext}")
            services.objects.put_content(key, data, _MIME.get(ext, "image/jpeg"))
            update["artwork_key"] = key
    return item.model_copy(update=update) if update else item

"""Artwork beside a video: the poster and the backdrop, chosen by Kodi/Jellyfin's names.

Most specific first: ``<video stem>-poster.jpg`` belongs to this video alone, ``poster.jpg`` to
the folder (one movie per folder), ``folder.jpg``/``cover.jpg`` are what music rippers and
Windows write. The same order for backdrops (``<stem>-fanart``, ``fanart``, ``backdrop``,
``background``).
"""

from __future__ import annotations

from pydantic import BaseModel

from viewra.media.scrapers.keys import basename, extension, folder, stem

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
MAX_ARTWORK_BYTES = 10 * 1024 * 1024  # a poster or cover larger than this is not stored
POSTER_NAMES = ("poster", "folder", "cover", "front", "movie")
BACKDROP_NAMES = ("fanart", "backdrop", "background", "art")


class Artwork(BaseModel):
    poster_key: str | None = None
    backdrop_key: str | None = None


def find_artwork(video_key: str, sibling_keys: list[str]) -> Artwork:
    where = folder(video_key)
    images: dict[str, list[str]] = {}
    for key in sibling_keys:
        if folder(key) == where and extension(key) in IMAGE_EXTENSIONS:
            images.setdefault(stem(basename(key)).casefold(), []).append(key)
    own = stem(video_key).casefold()
    return Artwork(
        poster_key=_first(images, [f"{own}-poster", f"{own}-cover", *POSTER_NAMES]),
        backdrop_key=_first(images, [f"{own}-fanart", f"{own}-backdrop", *BACKDROP_NAMES]),
    )


def _first(images: dict[str, list[str]], names: list[str]) -> str | None:
    for name in names:
        keys = images.get(name)
        if keys:
            # poster.jpg before poster.png: the order of IMAGE_EXTENSIONS, then the key
            return min(keys, key=lambda k: (IMAGE_EXTENSIONS.index(extension(k)), k))
    return None

"""Everything beside one video that describes it: NFO, show NFO, subtitles and artwork.

``find_sidecars`` is pure: it gets the video's key and the keys listed around it (its folder,
and for episodes its parent folders, where ``tvshow.nfo`` lives) and decides which are sidecars.
Reading is the caller's, through a bounded read function (see
:func:`viewra.media.scrapers.nfo.read_nfo`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from viewra.media.models.items import MediaStream
from viewra.media.scrapers.artwork import Artwork, find_artwork
from viewra.media.scrapers.keys import basename, folder, parent, stem
from viewra.media.scrapers.subtitles import subtitle_streams

# an NFO named for the video wins over the folder's (one movie per folder)
FOLDER_NFO_NAMES = ("movie.nfo",)
SHOW_NFO = "tvshow.nfo"


class Sidecars(BaseModel):
    nfo_key: str | None = None
    show_nfo_key: str | None = None  # tvshow.nfo in the folder or up to two folders above
    subtitles: list[MediaStream] = Field(default_factory=list)
    artwork: Artwork = Field(default_factory=Artwork)


def find_sidecars(video_key: str, sibling_keys: list[str], first_index: int = 0) -> Sidecars:
    """The sidecars of ``video_key`` among ``sibling_keys``; subtitle streams are indexed from
    ``first_index`` so they follow the embedded streams."""
    by_name = {(folder(k), basename(k).casefold()): k for k in sibling_keys}
    where = folder(video_key)
    nfo = by_name.get((where, stem(video_key).casefold() + ".nfo"))
    for name in FOLDER_NFO_NAMES:
        nfo = nfo or by_name.get((where, name))
    show = None
    for candidate in (where, parent(where), parent(parent(where))):
        show = show or by_name.get((candidate, SHOW_NFO))
        if not candidate:
            break
    return Sidecars(
        nfo_key=nfo,
        show_nfo_key=show,
        subtitles=subtitle_streams(video_key, sibling_keys, first_index),
        artwork=find_artwork(video_key, sibling_keys),
    )

"""Embedded tags and cover art: MediaInfo for everything, mutagen on top for music.

Why both: MediaInfo reads tags from every container it parses (MP4 ``ilst``, Matroska tags, ID3,
Vorbis comments) and hands over the cover picture, so video files need nothing else. For music,
where tags *are* the catalogue, mutagen is the better reader: it keeps multi-valued tags as lists
(several ARTIST or GENRE comments, which MediaInfo joins with " / ", so "AC/DC" and two artists
look alike; we take the first artist and every genre), maps ``albumartist`` (TPE2 / aART /
ALBUMARTIST) and ``tracknumber``/``discnumber`` ("3/12") one way for every format, resolves
ID3v1 numeric genres, and gives a CBR MP3 its real length (see ``read_with_mutagen``). It reads
through the same :class:`~viewra.media.probe.reader.BlockReader`, whose cache already holds the
blocks
MediaInfo fetched (tags sit at the start, or in the last block for ID3v1/APE), so it costs few or
no extra requests and stays inside the byte budget. A mutagen failure is not a probe failure:
MediaInfo's tags stand.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import mutagen

from viewra.media.models.items import Tags
from viewra.media.probe.mapping import Track, to_int

log = logging.getLogger(__name__)

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_GENRE_SPLIT = re.compile(r"\s*[/;,]\s*")
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
)


def year_from(value: object) -> int | None:
    """The first plausible year in a date tag: "1999", "2004-05-06", "UTC 2010-01-01 00:00:00"."""
    match = _YEAR.search(str(value)) if value else None
    return int(match.group(1)) if match else None


def split_genres(values: Iterable[object]) -> list[str]:
    """Genres split on ``/ ; ,``, stripped, de-duplicated case-insensitively, order kept."""
    seen: set[str] = set()
    genres: list[str] = []
    for value in values:
        for part in _GENRE_SPLIT.split(str(value or "")):
            name = part.strip()
            if name and name.lower() not in seen:
                seen.add(name.lower())
                genres.append(name)
    return genres


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def tags_from_mediainfo(general: Track) -> Tags:
    """Tags as MediaInfo's General track carries them, whatever the container."""
    return Tags(
        title=_text(general.title) or _text(general.track_name) or _text(general.movie_name),
        artist=_text(general.performer),
        album=_text(general.album),
        album_artist=_text(general.album_performer),
        track=to_int(general.track_name_position),
        disc=to_int(general.part_position) or to_int(general.part),
        year=year_from(general.recorded_date)
        or year_from(general.released_date)
        or year_from(general.original_released_date),
        genres=split_genres([general.genre] if general.genre else []),
    )


def _first(tags: Any, *keys: str) -> str | None:
    for key in keys:
        values = tags.get(key)
        if values:
            return _text(values[0] if isinstance(values, list) else values)
    return None


@dataclass(frozen=True)
class MutagenView:
    """What mutagen read: tags (None when the file has none) and the audio length in seconds."""

    tags: Tags | None
    duration: float | None


def read_with_mutagen(fileobj: IO[bytes]) -> MutagenView | None:
    """Tags and length through mutagen's "easy" interface; None when mutagen does not know it.

    The length matters for MP3: without a Xing/Info header MediaInfo at ``ParseSpeed=0`` times
    only the frames it parsed, while mutagen derives a CBR length from the object size.
    """
    try:
        audio = mutagen.File(fileobj, easy=True)
    except Exception as exc:  # mutagen raises many kinds; a bad tag must not fail the probe
        log.debug("mutagen could not read the file: %s", exc)
        return None
    if audio is None:
        return None
    length = getattr(audio.info, "length", None)
    duration = round(float(length), 3) if length else None
    return MutagenView(tags=_easy_tags(audio.tags) if audio.tags else None, duration=duration)


def _easy_tags(tags: Any) -> Tags:
    genres = tags.get("genre") or []
    return Tags(
        title=_first(tags, "title"),
        artist=_first(tags, "artist"),
        album=_first(tags, "album"),
        album_artist=_first(tags, "albumartist", "album artist", "album_artist"),
        track=to_int(_first(tags, "tracknumber", "track")),
        disc=to_int(_first(tags, "discnumber", "disc", "disk")),
        year=year_from(_first(tags, "date", "year", "originaldate")),
        genres=split_genres(genres if isinstance(genres, list) else [genres]),
    )


def merge_tags(primary: Tags | None, fallback: Tags) -> Tags:
    """Each field from ``primary`` when it has one, else from ``fallback``."""
    if primary is None:
        return fallback
    merged = {name: getattr(primary, name) or getattr(fallback, name) for name in Tags.model_fields}
    return Tags(**merged)


def sniff_image_mime(data: bytes) -> str | None:
    """An image's MIME type by its first bytes (embedded covers, fetched artwork); None if
    unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _IMAGE_MAGIC if data.startswith(magic)), None)


def cover_from_mediainfo(general: Track) -> tuple[bytes | None, str | None]:
    """The first embedded picture (MediaInfo gives base64, several joined by " / ") and its mime."""
    raw = general.cover_data
    if not raw:
        return None, None
    first = str(raw).split(" / ")[0].strip()
    try:
        data = base64.b64decode(first, validate=False)
    except (binascii.Error, ValueError):
        return None, None
    if not data:
        return None, None
    mime = sniff_image_mime(data) or _text(str(general.cover_mime or "").split(" / ")[0])
    return data, mime

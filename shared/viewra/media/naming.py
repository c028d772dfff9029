"""What a library-relative path (and, for music, the embedded tags) says an object is.

Video names go through guessit, which knows the release-name zoo (dotted names, ``S01E02``,
``1x02``, ``Season 1/Episode 2``, absolute anime numbers). The library's kind is the user's
statement of intent and wins over guessit's guess: in a movies library everything is a movie, in
a shows library anything with an episode number is an episode. Only a mixed library has to be
guessed, and there guessit is too eager (``IMG_1234`` reads as S12E34), so an episode also needs
an explicit marker in the path. Music does not go through guessit: tags are the catalogue, and
the ``Artist/Album/NN - Title.ext`` layout is the fallback.

Everything is a pure function of its arguments (guessit is deterministic for a given input and
options), so the scan gives the same answer for the same key every time. The behaviour table in
``tests/data/naming/*.yaml`` is the specification.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from guessit import guessit

from viewra.media.models.items import ItemKind, ParsedName, Tags

LIBRARY_KINDS = frozenset({"movies", "shows", "music", "mixed"})

# First path components that name the library's own folder, not the media ("Movies/Alien.mkv").
GENERIC_ROOTS = frozenset(
    {
        "movies", "films", "film", "shows", "tv", "tv shows", "series", "music", "audio",
        "videos", "video", "home videos", "mixed", "media", "anime",
    }
)  # fmt: skip

# Conventional episode markers; in a mixed library guessit's "episode" must show one of these.
_EPISODE_MARKER = re.compile(
    r"(?ix)"
    r"(?:\bs\d{1,4}[ ._-]?e\d{1,4})"  # S01E02, s1e2, S01.E02
    r"|(?:\b\d{1,2}x\d{1,3}\b)"  # 1x02
    r"|(?:\b(?:season|series|saison|staffel)[ ._-]*\d{1,4})"  # Season 1
    r"|(?:\b(?:episode|ep)[ ._-]*\d{1,4})"  # Episode 2, Ep.02
    r"|(?:\be\d{2,4}\b)"  # E03
    r"|(?:\s-\s\d{1,4}(?:v\d)?(?:\s|\[|\(|$))"  # Show - 1012 [1080p] (absolute numbering)
)
_SEASON_ZERO = re.compile(r"(?i)(?:\bs0+[ ._-]?e\d|\bseason[ ._-]*0+\b|\bspecials?\b|\b0x\d)")

# Music file names: "03 - Title", "1-03 Title", "03. Title", "Artist - Title".
_TRACK_NAME = re.compile(
    r"^(?:(?P<disc>\d{1,2})[-.](?=\d{2}\b))?(?P<track>\d{1,3})\s*(?:[-._]\s*|\s+)(?P<title>.+)$"
)
_ARTIST_TITLE = re.compile(r"^(?P<artist>.+?)\s+-\s+(?P<title>.+)$")


def parse_name(
    relative_path: str,
    library_kind: str,
    tags: Tags | None = None,
    *,
    audio_only: bool = False,
) -> ParsedName:
    """The kind, title and numbering of one object from its path, library kind and tags.

    ``audio_only`` (the probe found audio and no video) makes a file in a mixed library a track;
    in a music library every file is a track.
    """
    kind = library_kind.strip().lower()
    if kind not in LIBRARY_KINDS:
        raise ValueError(f"unknown library kind {library_kind!r}; expected one of {LIBRARY_KINDS}")
    if kind == "music" or (kind == "mixed" and audio_only):
        return _track(relative_path, tags)
    path = media_path(relative_path)
    if kind == "movies":
        return _movie(path)
    if kind == "shows":
        return _episode(path) or _video(path)
    return _mixed(path)


def media_path(relative_path: str) -> str:
    """The path guessit should read: forward slashes, no leading generic library folder."""
    parts = [p for p in relative_path.replace("\\", "/").split("/") if p and p != "."]
    if len(parts) > 1 and parts[0].strip().lower() in GENERIC_ROOTS:
        parts = parts[1:]
    return "/".join(parts)


def _guess(path: str, kind: str | None) -> dict[str, Any]:
    options = {"type": kind} if kind else {}
    return dict(guessit(path, options))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _int(value: Any) -> int | None:
    value = _first(value)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    value = _first(value)
    text = str(value).strip() if value is not None else ""
    return text or None


def stem_title(path: str) -> str | None:
    """The file name without extension, separators as spaces: the title of last resort."""
    stem = PurePosixPath(path).stem if path else ""
    text = re.sub(r"[._]+", " ", stem).strip(" -")
    return text or None


def _movie(path: str) -> ParsedName:
    guess = _guess(path, "movie")
    return ParsedName(
        kind=ItemKind.MOVIE,
        title=_str(guess.get("title")) or stem_title(path),
        year=_int(guess.get("year")),
    )


def _episode(path: str) -> ParsedName | None:
    """An episode when guessit finds an episode number, else None."""
    guess = _guess(path, "episode")
    episode = _int(guess.get("episode")) or _int(guess.get("absolute_episode"))
    if episode is None:
        return None
    season = _int(guess.get("season"))
    if season == 0 and not _SEASON_ZERO.search(path):
        season = None  # guessit reads "Show - 045" as S00E45; only an explicit S00 is a special
    episode_title = _str(guess.get("episode_title"))
    return ParsedName(
        kind=ItemKind.EPISODE,
        title=episode_title or f"Episode {episode}",
        year=_int(guess.get("year")),
        series=_str(guess.get("title")),
        season=season,
        episode=episode,
        episode_title=episode_title,
    )


def _video(path: str) -> ParsedName:
    """A plain video. If guessit read an episode into it (``IMG_1234`` as S12E34, a dated clip),
    its title is a fragment of the name, so the whole file name is the better title."""
    guess = _guess(path, None)
    title = None if guess.get("type") == "episode" else _str(guess.get("title"))
    return ParsedName(
        kind=ItemKind.VIDEO,
        title=title or stem_title(path),
        year=_int(guess.get("year")),
    )


def _mixed(path: str) -> ParsedName:
    """Episode with an explicit marker; movie when guessit sees a year; otherwise a video."""
    guess = _guess(path, None)
    if guess.get("type") == "episode" and _EPISODE_MARKER.search(path):
        parsed = _episode(path)
        if parsed is not None:
            return parsed
    if guess.get("type") == "movie" and _int(guess.get("year")):
        return _movie(path)
    return _video(path)


def music_tags_from_path(relative_path: str) -> Tags:
    """``Artist/Album/NN - Title.ext`` (disc-track ``1-03`` and ``Artist - Title`` too) as tags."""
    parts = [p for p in relative_path.replace("\\", "/").split("/") if p and p != "."]
    if not parts:
        return Tags()
    folders = [p for i, p in enumerate(parts[:-1]) if not (i == 0 and p.lower() in GENERIC_ROOTS)]
    stem = PurePosixPath(parts[-1]).stem.strip()
    found: dict[str, Any] = {
        "album": folders[-1] if folders else None,
        "artist": folders[-2] if len(folders) > 1 else None,
    }
    numbered = _TRACK_NAME.match(stem)
    if numbered:
        found["track"] = int(numbered["track"])
        found["disc"] = int(numbered["disc"]) if numbered["disc"] else None
        stem = numbered["title"].strip()
    by_artist = _ARTIST_TITLE.match(stem)
    if by_artist:
        found["artist"] = by_artist["artist"].strip()
        stem = by_artist["title"].strip()
    found["title"] = stem or None
    return Tags(**found)


def music_tags(relative_path: str, tags: Tags | None) -> Tags:
    """Embedded tags, with the gaps filled from the path."""
    from_path = music_tags_from_path(relative_path)
    if tags is None:
        return from_path
    merged = {name: getattr(tags, name) or getattr(from_path, name) for name in Tags.model_fields}
    return Tags(**merged)


def _track(relative_path: str, tags: Tags | None) -> ParsedName:
    found = music_tags(relative_path, tags)
    return ParsedName(kind=ItemKind.TRACK, title=found.title, year=found.year)

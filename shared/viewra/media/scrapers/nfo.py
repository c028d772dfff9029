"""Kodi/Jellyfin NFO files: ``movie``, ``tvshow``, ``episodedetails``, ``musicvideo``, ``album``.

NFO files are written by users and by tools we do not control, so the XML parser refuses DTDs
and entity declarations (billion laughs, external entities): defusedxml when it is installed,
else expat with those handlers turned into errors. Reads are bounded (:data:`MAX_BYTES`).
An NFO that is only a URL (Kodi allows an IMDb or TMDB link instead of XML) yields its ids.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.parsers import expat

from pydantic import BaseModel, Field

from viewra.media.enrich.models import Enrichment, ExternalIds, Person, Rating
from viewra.media.scrapers.keys import ReadFn

try:  # pragma: no branch - which one depends on the environment
    from defusedxml import ElementTree as _defused  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover
    _defused = None

MAX_BYTES = 1024 * 1024
KINDS = {"movie", "tvshow", "episodedetails", "musicvideo", "album"}
_IMDB = re.compile(r"\btt\d{5,10}\b")
_TMDB_URL = re.compile(r"themoviedb\.org/(?:movie|tv)/(\d+)")


class NfoError(ValueError):
    """The NFO cannot be used (too large, not XML we accept, an unknown root)."""


class Nfo(BaseModel):
    kind: str  # the root element, or "url" for a link-only NFO
    metadata: Enrichment = Field(default_factory=Enrichment)
    series: str | None = None
    season: int | None = None
    episode: int | None = None


def read_nfo(key: str, read: ReadFn, max_bytes: int = MAX_BYTES) -> Nfo:
    """Read at most ``max_bytes`` of ``key`` through ``read`` and parse it."""
    data = read(key, max_bytes + 1)
    if len(data) > max_bytes:
        raise NfoError(f"{key}: over {max_bytes} bytes")
    return parse_nfo(data)


def parse_nfo(data: bytes) -> Nfo:
    text_start = data.lstrip()[:1]
    if text_start != b"<":
        return _url_only(data.decode("utf-8", "replace"))
    root = parse_xml(_xml_part(data))
    kind = root.tag.lower()
    if kind not in KINDS:
        raise NfoError(f"unknown NFO root <{root.tag}>")
    return Nfo(
        kind=kind,
        metadata=Enrichment(sources=["nfo"], **_common(root, kind)),
        series=_text(root, "showtitle"),
        season=_int(_text(root, "season")),
        episode=_int(_text(root, "episode")),
    )


def parse_xml(data: bytes) -> ET.Element:
    """Parse with DTDs and entities refused (see the module docstring)."""
    try:
        if _defused is not None:
            return _defused.fromstring(data, forbid_dtd=True)
        return _parse_stdlib(data)
    except ET.ParseError as exc:
        raise NfoError(f"not well-formed XML: {exc}") from exc
    except ValueError as exc:  # defusedxml's DTDForbidden and friends are ValueErrors
        raise NfoError(f"refused: {exc}") from exc


def _parse_stdlib(data: bytes) -> ET.Element:
    """The fallback: expat into a tree builder, with every DTD-related callback raising."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()

    def forbid(*_: Any) -> None:
        raise NfoError("refused: DTDs and entity declarations are not accepted")

    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ET.ParseError(str(exc)) from exc
    return builder.close()


def _xml_part(data: bytes) -> bytes:
    """Kodi allows a URL after the root's closing tag; XML parsers do not."""
    root = re.search(rb"<(movie|tvshow|episodedetails|musicvideo|album)[\s>]", data, re.IGNORECASE)
    if root is None:
        return data
    end = data.lower().rfind(b"</" + root[1].lower() + b">")
    return data[: end + len(root[1]) + 3] if end >= 0 else data


def _common(root: ET.Element, kind: str) -> dict[str, Any]:
    year = _int(_text(root, "year"))
    if year is None:
        for tag in ("premiered", "aired", "releasedate"):
            year = year or _int((_text(root, tag) or "")[:4])
    return {
        "title": _text(root, "title"),
        "original_title": _text(root, "originaltitle"),
        "year": year,
        "overview": _text(root, "plot") or _text(root, "outline") or _text(root, "review"),
        "tagline": _text(root, "tagline"),
        "genres": _all(root, "genre"),
        "studios": _all(root, "studio"),
        "ratings": _ratings(root),
        "cast": _actors(root),
        "artist": _text(root, "artist") or _text(root, "albumartist"),
        "album": _text(root, "album") if kind == "musicvideo" else None,
        "external_ids": _ids(root),
    }


def _ids(root: ET.Element) -> ExternalIds:
    ids: dict[str, str] = {}
    for el in root.findall("uniqueid"):
        kind = (el.get("type") or "").lower()
        if el.text and el.text.strip():
            ids.setdefault(kind, el.text.strip())
    for legacy, kind in (("imdbid", "imdb"), ("tmdbid", "tmdb"), ("tvdbid", "tvdb")):
        if (value := _text(root, legacy)) is not None:
            ids.setdefault(kind, value)
    if (value := _text(root, "id")) is not None:
        ids.setdefault("imdb" if value.startswith("tt") else "tmdb", value)
    return ExternalIds(
        imdb=ids.get("imdb"),
        tmdb=_int(ids.get("tmdb")),
        tvdb=_int(ids.get("tvdb")),
        musicbrainz_release=ids.get("musicbrainzalbumid") or _text(root, "musicbrainzalbumid"),
        musicbrainz_artist=ids.get("musicbrainzartistid") or _text(root, "musicbrainzartistid"),
    )


def _ratings(root: ET.Element) -> list[Rating]:
    ratings = []
    for el in root.findall("ratings/rating"):
        value = _float(_text(el, "value"))
        if value is not None:
            name = el.get("name") or "default"
            ratings.append(Rating(source=name, value=value, votes=_int(_text(el, "votes"))))
    legacy = _float(_text(root, "rating"))
    if not ratings and legacy is not None:
        ratings.append(Rating(source="default", value=legacy, votes=_int(_text(root, "votes"))))
    return ratings


def _actors(root: ET.Element) -> list[Person]:
    cast = []
    for el in root.findall("actor"):
        name = _text(el, "name")
        if name:
            cast.append(
                Person(
                    name=name,
                    role=_text(el, "role"),
                    order=_int(_text(el, "order")),
                    image_url=_text(el, "thumb"),
                )
            )
    return cast


def _url_only(text: str) -> Nfo:
    imdb = _IMDB.search(text)
    tmdb = _TMDB_URL.search(text)
    if not imdb and not tmdb:
        raise NfoError("neither XML nor an IMDb/TMDB link")
    ids = ExternalIds(imdb=imdb.group(0) if imdb else None, tmdb=int(tmdb[1]) if tmdb else None)
    return Nfo(kind="url", metadata=Enrichment(sources=["nfo"], external_ids=ids))


def _text(el: ET.Element, tag: str) -> str | None:
    found = el.find(tag)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _all(el: ET.Element, tag: str) -> list[str]:
    values: list[str] = []
    for found in el.findall(tag):
        for part in (found.text or "").split(" / "):  # Kodi's old "Drama / Crime" form
            if part.strip() and part.strip() not in values:
                values.append(part.strip())
    return values


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

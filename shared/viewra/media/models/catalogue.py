"""Libraries and catalogue records: the pure rules (which library owns a key, item identity,
sort titles, resolution classes), free of any storage."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from viewra.common.identifiers import PREFIX
from viewra.common.object_keys import is_under, validate_prefix
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem


class LibraryKind(StrEnum):
    MOVIES = "movies"
    SHOWS = "shows"
    MUSIC = "music"
    MIXED = "mixed"


class Library(BaseModel):
    id: str
    name: str
    prefix: str
    kind: LibraryKind
    # transcode presets (GET /transcode/presets) every new or replaced item gets made on ingest
    optimized_versions: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str


class LibraryCreate(BaseModel):
    """What a client sends to create a library; ``prefix`` is a folder in the media bucket."""

    name: str = Field(min_length=1, max_length=200)
    prefix: str = Field(
        min_length=1,
        max_length=PREFIX.max_length,
        json_schema_extra={"pattern": PREFIX.pattern},  # checked by validate_prefix: 400
    )
    kind: LibraryKind = LibraryKind.MIXED
    optimized_versions: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Preset names (GET /transcode/presets): versions made for each new item",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return validate_prefix(value)


class LibraryUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    prefix: str | None = Field(
        default=None,
        min_length=1,
        max_length=PREFIX.max_length,
        json_schema_extra={"pattern": PREFIX.pattern},  # checked by validate_prefix: 400
    )
    kind: LibraryKind | None = None
    optimized_versions: list[str] | None = Field(
        default=None,
        max_length=8,
        description="Preset names; [] makes none from now on (versions made stay cached)",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return None if value is None else validate_prefix(value)


def prefixes_overlap(a: str, b: str) -> bool:
    """Two library folders overlap when one contains the other; a key must have one owner."""
    return a.startswith(b) or b.startswith(a)


def library_for_key(libraries: Iterable[Library], key: str) -> Library | None:
    """The library whose prefix holds ``key``, or None (then the object is ignored)."""
    for library in libraries:
        if is_under(key, library.prefix):
            return library
    return None


def item_id(bucket: str, key: str) -> str:
    """Stable id for the object at bucket/key: the same object is always the same item."""
    return hashlib.sha256(f"{bucket}\x00{key}".encode()).hexdigest()[:24]


_ARTICLES = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


def sort_title(title: str) -> str:
    """Lower-cased title without a leading article, as media servers sort.

    ("The Office" sorts as "office".)
    """
    return _ARTICLES.sub("", title.strip()).casefold() or title.casefold()


def resolution_class(width: int | None, height: int | None) -> str | None:
    """The label people filter by (sd, 720p, 1080p, 4k, 8k), from the larger fit of width/height."""
    if not width or not height:
        return None
    if width >= 7000 or height >= 4000:
        return "8k"
    if width >= 3200 or height >= 1800:
        return "4k"
    if width >= 1800 or height >= 1000:
        return "1080p"
    if width >= 1200 or height >= 700:
        return "720p"
    return "sd"


def series_key(item: MediaItem) -> str | None:
    """Episodes of one series in one library share this key (the next-up index's partition)."""
    if item.kind is not ItemKind.EPISODE or not item.series or item.episode is None:
        return None
    return f"{item.library_id}#{item.series.casefold()}"


def episode_order(item: MediaItem) -> int:
    """Season then episode as one sortable number (S02E03 → 2003)."""
    return (item.season or 0) * 1000 + (item.episode or 0)


class CatalogueCounts(BaseModel):
    """How many items a library (or the whole catalogue) holds, by status and by kind."""

    total: int = 0
    ready: int = 0
    failed: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: dict[str, int]) -> CatalogueCounts:
        """From counter rows named ``<kind>:<status>`` (removed items are never counted)."""
        counts = cls()
        for name, n in rows.items():
            kind, _, status = name.partition(":")
            if n <= 0:
                continue
            counts.total += n
            counts.by_kind[kind] = counts.by_kind.get(kind, 0) + n
            if status == "ready":
                counts.ready += n
            elif status == "failed":
                counts.failed += n
        return counts


class LibraryView(Library):
    """A library as ``GET /libraries`` answers it: with its counts."""

    counts: CatalogueCounts = Field(default_factory=CatalogueCounts)


ALL_LIBRARIES = "all"


def counted_as(item: MediaItem | None) -> Counter[tuple[str, str]]:
    """The counters an item adds one to (its library's and the whole catalogue's, by kind and
    status); none when it is removed or absent. A write moves an item by ``new - old``."""
    if item is None or item.status is ItemStatus.REMOVED:
        return Counter()
    name = f"{item.kind.value}:{item.status.value}"
    return Counter({(item.library_id, name): 1, (ALL_LIBRARIES, name): 1})


def count_deltas(old: MediaItem | None, new: MediaItem | None) -> Counter[tuple[str, str]]:
    deltas: Counter[tuple[str, str]] = Counter(counted_as(new))
    deltas.subtract(counted_as(old))
    return Counter({k: v for k, v in deltas.items() if v})

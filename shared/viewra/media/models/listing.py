"""What a client may ask of the catalogue listing: filters, sort, page; and the page it gets."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from viewra.common.identifiers import TEXT_MAX, Codec, Cursor, LibraryId
from viewra.media.models.catalogue import resolution_class
from viewra.media.models.items import ItemKind, MediaItem


class SortField(StrEnum):
    TITLE = "title"
    ADDED = "added"
    YEAR = "year"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class StatusFilter(StrEnum):
    READY = "ready"
    FAILED = "failed"
    ALL = "all"


class ItemQuery(BaseModel):
    """Filters combine with AND. ``q`` searches (every word, each a prefix of a word of the title,
    original title, series, episode title, artist, album, album artist, cast or file name) and
    ranks: exact title, then title words, then the other fields; ``sort`` does not apply."""

    library: LibraryId | None = None
    type: ItemKind | None = None
    genre: str | None = Field(default=None, max_length=TEXT_MAX)
    year_min: int | None = Field(default=None, ge=0, le=9999)
    year_max: int | None = Field(default=None, ge=0, le=9999)
    video_codec: Codec | None = None
    audio_codec: Codec | None = None
    # sd, 720p, 1080p, 4k or 8k in any case (the pattern says so in the OpenAPI document)
    resolution: str | None = Field(
        default=None, pattern=r"^([sS][dD]|720[pP]|1080[pP]|4[kK]|8[kK])$"
    )
    q: str | None = Field(
        default=None,
        max_length=TEXT_MAX,
        description=(
            "Search: every word (case and accents folded) starts a word of the title, original"
            " title, series, episode title, artist, album, album artist, cast or file name (a"
            " lone word under 3 letters: a whole word). Ranked: exact title, then title words, then"
            " other fields; sort does not apply. A request reads about as many rows as it returns"
            " (docs/api.md); follow the cursor."
        ),
    )
    status: StatusFilter = StatusFilter.READY
    sort: SortField = SortField.TITLE
    order: SortOrder = SortOrder.ASC
    limit: int = Field(default=50, ge=1, le=500)
    cursor: Cursor | None = None
    # the libraries the caller may see (None: all); set by the server from the caller's grants
    libraries: frozenset[str] | None = Field(default=None, exclude=True)

    def admits(self, item: MediaItem) -> bool:
        """Whether ``item`` passes every filter (for answers not read through a sort index)."""
        video = next(iter(item.video_streams), None)
        checks = [
            self.library is None or item.library_id == self.library,
            self.libraries is None or item.library_id in self.libraries,
            self.type is None or item.kind is self.type,
            self.status is StatusFilter.ALL or item.status.value == self.status.value,
            not self.genre or self.genre.casefold() in {g.casefold() for g in item.genres},
            self.year_min is None or (item.year or 0) >= self.year_min,
            self.year_max is None or (item.year or 0) <= self.year_max,
            not self.video_codec or (video is not None and video.codec == self.video_codec.lower()),
            not self.audio_codec
            or self.audio_codec.lower() in {s.codec for s in item.audio_streams},
            not self.resolution
            or (
                video is not None and resolution_class(video.width, video.height) == self.resolution
            ),
        ]
        return all(checks)

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        allowed = {"sd", "720p", "1080p", "4k", "8k"}
        if value is not None and value.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(sorted(allowed))}")
        return None if value is None else value.lower()

    @model_validator(mode="after")
    def _years(self) -> ItemQuery:
        if (
            self.year_min is not None
            and self.year_max is not None
            and self.year_min > self.year_max
        ):
            raise ValueError("year_min is greater than year_max")
        return self


class ItemPage(BaseModel):
    """A page; ``cursor`` set when more may follow (a filtered page may be short and still have
    one: each request reads a bounded number of items). ``read`` is what the page read."""

    items: list[MediaItem]
    cursor: str | None = None
    read: int = Field(default=0, exclude=True)

"""What a client may ask of the catalogue listing: filters, sort, page; and the page it gets."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

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
    """Filters combine with AND; ``q`` matches title, series, artist, album and episode title."""

    library: str | None = None
    type: ItemKind | None = None
    genre: str | None = None
    year_min: int | None = Field(default=None, ge=0, le=9999)
    year_max: int | None = Field(default=None, ge=0, le=9999)
    video_codec: str | None = None
    audio_codec: str | None = None
    resolution: str | None = None
    q: str | None = Field(default=None, max_length=200)
    status: StatusFilter = StatusFilter.READY
    sort: SortField = SortField.TITLE
    order: SortOrder = SortOrder.ASC
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = None

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
    items: list[MediaItem]
    cursor: str | None = None

"""The typed result of enrichment (and of scraper/enricher plugins): what we learnt about an item.

One model for every source (NFO sidecar, TMDB, MusicBrainz, a plugin) so results can be merged
field by field, in priority order, without knowing where each came from; ``sources`` keeps that.
``extra="forbid"``: a plugin answering a field we do not know is answering garbage.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from viewra.media.models.items import (
    MAX_CAST,
    ExternalIds,
    ItemMetadata,
    MediaItem,
    Person,
    Rating,
    fill_gaps,
)

__all__ = ["Enrichment", "ExternalIds", "Person", "Rating"]


class Enrichment(BaseModel):
    """Metadata for one item; ``None``/empty means "this source does not know"."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list)
    title: str | None = None
    original_title: str | None = None
    year: int | None = None
    overview: str | None = None
    tagline: str | None = None
    genres: list[str] = Field(default_factory=list)
    studios: list[str] = Field(default_factory=list)
    ratings: list[Rating] = Field(default_factory=list)
    cast: list[Person] = Field(default_factory=list)
    artist: str | None = None
    album: str | None = None
    poster_url: str | None = None
    backdrop_url: str | None = None
    cover_url: str | None = None
    external_ids: ExternalIds = Field(default_factory=ExternalIds)
    errors: list[str] = Field(default_factory=list)  # sources that failed (retry later)

    def is_empty(self) -> bool:
        return self.model_dump(exclude={"sources", "errors"}, exclude_defaults=True) == {}

    def merged_with(self, other: Enrichment) -> Enrichment:
        """This result, with the gaps filled from ``other`` (which has lower priority)."""
        return Enrichment.model_validate(fill_gaps(self.model_dump(), other.model_dump()))

    def item_metadata(self) -> ItemMetadata | None:
        """The part of this result that goes to :attr:`MediaItem.metadata` (cast cut to its
        first ``MAX_CAST`` in billing order); None when this source said none of it."""
        fields = self.model_dump(include=set(ItemMetadata.model_fields))
        fields["cast"] = [
            p.model_dump()
            for p in sorted(self.cast, key=lambda p: (p.order is None, p.order or 0))[:MAX_CAST]
        ]
        found = ItemMetadata.model_validate(fields)
        said = found.model_dump(exclude={"sources"}, exclude_defaults=True)
        return found if said else None

    def item_updates(self, item: MediaItem) -> dict[str, Any]:
        """The :class:`MediaItem` fields this fills: only those the item does not have yet.

        What the scan read from the file and its path (and an NFO beside it) wins; enrichment
        completes it, in the metadata too: a field the item's metadata has keeps its value.
        The overview is left to the caller (it is shown as the item's own text)."""
        updates: dict[str, Any] = {}
        for name in ("title", "year", "artist", "album"):
            value = getattr(self, name)
            if value is not None and getattr(item, name) in (None, ""):
                updates[name] = value
        if self.genres and not item.genres:
            updates["genres"] = list(self.genres)
        found = self.item_metadata()
        if found is not None:
            merged = found if item.metadata is None else item.metadata.filled_from(found)
            if merged != item.metadata:
                updates["metadata"] = merged
        return updates

"""The typed result of enrichment (and of scraper/enricher plugins): what we learnt about an item.

One model for every source (NFO sidecar, TMDB, MusicBrainz, a plugin) so results can be merged
field by field, in priority order, without knowing where each came from; ``sources`` keeps that.
``extra="forbid"``: a plugin answering a field we do not know is answering garbage.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from viewra.models import MediaItem


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str | None = None  # the character, for cast
    order: int | None = None
    image_url: str | None = None


class ExternalIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tmdb: int | None = None
    imdb: str | None = None
    tvdb: int | None = None
    musicbrainz_recording: str | None = None
    musicbrainz_release: str | None = None
    musicbrainz_release_group: str | None = None
    musicbrainz_artist: str | None = None


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str  # tmdb, imdb, ...
    value: float
    votes: int | None = None


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
        mine = self.model_dump()
        theirs = other.model_dump()
        out: dict[str, Any] = {}
        for key, value in mine.items():
            if key in ("sources", "errors"):
                out[key] = value + [s for s in theirs[key] if s not in value]
            elif key == "external_ids":
                out[key] = {k: v if v is not None else theirs[key][k] for k, v in value.items()}
            else:
                out[key] = value if value not in (None, []) else theirs[key]
        return Enrichment.model_validate(out)

    def item_updates(self, item: MediaItem) -> dict[str, Any]:
        """The :class:`MediaItem` fields this fills: only those the item does not have yet.

        What the scan read from the file and its path wins; enrichment completes it. Fields
        MediaItem has no place for yet (overview, cast, ids, artwork URLs) stay on the result.
        """
        updates: dict[str, Any] = {}
        for name in ("title", "year", "artist", "album"):
            value = getattr(self, name)
            if value is not None and getattr(item, name) in (None, ""):
                updates[name] = value
        if self.genres and not item.genres:
            updates["genres"] = list(self.genres)
        return updates

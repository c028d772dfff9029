"""TMDB (The Movie Database) API v3: movies and series by title and year, then their details.

Without an API key the client is disabled: every lookup returns None and no request is made,
so a deployment without TMDB simply enriches less. A v3 key travels as the ``api_key`` query
parameter; a v4 read access token (a JWT, starting ``eyJ``) as a Bearer header.
"""

from __future__ import annotations

from typing import Any

import requests

from viewra.media.enrich.cache import Cache
from viewra.media.enrich.http import JsonApi
from viewra.media.enrich.models import Enrichment, ExternalIds, Person, Rating
from viewra.media.enrich.ratelimit import RateLimiter, tmdb_limiter

BASE_URL = "https://api.themoviedb.org/3"
IMAGE_BASE_URL = "https://image.tmdb.org/t/p"
MAX_CAST = 20


class TmdbClient:
    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str = BASE_URL,
        image_base_url: str = IMAGE_BASE_URL,
        user_agent: str,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        cache: Cache | None = None,
        language: str = "en-US",
        **http: Any,
    ) -> None:
        self.enabled = bool(api_key)
        self.language = language
        self.image_base_url = image_base_url.rstrip("/")
        bearer = bool(api_key) and str(api_key).startswith("eyJ")
        self.api = JsonApi(
            "tmdb",
            base_url,
            user_agent=user_agent,
            session=session,
            limiter=limiter or tmdb_limiter(),
            cache=cache,
            params={} if bearer or not api_key else {"api_key": str(api_key)},
            headers={"Authorization": f"Bearer {api_key}"} if bearer else {},
            **http,
        )

    def movie(self, title: str, year: int | None = None) -> Enrichment | None:
        """The best match for a movie title (and year), with details and cast."""
        if not self.enabled or not title:
            return None
        found = self.api.get(
            "/search/movie", self._q(query=title, year=year, include_adult="false")
        )
        best = _best(found, "title", "release_date", title, year)
        if best is None:
            return None
        details = self.api.get(f"/movie/{best}", self._q(append_to_response="credits"))
        return (
            self._from_details(details, "title", "original_title", "release_date")
            if details
            else None
        )

    def series(self, name: str, year: int | None = None) -> Enrichment | None:
        """The best match for a series name (and first-air year), with details and cast."""
        if not self.enabled or not name:
            return None
        found = self.api.get("/search/tv", self._q(query=name, first_air_date_year=year))
        best = _best(found, "name", "first_air_date", name, year)
        if best is None:
            return None
        details = self.api.get(f"/tv/{best}", self._q(append_to_response="credits,external_ids"))
        return (
            self._from_details(details, "name", "original_name", "first_air_date")
            if details
            else None
        )

    def image(self, path: str | None, size: str) -> str | None:
        return f"{self.image_base_url}/{size}{path}" if path else None

    def _q(self, **params: Any) -> dict[str, Any]:
        return {"language": self.language, **params}

    def _from_details(self, d: dict[str, Any], title: str, original: str, date: str) -> Enrichment:
        ids = d.get("external_ids") or {}
        cast = sorted((d.get("credits") or {}).get("cast") or [], key=lambda c: c.get("order", 0))
        studios = d.get("production_companies") or d.get("networks") or []
        rating = (
            [Rating(source="tmdb", value=float(d["vote_average"]), votes=d.get("vote_count"))]
            if d.get("vote_count")
            else []
        )
        return Enrichment(
            sources=["tmdb"],
            title=d.get(title),
            original_title=d.get(original),
            year=_year(d.get(date)),
            overview=d.get("overview") or None,
            tagline=d.get("tagline") or None,
            genres=[g["name"] for g in d.get("genres") or [] if g.get("name")],
            studios=[s["name"] for s in studios if s.get("name")],
            ratings=rating,
            cast=[
                Person(
                    name=c["name"],
                    role=c.get("character") or None,
                    order=c.get("order"),
                    image_url=self.image(c.get("profile_path"), "w185"),
                )
                for c in cast[:MAX_CAST]
                if c.get("name")
            ],
            poster_url=self.image(d.get("poster_path"), "w500"),
            backdrop_url=self.image(d.get("backdrop_path"), "w1280"),
            external_ids=ExternalIds(
                tmdb=d.get("id"),
                imdb=d.get("imdb_id") or ids.get("imdb_id"),
                tvdb=ids.get("tvdb_id"),
            ),
        )


def _best(
    found: dict[str, Any] | None, title_field: str, date_field: str, title: str, year: int | None
) -> int | None:
    """Prefer an exact (case-insensitive) title in the right year, then the right year, then
    TMDB's own order (popularity-weighted relevance)."""
    results = (found or {}).get("results") or []
    if not results:
        return None

    def rank(pair: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        position, r = pair
        same_title = str(r.get(title_field, "")).casefold() == title.casefold()
        same_year = year is not None and _year(r.get(date_field)) == year
        return (not same_title, not same_year, position)

    return min(enumerate(results), key=rank)[1].get("id")


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date and date[:4].isdigit() else None

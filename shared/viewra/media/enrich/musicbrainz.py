"""MusicBrainz (recordings and releases by tags) and the Cover Art Archive (release covers).

MusicBrainz asks for one request per second and a User-Agent naming the application and a
contact; both are enforced here (the limiter is per client: share one client per process).
Lookups take the embedded tags the scan read (artist, title, album) and search recordings with
a Lucene query of quoted phrases, then read the best release for its date, genres and ids.
"""

from __future__ import annotations

from typing import Any

import requests

from viewra.media.enrich.cache import Cache
from viewra.media.enrich.http import JsonApi
from viewra.media.enrich.models import Enrichment, ExternalIds
from viewra.media.enrich.ratelimit import RateLimiter, musicbrainz_limiter

BASE_URL = "https://musicbrainz.org/ws/2"
COVER_ART_URL = "https://coverartarchive.org"
MIN_SCORE = 80  # MusicBrainz search scores run 0..100; below this the match is a guess


class MusicBrainzClient:
    def __init__(
        self,
        *,
        user_agent: str,
        base_url: str = BASE_URL,
        cover_art_url: str = COVER_ART_URL,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        cache: Cache | None = None,
        **http: Any,
    ) -> None:
        self.api = JsonApi(
            "musicbrainz",
            base_url,
            user_agent=user_agent,
            session=session,
            limiter=limiter or musicbrainz_limiter(),
            cache=cache,
            **http,
        )
        # the Cover Art Archive is another service with no rate limit of MusicBrainz's
        self.covers = JsonApi(
            "coverartarchive",
            cover_art_url,
            user_agent=user_agent,
            session=session,
            cache=cache,
            **http,
        )

    def search_recording(
        self, title: str, artist: str | None = None, album: str | None = None
    ) -> dict[str, Any] | None:
        query = " AND ".join(
            f'{field}:"{_escape(value)}"'
            for field, value in (("recording", title), ("artist", artist), ("release", album))
            if value
        )
        found = self.api.get("/recording", {"query": query, "fmt": "json", "limit": 5})
        recordings = [
            r for r in (found or {}).get("recordings") or [] if r.get("score", 0) >= MIN_SCORE
        ]
        return recordings[0] if recordings else None

    def release(self, mbid: str) -> dict[str, Any] | None:
        return self.api.get(
            f"/release/{mbid}", {"inc": "artist-credits+release-groups+genres", "fmt": "json"}
        )

    def cover_url(self, release_mbid: str) -> str | None:
        found = self.covers.get(f"/release/{release_mbid}")
        images = (found or {}).get("images") or []
        front = next((i for i in images if i.get("front")), None)
        if front is None:
            return None
        thumbs = front.get("thumbnails") or {}
        return thumbs.get("500") or thumbs.get("large") or front.get("image")

    def track(self, title: str, artist: str | None, album: str | None) -> Enrichment | None:
        """Recording → its release (preferring the tagged album) → release details and cover."""
        if not title:
            return None
        recording = self.search_recording(title, artist, album)
        if recording is None:
            return None
        releases = recording.get("releases") or []
        chosen = next(
            (
                r
                for r in releases
                if album and str(r.get("title", "")).casefold() == album.casefold()
            ),
            releases[0] if releases else None,
        )
        release = self.release(chosen["id"]) if chosen else None
        artist_credit = recording.get("artist-credit") or []
        group = (release or {}).get("release-group") or {}
        return Enrichment(
            sources=["musicbrainz"],
            title=recording.get("title"),
            artist=_credit(artist_credit),
            album=(release or chosen or {}).get("title"),
            year=_year(
                (release or chosen or {}).get("date") or recording.get("first-release-date")
            ),
            genres=[g["name"] for g in (release or {}).get("genres") or [] if g.get("name")],
            cover_url=self.cover_url(release["id"]) if release else None,
            external_ids=ExternalIds(
                musicbrainz_recording=recording.get("id"),
                musicbrainz_release=(release or chosen or {}).get("id"),
                musicbrainz_release_group=group.get("id"),
                musicbrainz_artist=(artist_credit[0].get("artist") or {}).get("id")
                if artist_credit
                else None,
            ),
        )


def _credit(credits: list[dict[str, Any]]) -> str | None:
    """An artist credit as MusicBrainz prints it: names joined by their join phrases."""
    text = "".join(f"{c.get('name', '')}{c.get('joinphrase', '')}" for c in credits)
    return text or None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date and date[:4].isdigit() else None

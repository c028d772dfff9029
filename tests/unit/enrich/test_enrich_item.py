"""``enrich_item``: the right service per kind, a typed result, failures recorded not raised."""

from __future__ import annotations

from tests.unit.enrich.conftest import FixtureServer
from viewra.enrich.core import Clients, enrich_item
from viewra.enrich.models import Enrichment, ExternalIds
from viewra.enrich.musicbrainz import MusicBrainzClient
from viewra.enrich.ratelimit import RateLimiter
from viewra.enrich.tmdb import TmdbClient
from viewra.models import ItemKind, MediaItem

UA = "Viewra-test/0.1"


def _item(**fields) -> MediaItem:
    return MediaItem(id="i1", library_id="l1", bucket="b", key="k", etag="e", **fields)


def _clients(server: FixtureServer, key: str | None = "KEY") -> Clients:
    return Clients(
        tmdb=TmdbClient(key, base_url=f"{server.url}/3", user_agent=UA, backoff=0.01, retries=1),
        musicbrainz=MusicBrainzClient(
            user_agent=UA,
            base_url=f"{server.url}/ws/2",
            cover_art_url=f"{server.url}/caa",
            limiter=RateLimiter(100, 1.0),
        ),
    )


def test_a_movie_is_enriched_from_tmdb_and_fills_only_the_gaps(server: FixtureServer) -> None:
    item = _item(kind=ItemKind.MOVIE, title="Blade Runner", year=1982)
    result = enrich_item(item, _clients(server))
    assert isinstance(result, Enrichment)
    assert result.sources == ["tmdb"] and result.external_ids.tmdb == 78
    assert result.item_updates(item) == {"genres": ["Science Fiction", "Drama", "Thriller"]}


def test_an_episode_is_enriched_from_its_series(server: FixtureServer) -> None:
    item = _item(kind=ItemKind.EPISODE, series="Breaking Bad", season=1, episode=1)
    result = enrich_item(item, _clients(server))
    assert result.external_ids.tvdb == 81189
    assert server.requests[0].query["query"] == "Breaking Bad"


def test_a_track_is_enriched_from_musicbrainz(server: FixtureServer) -> None:
    item = _item(kind=ItemKind.TRACK, title="Paranoid Android", artist="Radiohead")
    result = enrich_item(item, _clients(server))
    assert result.sources == ["musicbrainz"]
    # no album tag: the recording's first release (the single); MusicBrainz has no details
    # of it here (404), so no genres
    assert result.item_updates(item) == {"year": 1997, "album": "Paranoid Android"}


def test_a_failing_service_is_recorded_not_raised(server: FixtureServer) -> None:
    server.failures["/3/search/movie"] = [503, 503]
    result = enrich_item(_item(kind=ItemKind.MOVIE, title="Blade Runner"), _clients(server))
    assert result.is_empty()
    assert result.errors and "gave up" in result.errors[0]


def test_without_a_tmdb_key_movies_are_left_alone(server: FixtureServer) -> None:
    result = enrich_item(_item(kind=ItemKind.MOVIE, title="Blade Runner"), _clients(server, None))
    assert result.is_empty() and result.errors == []
    assert server.requests == []


def test_results_merge_by_priority() -> None:
    nfo = Enrichment(sources=["nfo"], title="Mine", external_ids=ExternalIds(imdb="tt1"))
    tmdb = Enrichment(
        sources=["tmdb"],
        title="Theirs",
        overview="Plot",
        genres=["Drama"],
        external_ids=ExternalIds(tmdb=5),
    )
    merged = nfo.merged_with(tmdb)
    assert (merged.title, merged.overview, merged.genres) == ("Mine", "Plot", ["Drama"])
    assert (merged.external_ids.imdb, merged.external_ids.tmdb) == ("tt1", 5)
    assert merged.sources == ["nfo", "tmdb"]

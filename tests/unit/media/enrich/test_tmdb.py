"""TMDB client against recorded responses: requests made, fields mapped, cache, retries."""

from __future__ import annotations

import pytest

from tests.unit.media.enrich.conftest import FixtureServer
from viewra.media.enrich.cache import MemoryCache
from viewra.media.enrich.http import EnrichError
from viewra.media.enrich.tmdb import TmdbClient

UA = "Viewra-test/0.1 (+tests)"


def _client(server: FixtureServer, key: str | None = "KEY123", **kw) -> TmdbClient:
    kw.setdefault("base_url", f"{server.url}/3")
    return TmdbClient(
        key,
        image_base_url="https://img.example.invalid/t/p",
        user_agent=UA,
        backoff=0.01,
        **kw,
    )


def test_a_movie_is_searched_by_title_and_year_then_read_with_credits(
    server: FixtureServer,
) -> None:
    found = _client(server).movie("Blade Runner", 1982)
    assert found is not None
    assert (found.title, found.year, found.external_ids.tmdb, found.external_ids.imdb) == (
        "Blade Runner",
        1982,
        78,
        "tt0083658",
    )
    assert found.genres == ["Science Fiction", "Drama", "Thriller"]
    assert found.overview and found.overview.startswith("In the smog-choked")
    assert [(c.name, c.role) for c in found.cast] == [
        ("Harrison Ford", "Rick Deckard"),
        ("Rutger Hauer", "Roy Batty"),
    ]
    assert found.cast[0].image_url == "https://img.example.invalid/t/p/w185/ford.jpg"
    assert (
        found.poster_url == "https://img.example.invalid/t/p/w500/63N9uy8nd9j7Eog2axPQ8lbr3Wj.jpg"
    )
    assert (
        found.backdrop_url
        == "https://img.example.invalid/t/p/w1280/eIi3klFf7mp3oL5EEF4mLIDs26r.jpg"
    )
    assert found.studios == ["The Ladd Company", "Warner Bros. Pictures"]
    assert (found.ratings[0].source, found.ratings[0].value) == ("tmdb", 7.9)

    search, details = server.requests
    assert search.path == "/3/search/movie"
    assert search.query == {
        "query": "Blade Runner",
        "year": "1982",
        "include_adult": "false",
        "language": "en-US",
        "api_key": "KEY123",
    }
    assert details.path == "/3/movie/78"  # the exact title won over the first result
    assert details.query["append_to_response"] == "credits"
    assert all(r.headers["User-Agent"] == UA for r in server.requests)
    assert all(r.query["api_key"] == "KEY123" for r in server.requests)


def test_a_series_is_searched_by_name_then_read_with_credits_and_ids(
    server: FixtureServer,
) -> None:
    found = _client(server).series("Breaking Bad", 2008)
    assert found is not None
    assert (found.title, found.year, found.studios) == ("Breaking Bad", 2008, ["AMC"])
    assert found.external_ids.model_dump(exclude_none=True) == {
        "tmdb": 1396,
        "imdb": "tt0903747",
        "tvdb": 81189,
    }
    assert [c.name for c in found.cast] == ["Bryan Cranston"]
    assert server.paths() == ["/3/search/tv", "/3/tv/1396"]
    assert server.requests[0].query["first_air_date_year"] == "2008"
    assert server.requests[1].query["append_to_response"] == "credits,external_ids"


def test_a_v4_token_travels_as_a_bearer_header(server: FixtureServer) -> None:
    _client(server, key="eyJhbGciOiJIUzI1NiJ9.token").movie("Blade Runner", 1982)
    assert "api_key" not in server.requests[0].query
    assert server.requests[0].headers["Authorization"] == "Bearer eyJhbGciOiJIUzI1NiJ9.token"


def test_without_a_key_the_client_is_disabled_and_asks_nothing(server: FixtureServer) -> None:
    client = _client(server, key=None)
    assert not client.enabled
    assert client.movie("Blade Runner", 1982) is None
    assert client.series("Breaking Bad") is None
    assert server.requests == []


def test_a_second_lookup_is_answered_from_the_cache(server: FixtureServer) -> None:
    cache = MemoryCache()
    first = _client(server, cache=cache).movie("Blade Runner", 1982)
    asked = len(server.requests)
    # a new client sharing the cache, as after a restart with the DynamoDB cache
    again = _client(server, cache=cache).movie("Blade Runner", 1982)
    assert again == first
    assert len(server.requests) == asked == 2
    assert all("KEY123" not in key for key in cache._data)  # no secret in cache keys


def test_a_503_is_retried(server: FixtureServer) -> None:
    server.failures["/3/search/movie"] = [503]
    assert _client(server).movie("Blade Runner", 1982) is not None
    assert server.paths() == ["/3/search/movie", "/3/search/movie", "/3/movie/78"]


def test_it_gives_up_after_the_retries(server: FixtureServer) -> None:
    server.failures["/3/search/movie"] = [503, 429, 502]
    with pytest.raises(EnrichError, match="gave up after 3 tries"):
        _client(server, retries=2).movie("Blade Runner", 1982)
    assert len(server.requests) == 3


def test_a_client_error_is_not_retried(server: FixtureServer) -> None:
    server.failures["/3/search/movie"] = [401]
    with pytest.raises(EnrichError, match="HTTP 401"):
        _client(server).movie("Blade Runner", 1982)
    assert len(server.requests) == 1


def test_no_match_is_none_and_not_found_is_cached(server: FixtureServer) -> None:
    client = _client(server, base_url=f"{server.url}/nothing")
    assert client.movie("Blade Runner", 1982) is None
    assert client.movie("Blade Runner", 1982) is None
    assert server.paths() == ["/nothing/search/movie"]

"""MusicBrainz and the Cover Art Archive against recorded responses; the 1 request/s limit
measured on the server's clock (3 requests: about 2 s)."""

from __future__ import annotations

from itertools import pairwise

from tests.unit.media.enrich.conftest import ALBUM, FixtureServer
from viewra.media.enrich.musicbrainz import MusicBrainzClient
from viewra.media.enrich.ratelimit import RateLimiter

UA = "Viewra-test/0.1 ( https://example.invalid/viewra )"


def _client(server: FixtureServer, **kw) -> MusicBrainzClient:
    return MusicBrainzClient(
        user_agent=UA,
        base_url=f"{server.url}/ws/2",
        cover_art_url=f"{server.url}/caa",
        backoff=0.01,
        **kw,
    )


def test_a_track_is_found_by_its_tags_with_release_and_cover(server: FixtureServer) -> None:
    found = _client(server, limiter=RateLimiter(100, 1.0)).track(
        "Paranoid Android", "Radiohead", "OK Computer"
    )
    assert found is not None
    assert (found.title, found.artist, found.album, found.year) == (
        "Paranoid Android",
        "Radiohead",
        "OK Computer",
        1997,
    )
    assert found.genres == ["alternative rock", "art rock"]
    assert found.cover_url == f"http://coverartarchive.org/release/{ALBUM}/1111-500.jpg"
    ids = found.external_ids
    assert ids.musicbrainz_recording == "9f9f4e2c-8a4c-4b8e-9b8a-2a1a6f0c1d11"
    assert ids.musicbrainz_release == ALBUM  # the tagged album, not the first release (single)
    assert ids.musicbrainz_artist == "a74b1b7f-71a5-4011-9441-d0b5e4122711"
    assert ids.musicbrainz_release_group == "c7d2d5c4-ff30-3ba6-8ac6-f1e0fd7a7bff"

    search, release, cover = server.requests
    assert search.path == "/ws/2/recording"
    assert search.query == {
        "query": 'recording:"Paranoid Android" AND artist:"Radiohead" AND release:"OK Computer"',
        "fmt": "json",
        "limit": "5",
    }
    assert release.path == f"/ws/2/release/{ALBUM}"
    assert release.query["fmt"] == "json"
    assert cover.path == f"/caa/release/{ALBUM}"
    assert all(r.headers["User-Agent"] == UA for r in server.requests)


def test_quotes_in_tags_are_escaped_in_the_query(server: FixtureServer) -> None:
    _client(server, limiter=RateLimiter(100, 1.0)).search_recording('Say "Hi"', None, None)
    assert server.requests[0].query["query"] == 'recording:"Say \\"Hi\\""'


def test_musicbrainz_requests_are_at_least_a_second_apart(server: FixtureServer) -> None:
    client = _client(server)  # the default limiter: 1 request per second
    for title in ("One", "Two", "Three"):  # distinct, so the cache does not answer
        client.search_recording(title, "Artist")
    times = [r.at for r in server.requests]
    assert len(times) == 3
    gaps = [b - a for a, b in pairwise(times)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # 50 ms for the server's own scheduling
    assert sum(gaps) < 4


def test_a_release_without_cover_art_has_no_cover(server: FixtureServer) -> None:
    assert _client(server).cover_url("00000000-0000-0000-0000-000000000000") is None
    assert server.paths() == ["/caa/release/00000000-0000-0000-0000-000000000000"]

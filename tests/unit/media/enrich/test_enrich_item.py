"""``enrich_item``: the right service per kind, a typed result, failures recorded not raised."""

from __future__ import annotations

from tests.unit.media.enrich.conftest import FixtureServer
from viewra.media.enrich.core import Clients, enrich_item
from viewra.media.enrich.models import Enrichment, ExternalIds, Person
from viewra.media.enrich.musicbrainz import MusicBrainzClient
from viewra.media.enrich.ratelimit import RateLimiter
from viewra.media.enrich.tmdb import TmdbClient
from viewra.media.models.items import ItemKind, MediaItem

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
    updates = result.item_updates(item)
    assert sorted(updates) == ["genres", "metadata"]  # the title and year were the file's
    assert updates["genres"] == ["Science Fiction", "Drama", "Thriller"]
    meta = updates["metadata"]
    assert meta.sources == ["tmdb"]
    assert [(p.name, p.role) for p in meta.cast] == [
        ("Harrison Ford", "Rick Deckard"),
        ("Rutger Hauer", "Roy Batty"),
    ]
    assert meta.external_ids.tmdb == 78 and meta.tagline.startswith("Man has made his match")
    assert meta.poster_url.startswith("https://image.tmdb.org/") and meta.ratings[0].value == 7.9


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
    updates = result.item_updates(item)
    assert {k: updates[k] for k in ("year", "album")} == {"year": 1997, "album": "Paranoid Android"}
    ids = updates["metadata"].external_ids
    assert ids.musicbrainz_artist == "a74b1b7f-71a5-4011-9441-d0b5e4122711"
    assert ids.musicbrainz_recording and ids.musicbrainz_release
    assert updates["metadata"].cast == [] and updates["metadata"].poster_url is None


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


def test_metadata_fills_only_the_gaps_of_what_the_item_has() -> None:
    from viewra.media.models.items import ItemMetadata

    own = ItemMetadata(
        sources=["nfo"],
        tagline="Mine",
        cast=[Person(name="A", order=0)],
        external_ids=ExternalIds(imdb="tt1"),
    )
    item = _item(kind=ItemKind.MOVIE, title="T", metadata=own)
    found = Enrichment(
        sources=["tmdb"],
        tagline="Theirs",
        poster_url="https://img/p.jpg",
        cast=[Person(name="B", order=0)],
        external_ids=ExternalIds(imdb="tt2", tmdb=9),
    )

    meta = found.item_updates(item)["metadata"]

    assert (meta.tagline, [p.name for p in meta.cast]) == ("Mine", ["A"])  # the NFO's stand
    assert (meta.poster_url, meta.external_ids.imdb, meta.external_ids.tmdb) == (
        "https://img/p.jpg",
        "tt1",
        9,
    )
    assert meta.sources == ["nfo", "tmdb"]
    # enriched again with the same answer: nothing left to write
    assert found.item_updates(item.model_copy(update={"metadata": meta})) == {}


def test_the_item_keeps_the_first_of_a_long_cast_in_billing_order() -> None:
    from viewra.media.models.items import MAX_CAST

    cast = [Person(name=f"P{i}", order=i) for i in reversed(range(MAX_CAST + 15))]
    meta = Enrichment(sources=["tmdb"], cast=cast).item_metadata()

    assert meta is not None
    assert [p.name for p in meta.cast] == [f"P{i}" for i in range(MAX_CAST)]


def test_a_result_with_nothing_beyond_the_item_fields_adds_no_metadata() -> None:
    found = Enrichment(sources=["tmdb"], title="T", genres=["Drama"])

    assert found.item_metadata() is None
    assert "metadata" not in found.item_updates(_item(kind=ItemKind.MOVIE))

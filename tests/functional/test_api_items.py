"""Listing, filtering, sorting and paging items through the API; never a DynamoDB Scan."""

from __future__ import annotations

import pytest

from tests.functional.spy import aws_calls
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem, MediaStream, StreamType

CATALOGUE = [
    # key, kind, title, year, genres, video (codec, w, h), audio codec, extra
    (
        "movies/alien.mkv",
        "movie",
        "Alien",
        1979,
        ["Horror", "Science Fiction"],
        ("hevc", 3840, 2160),
        "ac3",
        {},
    ),
    (
        "movies/the-thing.mkv",
        "movie",
        "The Thing",
        1982,
        ["Horror"],
        ("h264", 1920, 1080),
        "aac",
        {},
    ),
    (
        "movies/amelie.mp4",
        "movie",
        "Amélie",
        2001,
        ["Comedy", "Romance"],
        ("h264", 1280, 720),
        "aac",
        {},
    ),
    ("movies/heat.mp4", "movie", "Heat", 1995, ["Crime"], ("h264", 720, 480), "ac3", {}),
    (
        "shows/office/s02e03.mkv",
        "episode",
        "The Fire",
        2005,
        ["Comedy"],
        ("h264", 1920, 1080),
        "aac",
        {"series": "The Office", "season": 2, "episode": 3},
    ),
    (
        "music/a/01.flac",
        "track",
        "Teardrop",
        1998,
        ["Trip Hop"],
        None,
        "flac",
        {"artist": "Massive Attack", "album": "Mezzanine"},
    ),
]


def _item(lib: str, n: int, row) -> MediaItem:
    key, kind, title, year, genres, video, audio, extra = row
    streams = []
    if video:
        streams.append(
            MediaStream(
                index=0, type=StreamType.VIDEO, codec=video[0], width=video[1], height=video[2]
            )
        )
    streams.append(MediaStream(index=len(streams), type=StreamType.AUDIO, codec=audio))
    return MediaItem(
        id=f"id{n:02d}",
        library_id=lib,
        bucket="b",
        key=key,
        etag="e",
        kind=ItemKind(kind),
        title=title,
        year=year,
        genres=genres,
        streams=streams,
        added_at=f"2026-11-0{n + 1}T00:00:00.000Z",
        **extra,
    )


@pytest.fixture
def catalogue(services):
    for n, row in enumerate(CATALOGUE):
        lib = row[0].split("/")[0]
        assert services.catalog.put(_item(lib, n, row), order="1")
    services.catalog.put(
        MediaItem(
            id="bad",
            library_id="movies",
            bucket="b",
            key="movies/x.mp4",
            etag="e",
            status=ItemStatus.FAILED,
            failure_reason="no stream",
            title="x.mp4",
            added_at="2026-11-09T00:00:00.000Z",
        ),
        order="1",
    )
    return services


def titles(api, query: str) -> list[str]:
    r = api.http.get(f"/items?{query}")
    assert r.status_code == 200, r.json_body
    return [i["title"] for i in r.json_body["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alien", "Amélie", "The Fire", "Heat", "Teardrop", "The Thing"]),
        ("sort=title&order=desc", ["The Thing", "Teardrop", "Heat", "The Fire", "Amélie", "Alien"]),
        ("sort=year", ["Alien", "The Thing", "Heat", "Teardrop", "Amélie", "The Fire"]),
        ("sort=added&order=desc", ["Teardrop", "The Fire", "Heat", "Amélie", "The Thing", "Alien"]),
        ("library=movies", ["Alien", "Amélie", "Heat", "The Thing"]),
        ("type=episode", ["The Fire"]),
        ("genre=horror", ["Alien", "The Thing"]),
        ("year_min=1980&year_max=2000", ["Heat", "Teardrop", "The Thing"]),
        ("year_min=1980&year_max=2000&sort=year", ["The Thing", "Heat", "Teardrop"]),
        ("video_codec=hevc", ["Alien"]),
        ("audio_codec=ac3", ["Alien", "Heat"]),
        ("resolution=1080p", ["The Fire", "The Thing"]),
        ("resolution=sd", ["Heat"]),
        ("q=office", ["The Fire"]),
        ("q=massive", ["Teardrop"]),
        ("q=THING", ["The Thing"]),
        ("library=movies&genre=horror&video_codec=h264", ["The Thing"]),
        ("status=failed", ["x.mp4"]),
    ],
)
def test_filters_and_sorts(api, catalogue, query: str, expected: list[str]) -> None:
    assert titles(api, query) == expected


def test_cursor_pagination_walks_every_item_once(api, catalogue) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=2&sort=added" + (f"&cursor={cursor}" if cursor else "")
        body = api.http.get(f"/items?{query}").json_body
        seen += [i["title"] for i in body["items"]]
        pages += 1
        cursor = body["cursor"]
        if not cursor:
            break
    assert seen == ["Alien", "The Thing", "Amélie", "Heat", "The Fire", "Teardrop"]
    assert pages == 3


def test_paging_with_a_filter_fills_pages(api, catalogue) -> None:
    body = api.http.get("/items?genre=horror&limit=1").json_body
    assert [i["title"] for i in body["items"]] == ["Alien"]
    body = api.http.get(f"/items?genre=horror&limit=1&cursor={body['cursor']}").json_body
    assert [i["title"] for i in body["items"]] == ["The Thing"]
    assert body["cursor"] is None


def test_listing_queries_indexes_and_never_scans(api, catalogue) -> None:
    with aws_calls() as calls:
        for query in (
            "",
            "sort=year&year_min=1990",
            "library=movies&sort=added",
            "q=alien&genre=x",
        ):
            assert api.http.get(f"/items?{query}").status_code == 200
    ops = [op for op, _ in calls]
    assert "Scan" not in ops
    assert ops.count("Query") >= 4
    item_queries = [p for op, p in calls if op == "Query" and p["TableName"].endswith("items")]
    assert item_queries and all(p.get("IndexName") for p in item_queries)
    # the search reads its own table by key (a token's partition), not the items
    assert any(p["TableName"].endswith("search") for op, p in calls if op == "Query")


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("cursor=garbage", 400, "InvalidCursor"),
        ("limit=0", 422, "ValidationError"),
        ("sort=size", 422, "ValidationError"),
        ("year_min=2000&year_max=1990", 422, "ValidationError"),
        ("type=book", 422, "ValidationError"),
    ],
)
def test_bad_listing_parameters(api, catalogue, query: str, status: int, code: str) -> None:
    r = api.http.get(f"/items?{query}")
    assert (r.status_code, r.json_body["error"]["code"]) == (status, code)


def test_cursor_from_another_sort_is_refused(api, catalogue) -> None:
    cursor = api.http.get("/items?limit=1&sort=year").json_body["cursor"]
    r = api.http.get(f"/items?limit=1&sort=title&cursor={cursor}")
    assert r.status_code == 400


def test_item_detail_and_404(api, catalogue) -> None:
    body = api.http.get("/items/id00").json_body
    assert body["title"] == "Alien" and body["streams"][0]["codec"] == "hevc"
    assert body["artwork_url"] is None
    r = api.http.get("/items/missing")
    assert (r.status_code, r.json_body["error"]["code"]) == (404, "NotFound")


def test_listed_items_carry_their_artwork_url(api, catalogue) -> None:
    """The web app's grids show covers without asking for each item."""
    item = catalogue.catalog.get("id01")
    key = "artwork/ab/cd/abcd.jpg"
    assert catalogue.catalog.put(item.model_copy(update={"artwork_key": key}), order="2")
    listed = {i["id"]: i for i in api.http.get("/items?library=movies").json_body["items"]}
    assert key in listed["id01"]["artwork_url"] and "Signature=" in listed["id01"]["artwork_url"]
    assert listed["id00"]["artwork_url"] is None
    assert api.http.get("/items/id01").json_body["artwork_url"].split("?")[0].endswith(key)


def test_search_cursor_from_another_query_is_refused(api, catalogue) -> None:
    """A search cursor names a read of its own query (a partition of the search table): given
    to another query it is a clear 400, not an error of the store."""
    first = api.http.get("/items?q=the&limit=1").json_body
    assert first["cursor"]
    for q in ("alien", "the thing", "thing alien"):
        r = api.http.get(f"/items?q={q}&limit=1&cursor={first['cursor']}")
        assert (r.status_code, r.json_body["error"]["code"]) == (400, "InvalidCursor"), q
    again = api.http.get(f"/items?q=the&limit=5&cursor={first['cursor']}")
    assert again.status_code == 200

"""Type and genre filters read only items of that type or genre: the kind indexes of the items
table and the genre rows of the search table, in every sort, both ways, paged with a cursor,
with library scopes, grants and a year range; an items table made before the kind indexes gets
them at bootstrap and its items their keys at reindex (in-process moto; the adapters)."""

from __future__ import annotations

import boto3
import pytest

from viewra.common.settings import get_settings
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem
from viewra.media.models.listing import ItemQuery, SortField, SortOrder, StatusFilter
from viewra.storage.bootstrap import bootstrap, missing_indexes

GENRES = ["Noir", "drama", "Comedy"]


def _item(n: int) -> MediaItem:
    kind = ItemKind.TRACK if n % 4 == 0 else ItemKind.MOVIE
    genres = [GENRES[n % 3]] + (["Film-Noir"] if n % 5 == 0 else [])
    return MediaItem(
        id=f"i{n:03d}",
        library_id="films" if n % 2 else "music",
        bucket="b",
        key=f"lib/{n:03d}.mkv",
        etag="e",
        kind=kind,
        title=f"Title {(n * 37) % 100:03d}",
        year=1950 + (n * 7) % 60,
        genres=genres,
        status=ItemStatus.FAILED if n % 11 == 0 else ItemStatus.READY,
        added_at=f"2026-01-01T00:00:{n:02d}.000000Z" if n < 60 else f"2026-01-02T00:{n:02d}Z",
    )


ITEMS = [_item(n) for n in range(72)]


@pytest.fixture
def catalog(services):
    for item in ITEMS:
        assert services.catalog.put(item, "0001")
    return services.catalog


def _expected(query: ItemQuery) -> list[str]:
    """Every item the query admits, in its sort's order (ties by id, as the indexes order)."""
    key = {
        SortField.TITLE: lambda i: i.title.casefold(),
        SortField.ADDED: lambda i: i.added_at,
        SortField.YEAR: lambda i: i.year,
    }[query.sort]
    found = [i for i in ITEMS if query.admits(i)]
    found.sort(key=lambda i: (key(i), i.id), reverse=query.order is SortOrder.DESC)
    return [i.id for i in found]


def _walk(catalog, query: ItemQuery) -> tuple[list[str], list[tuple[int, int]]]:
    """Every page of ``query``: the ids in order, and (read, returned) of each page."""
    ids: list[str] = []
    costs = []
    cursor = None
    for _ in range(100):
        page = catalog.query(query.model_copy(update={"cursor": cursor}))
        ids += [i.id for i in page.items]
        costs.append((page.read, len(page.items)))
        cursor = page.cursor
        if cursor is None:
            return ids, costs
    raise AssertionError("the pages never ended")


QUERIES = [
    {"genre": "noir"},
    {"genre": "NOIR", "sort": SortField.TITLE, "order": SortOrder.DESC},
    {"genre": "drama", "sort": SortField.ADDED},
    {"genre": "comedy", "sort": SortField.YEAR, "order": SortOrder.DESC},
    {"genre": "film-noir", "library": "films"},
    {"genre": "noir", "type": ItemKind.TRACK},
    {"genre": "drama", "sort": SortField.YEAR, "year_min": 1970, "year_max": 1990},
    {"genre": "comedy", "sort": SortField.TITLE, "year_min": 1980},
    {"genre": "noir", "status": StatusFilter.ALL},
    {"genre": "noir", "status": StatusFilter.FAILED},
    {"genre": "drama", "libraries": frozenset({"music"})},
    {"type": ItemKind.TRACK},
    {"type": ItemKind.MOVIE, "library": "films", "sort": SortField.ADDED, "order": SortOrder.DESC},
    {"type": ItemKind.MOVIE, "sort": SortField.YEAR, "year_min": 1960, "year_max": 1980},
    {"type": ItemKind.TRACK, "libraries": frozenset({"music"}), "status": StatusFilter.ALL},
]


def _facet(query: ItemQuery) -> list[MediaItem]:
    """The items a filtered read may touch: those of its genre (or kind) in its library, and
    in its years when it sorts by year (the key condition); status, grants and other filters
    are checked on each row or item read."""
    return [
        i
        for i in ITEMS
        if (not query.genre or query.genre.casefold() in {g.casefold() for g in i.genres})
        and (query.genre or query.type is None or i.kind is query.type)
        and (query.library is None or i.library_id == query.library)
        and (
            query.sort is not SortField.YEAR
            or (query.year_min or 0) <= i.year <= (query.year_max or 9999)
        )
    ]


@pytest.mark.parametrize("fields", QUERIES, ids=[str(q) for q in QUERIES])
def test_filtered_pages_walk_the_answer_once_in_order_reading_only_their_facet(
    catalog, fields
) -> None:
    query = ItemQuery(limit=4, **fields)
    ids, costs = _walk(catalog, query)
    assert ids == _expected(query)
    assert len(ids) >= 2  # the cases are not empty
    assert all(returned == 4 for _, returned in costs[:-1])
    # rows (or index entries) of the facet once each; per page, a row read ahead, one read
    # again to resume, one more to refill a page a filter thinned; the items genre rows name
    rows = len(_facet(query)) + 3 * len(costs)
    assert sum(read for read, _ in costs) <= rows + (len(ids) if query.genre else 0)


def test_a_page_with_only_the_facet_filter_reads_twice_what_it_returns(catalog) -> None:
    for query in (
        ItemQuery(genre="drama", limit=5, status=StatusFilter.ALL),
        ItemQuery(type=ItemKind.MOVIE, limit=5, status=StatusFilter.ALL),
    ):
        page = catalog.query(query)
        assert len(page.items) == 5 and page.cursor
        assert page.read <= 2 * 5 + 1


def test_a_genre_nobody_has_reads_nothing(catalog) -> None:
    page = catalog.query(ItemQuery(genre="western", limit=5))
    assert page.items == [] and page.cursor is None and page.read == 0


def test_genre_rows_follow_replace_and_remove(catalog) -> None:
    item = ITEMS[4]  # drama, ready
    assert item.id in _walk(catalog, ItemQuery(genre="drama", limit=50))[0]
    assert catalog.put(item.model_copy(update={"genres": ["Western"]}), "0002")
    assert item.id not in _walk(catalog, ItemQuery(genre="drama", limit=50))[0]
    assert _walk(catalog, ItemQuery(genre="western"))[0] == [item.id]
    assert catalog.remove(item.id, "0003", "2026-12-05T00:00:00Z")
    assert _walk(catalog, ItemQuery(genre="western", status=StatusFilter.ALL))[0] == []
    assert item.id not in _walk(catalog, ItemQuery(type=ItemKind.MOVIE, limit=100))[0]


def test_a_cursor_of_another_genre_is_refused(catalog) -> None:
    from viewra.common.errors import BadRequest

    page = catalog.query(ItemQuery(genre="drama", limit=2))
    assert page.cursor
    with pytest.raises(BadRequest):
        catalog.query(ItemQuery(genre="comedy", limit=2, cursor=page.cursor))
    with pytest.raises(BadRequest):
        catalog.query(ItemQuery(genre="drama", library="films", limit=2, cursor=page.cursor))


def test_an_items_table_without_kind_indexes_gets_them_and_reindex_keys_old_items(
    services,
) -> None:
    settings = get_settings()
    ddb = boto3.client("dynamodb", region_name=settings.region)
    table = settings.table_name("items")
    for name in ("kind-title", "libkind-year"):
        ddb.update_table(
            TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": name}}]
        )
    catalog = services.catalog
    for item in ITEMS[:8]:
        assert catalog.put(item, "0001")
    for item in ITEMS[:8]:  # as an earlier version wrote them: no kind keys
        ddb.update_item(
            TableName=table,
            Key={"id": {"S": item.id}},
            UpdateExpression="REMOVE kind_all, kind_lib",
        )
    assert missing_indexes(settings) == [f"{table}/kind-title", f"{table}/libkind-year"]
    bootstrap(settings, visibility_timeout=30)
    assert missing_indexes(settings) == []  # what `make run` reads to reindex once
    names = {
        g["IndexName"]
        for g in ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    }
    assert {"kind-title", "libkind-year"} <= names
    query = ItemQuery(type=ItemKind.MOVIE, status=StatusFilter.ALL)
    assert catalog.query(query).items == []  # their keys are not there yet
    catalog.reindex()
    expected = [i.id for i in sorted(ITEMS[:8], key=lambda i: i.title) if i.kind is ItemKind.MOVIE]
    assert [i.id for i in catalog.query(query).items] == expected
    library = ItemQuery(type=ItemKind.MOVIE, library="films", sort=SortField.YEAR)
    assert {i.id for i in catalog.query(library).items} == {
        i.id for i in ITEMS[:8] if i.library_id == "films" and i.status is ItemStatus.READY
    }

"""The search rows and the counts follow every item write, replace and remove, under redelivery
and under two writers racing on one item (in-process moto; the storage adapters themselves)."""

from __future__ import annotations

import threading

from viewra.local.reindex import rows_stale
from viewra.media.models.catalogue import CatalogueCounts
from viewra.media.models.items import ItemKind, ItemMetadata, ItemStatus, MediaItem, Person
from viewra.media.models.listing import ItemQuery, SortField, StatusFilter
from viewra.media.models.search import OVER, PAIR, PAIR_CAP, index_rows


def _item(
    title: str, *, lib: str = "lib", status: ItemStatus = ItemStatus.READY, **kw
) -> MediaItem:
    fields = {"id": "i1", "bucket": "b", "key": f"{lib}/{title}.mkv", "etag": "e"}
    fields.update({"kind": ItemKind.MOVIE, **kw})
    return MediaItem(library_id=lib, title=title, status=status, **fields)


def _rows(services, item_id: str) -> set[tuple[str, str]]:
    return set(services.catalog.search_index.rows_of(item_id))


def _expected(item: MediaItem) -> set[tuple[str, str]]:
    return {(r.p, r.r) for r in index_rows(item)}


def _ids(services, q: str, **kw) -> list[str]:
    return [i.id for i in services.catalog.query(ItemQuery(q=q, **kw)).items]


def test_rows_follow_put_replace_and_remove(services) -> None:
    catalog = services.catalog
    first = _item("Blade Runner")
    assert catalog.put(first, "0001")
    assert _rows(services, "i1") == _expected(first)
    assert any(p.startswith(PAIR) for p, _ in _rows(services, "i1"))  # pair rows among them
    assert _ids(services, "blade") == ["i1"] and _ids(services, "runner blade") == ["i1"]
    second = _item("Solaris Ocean")
    assert catalog.put(second, "0002")  # the object replaced: the old words and pairs go
    assert _rows(services, "i1") == _expected(second)
    assert _ids(services, "blade") == [] and _ids(services, "sol") == ["i1"]
    assert _ids(services, "blade runner") == [] and _ids(services, "ocean sol") == ["i1"]
    assert not catalog.put(first, "0001")  # a late delivery of the older event changes nothing
    assert _rows(services, "i1") == _expected(second)
    assert catalog.remove("i1", "0003", "2026-12-04T00:00:00Z")
    assert _rows(services, "i1") == set()
    assert _ids(services, "sol", status=StatusFilter.ALL) == []
    assert _ids(services, "solaris ocean", status=StatusFilter.ALL) == []


def test_two_writers_racing_leave_the_rows_of_the_last_version(services) -> None:
    """Threads write versions of one item in a scrambled order, many times; whatever wins, the
    rows are those of the version the record holds."""
    catalog = services.catalog
    # pair rows differ per version; every other version is over the pair cap (overflow rows)
    cast = [Person(name=f"Actor{k} Name{k}") for k in range(PAIR_CAP // 2)]
    versions = [
        (
            f"{n:04d}",
            _item(
                f"Title{n} word{n % 3}",
                metadata=ItemMetadata(cast=cast) if n % 2 else None,
            ),
        )
        for n in range(8)
    ]
    barrier = threading.Barrier(len(versions))

    def write(order: str, item: MediaItem) -> None:
        barrier.wait()
        catalog.put(item, order)

    threads = [threading.Thread(target=write, args=v) for v in reversed(versions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = catalog.get("i1")
    assert final is not None and final.title == "Title7 word1"  # the latest event won
    assert _rows(services, "i1") == _expected(final)
    assert any(p.startswith(OVER) for p, _ in _rows(services, "i1"))
    assert _ids(services, "title7 word1") == ["i1"] and _ids(services, "title6 word0") == []
    assert _ids(services, "word1 actor3") == ["i1"]  # paired words
    assert _ids(services, "word1 actor7") == ["i1"]  # a cast word past the cap: overflow rows
    assert catalog.counts_of("lib") == CatalogueCounts(total=1, ready=1, by_kind={"movie": 1})


def test_an_item_keeps_the_time_it_was_added_whoever_writes_it_again(services) -> None:
    """Workers probing one object at once (a redelivered event) each stamp their own "now";
    the record keeps the first, in the item and in the added-order listing. An item removed
    and dropped again is new again."""
    catalog = services.catalog
    stamps = [f"2026-12-05T10:00:{n:02d}.000Z" for n in range(6)]
    barrier = threading.Barrier(len(stamps))

    def write(stamp: str) -> None:
        barrier.wait()
        catalog.put(_item("Stalker", added_at=stamp), "0001")

    threads = [threading.Thread(target=write, args=(s,)) for s in stamps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = catalog.get("i1")
    assert first is not None and first.added_at in stamps
    assert catalog.put(_item("Stalker", added_at="2026-12-06T00:00:00.000Z"), "0002")
    replaced = catalog.get("i1")
    assert replaced is not None and replaced.added_at == first.added_at
    other = _item("Mirror", id="i2", added_at="2026-12-05T11:00:00.000Z")
    assert catalog.put(other, "0001")
    by_added = catalog.query(ItemQuery(sort=SortField.ADDED)).items
    assert [i.id for i in by_added] == ["i1", "i2"]  # the index key kept the first stamp too
    assert catalog.remove("i1", "0003", "2026-12-06T00:00:01Z")
    assert catalog.put(_item("Stalker", added_at="2026-12-07T00:00:00.000Z"), "0004")
    again = catalog.get("i1")
    assert again is not None and again.added_at == "2026-12-07T00:00:00.000Z"


def test_counts_follow_status_moves_redelivery_and_removal(services) -> None:
    catalog = services.catalog
    for n in range(3):
        assert catalog.put(_item(f"T{n}", id=f"m{n}"), "0001")
    assert catalog.put(_item("Song", id="s0", kind=ItemKind.TRACK), "0001")
    assert catalog.put(_item("Other", id="o0", lib="other"), "0001")
    for _ in range(2):  # the same event delivered again counts nothing more
        assert catalog.put(_item("T0", id="m0"), "0001")
    assert catalog.counts_of("lib") == CatalogueCounts(
        total=4, ready=4, by_kind={"movie": 3, "track": 1}
    )
    # an item that now fails moves from ready to failed; one removed leaves
    assert catalog.put(_item("T1", id="m1", status=ItemStatus.FAILED), "0002")
    assert catalog.remove("m2", "0002", "2026-12-04T00:00:00Z")
    assert catalog.remove("m2", "0002", "2026-12-04T00:00:00Z")  # redelivered
    assert catalog.counts_of("lib") == CatalogueCounts(
        total=3, ready=2, failed=1, by_kind={"movie": 2, "track": 1}
    )
    assert catalog.counts_of("all").total == 4
    # reindex rebuilds the same counts and rows from the items
    catalog.counts.clear()
    catalog.search_index.clear()
    assert rows_stale(services.settings)  # rows of no known rules: `make run` reindexes
    items, _ = catalog.reindex()
    assert items == 5
    assert not rows_stale(services.settings)
    assert _ids(services, "song") == ["s0"]  # the marker row answers no search
    assert _rows(services, "m0") == _expected(catalog.get("m0"))  # pair rows included
    assert catalog.counts_of("lib").failed == 1 and catalog.counts_of("lib").total == 3
    assert _ids(services, "song") == ["s0"]


def test_search_applies_filters_and_library_grants(services) -> None:
    catalog = services.catalog
    catalog.put(_item("Night Train", id="a", lib="films"), "1")
    catalog.put(_item("Night Songs", id="b", lib="music", kind=ItemKind.TRACK), "1")
    catalog.put(_item("Night", id="c", lib="films", year=1999), "1")
    assert _ids(services, "night") == ["c", "a", "b"]  # the exact title first
    assert _ids(services, "night", type=ItemKind.TRACK) == ["b"]
    assert _ids(services, "night", library="films") == ["c", "a"]
    assert _ids(services, "night", libraries=frozenset({"music"})) == ["b"]
    assert _ids(services, "night", libraries=frozenset()) == []
    assert _ids(services, "night", year_min=1990) == ["c"]
    page = catalog.query(ItemQuery(q="night", limit=1))
    assert [i.id for i in page.items] == ["c"] and page.cursor
    rest = catalog.query(ItemQuery(q="night", limit=5, cursor=page.cursor))
    assert [i.id for i in rest.items] == ["a", "b"]


def _read(services, q: str, **kw) -> tuple[list[str], int]:
    page = services.catalog.query(ItemQuery(q=q, **kw))
    return [i.id for i in page.items], page.read


def test_two_words_read_about_what_they_return(services) -> None:
    """One word common (in 60 titles), the pair rare (3): the query reads the pair's rows and
    the items they name, not the common word's rows."""
    catalog = services.catalog
    fillers = ["Amber", "Basalt", "Cobalt", "Dune", "Ember", "Fjord"]
    for n in range(60):
        catalog.put(_item(f"Horizon {fillers[n % 6]} {n}", id=f"c{n:02d}"), "1")
    catalog.put(_item("Kalfin Dawn", id="k0"), "1")  # the rare word alone
    catalog.put(_item("Horizon Kalfin", id="p0"), "1")  # the exact title
    catalog.put(_item("Kalfin Over The Horizon", id="p1"), "1")  # both in the title
    catalog.put(_item("Dusk", id="p2", artist="Horizon Kalfin", kind=ItemKind.TRACK), "1")
    for q in ("horizon kalfin", "kalfin horizon", "horizon kalf", "hor kalfin"):
        ids, read = _read(services, q)
        assert ids == ["p0", "p1", "p2"], q  # exact title or title words, then other fields
        exact = 1 if q == "horizon kalfin" else 0  # its pair row is read again, and skipped
        assert read <= 2 * len(ids) + exact, (q, read)
    ids, read = _read(services, "horizon amber")
    assert len(ids) == 10 and read <= 2 * len(ids)
    assert _ids(services, "horizon zebra") == []


def test_a_pair_past_the_cap_is_found_once_across_pages(services) -> None:
    """Items with more tokens than they pair answer a pair of a title word and a late cast
    word from their overflow rows, after the items that pair it, each once over the pages."""
    catalog = services.catalog
    cast = [Person(name=f"Player{k} Role{k}") for k in range(PAIR_CAP)]
    for n in range(4):
        meta = ItemMetadata(cast=cast)
        catalog.put(_item(f"Nebula {n}", id=f"big{n}", metadata=meta), "1")
    catalog.put(_item("Nebula Player15", id="small"), "1")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = catalog.query(ItemQuery(q="nebula player15", limit=2, cursor=cursor))
        seen += [i.id for i in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == ["small", "big0", "big1", "big2", "big3"]

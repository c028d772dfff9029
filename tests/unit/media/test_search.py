"""viewra.media.models.search: the table of cases in tests/data/search/cases.yml.

The rank cases run the pure rules over an in-memory copy of the search table: every item's
rows, sorted by (partition, sort key), read per class as the adapter reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from viewra.media.models.items import ItemKind, ItemMetadata, ItemStatus, MediaItem, Person
from viewra.media.models.search import (
    OVER,
    PAIR,
    PAIR_CAP,
    index_rows,
    item_matches,
    plan,
    reads,
    row_matches,
    tokens,
)

CASES = yaml.safe_load((Path(__file__).parents[2] / "data/search/cases.yml").read_text())


def _item(spec: dict) -> MediaItem:
    meta = None
    if spec.get("original_title") or spec.get("cast"):
        meta = ItemMetadata(
            original_title=spec.get("original_title"),
            cast=[Person(name=n) for n in spec.get("cast", [])],
        )
    fields = {k: v for k, v in spec.items() if k not in {"original_title", "cast"}}
    return MediaItem(
        **fields, library_id="lib", bucket="b", etag="e", kind=ItemKind.MOVIE, metadata=meta
    )


def _search(rows: list, q: str) -> list[str]:
    search = plan(q)
    if search is None:
        return []
    found = []
    for partition, prefix in reads(search):
        for row in rows:
            hit = row.p == partition and (prefix is None or row.r.startswith(prefix))
            if hit and row_matches(row, search):
                found.append(row.item_id)
    return found


def test_the_table_of_cases() -> None:
    failures = []
    for case in CASES["tokens"]:
        if tokens(case["text"]) != case["words"]:
            failures.append(f"tokens({case['text']!r}) = {tokens(case['text'])}")
    rows = sorted(
        (row for spec in CASES["catalogue"] for row in index_rows(_item(spec))),
        key=lambda r: (r.p, r.r),
    )
    for case in CASES["rank"]:
        got = _search(rows, case["q"])
        if got != case["ids"]:
            failures.append(f"{case['q']!r}: {got} != {case['ids']}")
    assert failures == []


def test_a_removed_item_has_no_rows() -> None:
    item = _item(CASES["catalogue"][0]).model_copy(update={"status": ItemStatus.REMOVED})
    assert index_rows(item) == []
    assert index_rows(_item(CASES["catalogue"][0]))  # and the same item listed has some


@pytest.mark.parametrize("q", ["a", "al", "ali", "alien"])
def test_each_item_answers_once(q: str) -> None:
    rows = sorted(
        (row for spec in CASES["catalogue"] for row in index_rows(_item(spec))),
        key=lambda r: (r.p, r.r),
    )
    got = _search(rows, q)
    assert len(got) == len(set(got))


def _movie(item_id: str, title: str, cast: tuple[str, ...] = (), **kw) -> MediaItem:
    meta = ItemMetadata(cast=[Person(name=n) for n in cast]) if cast else None
    return MediaItem(
        id=item_id,
        title=title,
        library_id="lib",
        bucket="b",
        key=f"m/{item_id}.mkv",
        etag="e",
        kind=ItemKind.MOVIE,
        metadata=meta,
        **kw,
    )


def _pairs(item: MediaItem) -> set[tuple[str, str]]:
    return {(r.p, r.r) for r in index_rows(item) if r.p.startswith(PAIR)}


def test_pair_rows_of_an_item() -> None:
    """Per unordered pair of distinct tokens of 3+ characters, one row in the partition of
    (smaller's shard, larger's shard), sorted by the larger; accents folded; short tokens and
    tokens sharing a shard on the smaller side make no more rows."""
    item = _movie("m1", "Été à Zürich", artist="Bo Zola")
    assert _pairs(item) == {
        ("&ete zol", "2zola m1"),
        ("&ete zur", "1zurich m1"),
        ("&zol zur", "1zurich m1"),
    }
    two = _movie("m2", "Alien Aliens Zed")  # alien and aliens: one shard on the smaller side
    assert _pairs(two) == {
        ("&ali ali", "1aliens m2"),
        ("&ali zed", "1zed m2"),
    }
    assert not any(r.p.startswith(OVER) for r in index_rows(item))


def test_pairs_are_bounded_and_the_rest_overflow() -> None:
    cast = tuple(f"Actor{n:02d} Surname{n:02d}" for n in range(12))
    item = _movie("big", "Deep Space Nine", cast=cast)
    rows = index_rows(item)
    pairs = [r for r in rows if r.p.startswith(PAIR)]
    over = [r for r in rows if r.p.startswith(OVER)]
    assert len(pairs) <= PAIR_CAP * (PAIR_CAP - 1) // 2
    paired = pairs[0].paired.split()
    assert len(paired) == PAIR_CAP and paired[:3] == ["deep", "space", "nine"]  # title first
    words = tokens(" ".join(("Deep Space Nine", *cast, "big")))  # big: the file name
    long_tokens = {w for w in words if len(w) >= 3}
    assert {r.r.split()[0][1:] for r in over} == long_tokens - set(paired)  # the rest, once
    assert all(r.paired == pairs[0].paired for r in over)
    small = _movie("small", "Deep Space Nine", cast=cast[:2])
    assert all(not r.paired for r in index_rows(small))


@pytest.mark.parametrize(
    ("query", "lead", "pair", "rest"),
    [
        ("horizon kalfin", "kalfin", "horizon", ("horizon",)),
        ("kalfin horizon", "kalfin", "horizon", ("horizon",)),
        ("the blade runner", "runner", "blade", ("the", "blade")),  # the two longest
        ("blade ru", "blade", None, ("ru",)),  # a short word: read as today, checked on rows
        ("alien ali", "alien", None, ()),  # ali adds nothing to alien
        ("a b", "a", None, ("b",)),
        ("kal", "kal", None, ()),
    ],
)
def test_plan_picks_a_pair(query: str, lead: str, pair: str | None, rest: tuple) -> None:
    search = plan(query)
    assert search is not None
    assert (search.lead, search.pair, search.rest) == (lead, pair, rest)
    if pair is not None:
        assert reads(search)[1] == (f"&{pair[:3]} {lead[:3]}", "1" + lead)


def test_a_prefix_last_word_finds_through_pairs() -> None:
    item = _movie("m", "Horizon Kalfin")
    rows = sorted(index_rows(item), key=lambda r: (r.p, r.r))
    assert _search(rows, "horizon kal") == ["m"]
    assert _search(rows, "hor kalf") == ["m"]
    assert _search(rows, "horizon kalx") == []


_SYLLABLES = ["al", "ali", "en", "ka", "kal", "or", "zu", "é"]
_word = st.lists(st.sampled_from(_SYLLABLES), min_size=1, max_size=3).map("".join)


@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(st.lists(_word, min_size=1, max_size=4), min_size=1, max_size=6),
    casts=st.lists(st.integers(0, 12), min_size=6, max_size=6),
    query=st.lists(_word, min_size=1, max_size=3),
)
def test_reads_answer_what_items_match_once(titles, casts, query) -> None:
    """Whatever the catalogue (items over the pair cap included) and the query, the rows read
    answer exactly the items that match it, each once."""
    items = [
        _movie(
            f"i{n}",
            " ".join(words),
            cast=tuple(f"P{n}x{k} {words[0]}q{k}" for k in range(casts[n % 6])),
        )
        for n, words in enumerate(titles)
    ]
    rows = sorted((r for item in items for r in index_rows(item)), key=lambda r: (r.p, r.r))
    q = " ".join(query)
    search = plan(q)
    assert search is not None
    got = _search(rows, q)
    assert len(got) == len(set(got))
    assert set(got) == {i.id for i in items if item_matches(i, search)}

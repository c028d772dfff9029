"""viewra.media.models.search: the table of cases in tests/data/search/cases.yml.

The rank cases run the pure rules over an in-memory copy of the search table: every item's
rows, sorted by (partition, sort key), read per class as the adapter reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from viewra.media.models.items import ItemKind, ItemMetadata, ItemStatus, MediaItem, Person
from viewra.media.models.search import (
    exact_partition,
    index_rows,
    plan,
    row_matches,
    shard,
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
    for cls in ("0", "1", "2"):
        for row in rows:
            if cls == "0":
                hit = row.p == exact_partition(search.text)
            else:
                hit = row.p == shard(search.lead) and row.r.startswith(cls + search.lead)
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

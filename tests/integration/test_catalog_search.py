"""Search and counts through the running stack: files dropped into the bucket are found by
folded, ranked, ANDed words over HTTP, counted per library and status by GET /libraries, and
leave both when their object is deleted."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import TEST_ENV
from viewra.local.launch import start_stack

pytestmark = pytest.mark.integration


def _counts(stack, library_id: str) -> dict:
    for library in stack.get("/libraries").json()["libraries"]:
        if library["id"] == library_id:
            return library["counts"]
    raise AssertionError(f"no library {library_id}")


def _search(stack, library_id: str, q: str) -> list[str]:
    items = stack.get("/items", q=q, library=library_id, status="all").json()["items"]
    return [i["title"] for i in items]


def test_search_and_counts_follow_the_bucket(stack, media_dir) -> None:
    name = f"films-{uuid.uuid4().hex[:6]}"
    r = stack.post("/libraries", {"name": name, "prefix": f"{name}/", "kind": "movies"})
    library = r.json()["library"]["id"]
    s3 = stack.client("s3")
    video = media_dir["mp4_faststart"].read_bytes()
    files = {
        "Amélie (2001).mp4": video,
        "Amélie Returns (2005).mp4": video,
        "Heat (1995).mp4": video,
        "Broken (1999).mkv": media_dir["random"].read_bytes(),
    }
    for file, body in files.items():
        s3.put_object(Bucket=stack.bucket, Key=f"{name}/{file}", Body=body)
    # The counters and the search rows are written after each item (eventually consistent, as a
    # DynamoDB index is): wait until they say what the drop implies, then hold them to it.
    counts = stack.wait_for(
        lambda: (c := _counts(stack, library))["ready"] == 3 and c["failed"] == 1 and c,
        120,
        "four items counted",
    )
    assert counts["total"] == 4
    assert counts["by_kind"] == {"movie": 3, "unknown": 1}  # a failed probe knows no kind

    def found(q: str, expected: list[str], ordered: bool = True) -> None:
        def settled() -> bool:
            got = _search(stack, library, q)
            return (got if ordered else sorted(got)) == expected

        stack.wait_for(settled, 30, f"search {q!r}")

    # accents and case folded, the exact title first, a prefix, two words ANDed
    found("AMELIE", ["Amélie", "Amélie Returns"])
    # a prefix both titles start with ranks them equally: their order is the index's, by id
    found("ame", ["Amélie", "Amélie Returns"], ordered=False)
    found("amélie ret", ["Amélie Returns"])
    assert _search(stack, library, "heat amelie") == []
    assert stack.get("/items", q="heat", library="nope").json()["items"] == []

    s3.delete_object(Bucket=stack.bucket, Key=f"{name}/Heat (1995).mp4")
    stack.wait_for(lambda: _counts(stack, library)["total"] == 3, 60, "the removal counted")
    assert _search(stack, library, "heat") == []
    assert _counts(stack, library)["ready"] == 2


def test_older_search_rows_are_rebuilt_at_the_next_start(tmp_path, media_dir) -> None:
    """A state dir whose search rows predate pair rows (simulated: its pair rows and the rows'
    version marker deleted) answers a two-word search again after a restart: ``make run``
    reindexes once when the rows are not this version's."""
    first = start_stack(tmp_path, env_extra=TEST_ENV)
    try:
        lib = first.library("movies")
        first.client("s3").put_object(
            Bucket=first.bucket,
            Key=f"{lib['prefix']}Night Train (2001).mp4",
            Body=media_dir["mp4_faststart"].read_bytes(),
        )
        first.wait_for(
            lambda: _search(first, lib["id"], "night train") == ["Night Train"], 90, "found"
        )
        ddb = first.client("dynamodb")
        table = next(t for t in ddb.list_tables()["TableNames"] if t.endswith("search"))
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for row in page["Items"]:
                if row["p"]["S"][0] in "&!":  # pair rows and the version marker
                    ddb.delete_item(TableName=table, Key={"p": row["p"], "r": row["r"]})
        assert _search(first, lib["id"], "train night") == []  # the pair rows are gone
        assert _search(first, lib["id"], "train") == ["Night Train"]
    finally:
        first.stop()
    again = start_stack(tmp_path, env_extra=TEST_ENV)
    again.headers = first.headers  # the administrator's key, kept with the state
    try:
        assert _search(again, lib["id"], "train night") == ["Night Train"]
    finally:
        again.stop()

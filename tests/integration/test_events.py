"""Events on the running stack: what a drop causes is followed over HTTP with a cursor."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_a_drop_is_followed_through_get_events(stack, media_dir) -> None:
    start = stack.get("/events", limit=1).json()["cursor"]
    lib = stack.library("movies")
    key = lib["prefix"] + "Le Samourai (1967).mp4"
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=key, Body=media_dir["mp4_faststart"].read_bytes()
    )
    seen: list[dict] = []
    cursor = start

    def added() -> bool:
        nonlocal cursor
        params = {"wait": 5, "limit": 500}
        if cursor:
            params["after"] = cursor
        body = stack.get("/events", **params).json()
        seen.extend(body["events"])
        cursor = body["cursor"]
        return any(e["type"] == "ItemAdded" and e["data"]["key"] == key for e in seen)

    stack.wait_for(added, 60, "ItemAdded in the feed", interval=0)
    scans = [
        e for e in seen if e["type"] == "ScanCompleted" and e["data"]["library_id"] == lib["id"]
    ]
    assert scans, "the new library's (empty) first scan completed"
    ids = [e["id"] for e in seen]
    assert len(ids) == len(set(ids))  # each event once

"""The transcode routes of the API: requests share jobs, ids are checked, cancel and the cache."""

from __future__ import annotations

import json

from tests.functional.test_api_playback import HEVC, add


def post(api, path: str, body: object = None):
    return api.http.post(
        path, body=json.dumps(body or {}), headers={"Content-Type": "application/json"}
    )


def test_pre_transcode_is_one_job_per_output(api, services) -> None:
    add(services, "uhd", streams=HEVC, container="mkv")
    first = post(api, "/transcodes", {"item_id": "uhd", "max_height": 720})
    assert first.status_code == 202
    again = post(api, "/transcodes", {"item_id": "uhd", "max_height": 720})
    other = post(api, "/transcodes", {"item_id": "uhd", "max_height": 480})
    assert again.json_body["h"] == first.json_body["h"] != other.json_body["h"]
    assert (first.json_body["created"], again.json_body["created"]) == (True, False)
    h = first.json_body["h"]
    assert first.json_body["url"].endswith(f"/transcodes/{h}/master.m3u8")
    cancelled = api.http.delete(f"/transcodes/{h}").json_body
    assert cancelled["status"] == "cancelled"


def test_transcode_ids_and_items_are_checked(api, services) -> None:
    r = api.http.get("/transcodes/..%2F..%2Fetc")
    assert (r.status_code, r.json_body["error"]["code"]) == (400, "InvalidId")
    assert api.http.get("/transcodes/" + "0" * 64).status_code == 404
    assert post(api, "/transcodes", {"item_id": "nope"}).status_code == 404
    r = post(api, "/transcodes", {"item_id": "x", "audio_channels": 99})
    assert (r.status_code, r.json_body["error"]["code"]) == (422, "ValidationError")
    assert api.http.get("/transcodes/" + "0" * 64 + "/passwd").status_code in (400, 404)


def test_cache_lists_and_evicts(api, services) -> None:
    body = api.http.get("/transcode/cache").json_body
    assert body["entries"] == [] and body["total_bytes"] == 0
    assert post(api, "/transcode/cache/evict", {"budget_bytes": 0}).json_body["evicted"] == []
    r = post(api, "/transcode/cache/evict", {"budget_bytes": -1})
    assert r.status_code == 422

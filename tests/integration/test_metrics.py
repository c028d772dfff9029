"""Metrics on the running stack: a scan, two decisions and a transcode move ``GET /metrics`` by
exactly what was done, though the scan and the transcode run in other processes than the API;
health counts a message that landed in a dead-letter queue.

The stack is this module's own: counters are per stack, and another test's late work (an
enrichment, a rescan) would move them under this one's feet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import EXTERNAL, TEST_ENV
from viewra.local.launch import Stack, start_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The suite's visibility timeout is 2 s, so retries are quick to see; on a busy machine a
    probe can outlast it, the message comes back, and the object is (rightly) scanned and
    counted twice. Here 15 s: one delivery per object, and a poison message still reaches the
    dead-letter queue in under a minute."""
    env = {**TEST_ENV, "VIEWRA_QUEUE_VISIBILITY_TIMEOUT": "15"}
    state = tmp_path_factory.mktemp("metrics-stack")
    s = start_stack(state, *EXTERNAL, "--no-snapshot", env_extra=env)
    yield s
    s.stop()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def read_metrics(stack: Stack) -> Samples:
    r = stack.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name`` over every series whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and want <= got)


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def library_scanned(stack: Stack) -> dict:
    """A new library whose first scan (of its empty prefix) is over: no listing of that scan
    can then meet the files dropped next, and each is probed once, from its own event."""
    name = f"movies-{uuid.uuid4().hex[:8]}"
    r = stack.post("/libraries", {"name": name, "prefix": f"{name}/", "kind": "movies"})
    assert r.status_code == 201, r.text
    scan_id = r.json()["scan"]["id"]
    stack.wait_for(
        lambda: stack.get(f"/scans/{scan_id}").json()["status"] == "completed", 60, "first scan"
    )
    return r.json()["library"]


def test_metrics_are_for_administrators_only(own_stack) -> None:
    anonymous = requests.get(own_stack.api + "/metrics", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"]


def test_a_scan_a_decision_and_a_transcode_move_the_counters_by_what_was_done(
    own_stack, media_dir
) -> None:
    stack = own_stack
    before = read_metrics(stack)
    lib = library_scanned(stack)
    good = lib["prefix"] + "Alien (1979).mp4"
    hevc = lib["prefix"] + "Solaris (1972).mkv"
    junk = lib["prefix"] + "Broken (2001).mkv"
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.bucket, Key=good, Body=media_dir["mp4_faststart"].read_bytes())
    s3.put_object(Bucket=stack.bucket, Key=hevc, Body=media_dir["mkv_hevc"].read_bytes())
    s3.put_object(Bucket=stack.bucket, Key=junk, Body=media_dir["random"].read_bytes())
    sizes = sum(media_dir[n].stat().st_size for n in ("mp4_faststart", "mkv_hevc", "random"))
    direct = stack.item_at(lib["id"], good, status="ready")
    hevc_item = stack.item_at(lib["id"], hevc, status="ready")
    stack.item_at(lib["id"], junk, status="failed")

    played = stack.post(f"/items/{direct['id']}/playback", {"profile": "chrome"}).json()
    assert played["method"] == "DirectPlay", played
    session = stack.post(f"/items/{hevc_item['id']}/playback", {"profile": "chrome"}).json()
    assert session["method"] == "Transcode", session
    job = stack.job_finished(lambda: requests.get(session["status_url"], timeout=10).json())
    assert job["status"] == "ready", job

    # the scan worker records after its catalogue write, the transcode worker after the ready
    # mark: wait until the last of them shows, then every figure must be exact
    def settled() -> Samples | None:
        now = read_metrics(stack)
        done = (
            delta(now, before, "viewra_items_scanned_total") >= 3
            and delta(now, before, "viewra_transcode_jobs_total", state="ready") >= 1
        )
        return now if done else None

    after = stack.wait_for(settled, 60, "the workers' metrics")
    assert delta(after, before, "viewra_items_scanned_total", result="ready") == 2
    assert delta(after, before, "viewra_items_scanned_total", result="failed") == 1
    assert delta(after, before, "viewra_probe_seconds_count") == 3
    assert delta(after, before, "viewra_probe_seconds_count", result="failed") == 1
    probed = delta(after, before, "viewra_probe_bytes_total")
    assert 0 < probed <= sizes  # ranged reads: at most the three objects' bytes
    assert delta(after, before, "viewra_decisions_total", method="DirectPlay") == 1
    assert delta(after, before, "viewra_decisions_total", method="Transcode") == 1
    assert delta(after, before, "viewra_decisions_total", method="DirectStream") == 0
    for state in ("queued", "running", "ready"):
        assert delta(after, before, "viewra_transcode_jobs_total", state=state) == 1, state
    assert delta(after, before, "viewra_transcode_jobs_total", state="failed") == 0
    assert delta(after, before, "viewra_transcode_seconds_count", state="ready") == 1
    scan_queue = "viewra-scan"
    assert delta(after, before, "viewra_queue_message_age_seconds_count", queue=scan_queue) >= 3
    assert delta(after, before, "viewra_queue_message_age_seconds_count", queue="") == 0
    playback = {"route": "/items/{item_id}/playback", "method": "POST", "status": "201"}
    assert delta(after, before, "viewra_api_request_seconds_count", **playback) == 2
    # the route's template, never its path: one series for every item
    assert not any("/items/" + direct["id"] in str(labels) for _, labels in after)
    # the refused call of the other test was measured too, with its status
    assert value(after, "viewra_api_request_seconds_count", route="/metrics", status="401") >= 1


def test_health_reports_queue_depths_and_a_message_in_a_dead_letter_queue(own_stack) -> None:
    stack = own_stack
    first = stack.get("/health").json()
    queues = first["queues"]
    assert {"viewra-scan", "viewra-transcode"} <= set(queues)
    for depth in queues.values():
        assert {"visible", "in_flight", "dead_letters", "dlq"} <= set(depth)
    assert queues["viewra-scan"]["dead_letters"] == 0
    # a message the scan function cannot read: it fails each time, and past maxReceiveCount
    # (3, visibility 15 s here) SQS moves it to the scan queue's dead-letter queue
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName="viewra-scan")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="this is not JSON")

    def dead_lettered() -> dict | None:
        r = stack.get("/health")
        assert r.status_code == 200, r.text  # a dead letter is news, not ill health
        scan = r.json()["queues"]["viewra-scan"]
        return scan if scan["dead_letters"] == 1 else None

    scan = stack.wait_for(dead_lettered, 150, "the poison message in the DLQ", interval=1)
    assert scan["dlq"] == "viewra-scan-dlq"
    assert scan["visible"] == 0

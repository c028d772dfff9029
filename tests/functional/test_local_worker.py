"""The local stand-in for Lambda's SQS mapping: batching window, partial batch response."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from viewra.common.settings import Settings
from viewra.local.worker import QueueWorker
from viewra.storage.clients import client

QUEUE = "worker-test"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """One queue on moto's in-process SQS, nothing else (no tables, no buckets)."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        settings = Settings()
        client(settings, "sqs").create_queue(QueueName=QUEUE)
        yield settings


def _worker(settings: Settings, calls: list[list[str]], **kwargs: Any) -> QueueWorker:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append([r["body"] for r in event["Records"]])
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    return QueueWorker(settings, QUEUE, handler, function_name="t", threads=0, **kwargs).start()


def _send(settings: Settings, *bodies: str) -> None:
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)


def _left(settings: Settings) -> int:
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def test_a_batching_window_gathers_what_arrives_after_the_first_message(
    settings: Settings,
) -> None:
    calls: list[list[str]] = []
    worker = _worker(settings, calls, wait_seconds=0, batch_window=0.6)
    _send(settings, "a")
    later = threading.Timer(0.2, _send, args=(settings, "b", "c"))
    later.start()

    started = time.monotonic()
    received = worker.poll_once()
    later.join()

    assert received == 3 and sorted(calls[0]) == ["a", "b", "c"] and len(calls) == 1
    assert time.monotonic() - started >= 0.55  # it waited out the window
    assert _left(settings) == 0  # all three deleted


def test_without_a_window_each_poll_takes_what_is_there(settings: Settings) -> None:
    calls: list[list[str]] = []
    worker = _worker(settings, calls, wait_seconds=0)
    _send(settings, "a")

    assert worker.poll_once() == 1 and calls == [["a"]]


def test_a_full_batch_does_not_wait_for_the_window(settings: Settings) -> None:
    calls: list[list[str]] = []
    worker = _worker(settings, calls, wait_seconds=0, batch_size=3, batch_window=30)
    _send(settings, "a", "b", "c", "d")

    started = time.monotonic()
    assert worker.poll_once() == 3
    assert time.monotonic() - started < 5 and len(calls[0]) == 3


def test_stopping_ends_the_window_and_the_batch_in_hand_is_still_handled(
    settings: Settings,
) -> None:
    calls: list[list[str]] = []
    worker = _worker(settings, calls, wait_seconds=0, batch_window=30)
    _send(settings, "a", "bad")
    threading.Timer(0.2, worker._stop.set).start()

    started = time.monotonic()
    assert worker.poll_once() == 2
    assert time.monotonic() - started < 5
    # the failure reported stays on the queue; the other is deleted
    assert sorted(calls[0]) == ["a", "bad"] and worker.failures == 1 and _left(settings) == 1


def _visible(settings: Settings) -> int:
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def test_a_stop_ends_with_the_polls_in_progress_and_what_they_bring_goes_back(
    settings: Settings,
) -> None:
    """No poll outlives a stop (a poll the queue still held for a stopped process would take
    the next message and hide it); a message a last poll brings is put straight back."""
    calls: list[Any] = []
    worker = QueueWorker(
        settings, QUEUE, lambda e, c: calls.append(e), function_name="t", threads=2, wait_seconds=2
    ).start()
    time.sleep(0.3)  # both pollers in their long poll

    started = time.monotonic()
    worker.request_stop()
    _send(settings, "during the stop")  # one of the polls in progress receives it
    worker.stop()

    assert time.monotonic() - started < 4.0  # no later than the polls' end
    assert not any(t.is_alive() for t in worker._threads)  # it waited for them
    assert _visible(settings) == 1 and calls == []  # back on the queue at once, unhandled


def test_a_stop_waits_for_the_batch_being_handled(settings: Settings) -> None:
    handled: list[str] = []
    entered = threading.Event()

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        entered.set()
        time.sleep(0.8)
        handled.extend(r["body"] for r in event["Records"])
        return {"batchItemFailures": []}

    worker = QueueWorker(settings, QUEUE, slow, function_name="t", threads=1).start()
    _send(settings, "a")
    assert entered.wait(5)

    started = time.monotonic()
    worker.stop()

    assert time.monotonic() - started >= 0.5 and handled == ["a"]
    assert _left(settings) == 0  # handled and deleted before the stop returned


def test_a_batch_handled_longer_than_the_visibility_timeout_stays_hidden(
    settings: Settings,
) -> None:
    """A slow handler (a busy machine) is not raced by a second poller on its own messages, and
    the messages are not counted as received again (which would dead-letter them)."""
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    calls: list[list[str]] = []

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append([r["body"] for r in event["Records"]])
        time.sleep(3.5)  # three and a half visibility timeouts
        return {"batchItemFailures": []}

    worker = QueueWorker(settings, QUEUE, slow, function_name="t", threads=0, wait_seconds=0)
    worker.start()
    other = _worker(settings, calls, wait_seconds=0)
    _send(settings, "a", "b")
    first = threading.Thread(target=worker.poll_once)
    first.start()
    time.sleep(0.3)
    seen_by_other = 0
    while first.is_alive():
        seen_by_other += other.poll_once()
        time.sleep(0.2)
    first.join()

    assert seen_by_other == 0
    assert sorted(body for batch in calls for body in batch) == ["a", "b"]
    assert _left(settings) == 0


def test_a_priority_queue_is_taken_first_and_its_messages_are_deleted_there(
    settings: Settings,
) -> None:
    sqs = client(settings, "sqs")
    priority = sqs.create_queue(QueueName=f"{QUEUE}-priority")["QueueUrl"]
    calls: list[tuple[list[str], str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        calls.append(([r["body"] for r in records], records[0]["eventSourceARN"]))
        return {"batchItemFailures": []}

    worker = QueueWorker(
        settings, QUEUE, handler, function_name="t", threads=0, batch_size=1, wait_seconds=0,
        priority_queue=f"{QUEUE}-priority",
    ).start()  # fmt: skip
    _send(settings, "chunk 1", "chunk 2")
    sqs.send_message(QueueUrl=priority, MessageBody="chunk 7 (a seek)")

    for _ in range(3):
        worker.poll_once()

    assert [bodies for bodies, _ in calls] == [["chunk 7 (a seek)"], ["chunk 1"], ["chunk 2"]]
    assert calls[0][1].endswith(f":{QUEUE}-priority") and calls[1][1].endswith(f":{QUEUE}")
    assert _left(settings) == 0
    attrs = sqs.get_queue_attributes(QueueUrl=priority, AttributeNames=["All"])["Attributes"]
    assert (
        int(attrs["ApproximateNumberOfMessages"])
        + int(attrs["ApproximateNumberOfMessagesNotVisible"])
        == 0
    )

"""moto's queues under concurrent sends, receives and deletes: nothing lost, nothing twice."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from viewra.local.moto_sqs_atomic import make_sqs_atomic

SENDERS, PER_SENDER, CONSUMERS = 4, 150, 4


@pytest.fixture
def sqs() -> Iterator[Any]:
    make_sqs_atomic()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # threads change hands inside moto's loops, as under load
    try:
        with mock_aws():
            yield boto3.client("sqs", region_name="us-east-1")
    finally:
        sys.setswitchinterval(switch)


def test_every_message_sent_while_others_are_deleted_is_received_once(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    for i in range(300):  # a backlog: moto's delete walked it, a long window for a send
        sqs.send_message(QueueUrl=url, MessageBody=f"old-{i}")
    received: Counter[str] = Counter()
    lock = threading.Lock()
    sending_done = threading.Event()

    def send(n: int) -> None:
        for i in range(PER_SENDER):
            sqs.send_message(QueueUrl=url, MessageBody=f"{n}-{i}")

    def consume() -> None:
        idle = 0
        while idle < 3:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                idle += sending_done.is_set()
                continue
            with lock:
                received.update(m["Body"] for m in messages)
            for m in messages:  # one at a time: the list is rebuilt on every delete
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    senders = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    consumers = [threading.Thread(target=consume) for _ in range(CONSUMERS)]
    for t in senders + consumers:
        t.start()
    for t in senders:
        t.join()
    sending_done.set()
    for t in consumers:
        t.join()

    expected = {f"old-{i}" for i in range(300)} | {
        f"{n}-{i}" for n in range(SENDERS) for i in range(PER_SENDER)
    }
    assert set(received) == expected, f"lost: {len(expected - set(received))}"
    assert [body for body, times in received.items() if times > 1] == []


def test_a_long_poll_returns_as_soon_as_a_message_is_sent(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="w")["QueueUrl"]
    threading.Timer(0.3, lambda: sqs.send_message(QueueUrl=url, MessageBody="late")).start()
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in got] == ["late"]
    assert time.monotonic() - started < 2


def test_deletes_by_any_handle_once_and_refuse_a_message_gone_to_the_dlq(sqs: Any) -> None:
    """The handle index answers as moto's walk does: an earlier receive's handle still deletes,
    a second delete is a no-op, a handle of a message moved to the DLQ is refused."""
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}'
    url = sqs.create_queue(QueueName="main", Attributes={"RedrivePolicy": policy})["QueueUrl"]

    def receive() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])

    sqs.send_message(QueueUrl=url, MessageBody="a")
    first, second = receive()[0], receive()[0]  # received twice: two handles, one message
    assert first["MessageId"] == second["MessageId"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])  # already gone
    assert receive() == []

    sqs.send_message(QueueUrl=url, MessageBody="b")
    handles = [receive()[0]["ReceiptHandle"] for _ in range(2)]
    assert receive() == []  # the third receive moved it to the DLQ
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[-1])
    moved = sqs.receive_message(QueueUrl=dlq).get("Messages", [])
    assert [m["Body"] for m in moved] == ["b"]

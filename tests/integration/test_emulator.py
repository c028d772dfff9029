"""The embedded emulator process itself: moto's services behind cheroot, with Viewra's patches.

Each test starts its own ``python -m viewra.local.motoserver`` on a free port and talks to it
over TCP, with boto3 or with raw HTTP where the wire matters.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from viewra.local.emulator import Emulator

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def _client(emulator: Emulator, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, read_timeout=5, retries={"max_attempts": 1}),
    )


def _exchange(port: int, request: bytes, timeout: float = 3.0) -> bytes:
    """Send one raw request and read until the server has answered (Content-Length framed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data or data.startswith(b"HTTP/1.1 100"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
            if data.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
                data = data[len(b"HTTP/1.1 100 Continue\r\n\r\n") :]
        return data


def _listing(conn: socket.socket, request: bytes) -> bytes:
    """Send a ListObjectsV2 request on an open connection and read its whole answer."""
    conn.sendall(request)
    data = b""
    while b"</ListBucketResult>" not in data:
        chunk = conn.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def test_an_empty_put_with_expect_continue_is_answered(emulator: Emulator) -> None:
    """botocore sends ``Expect: 100-continue`` with an empty body (waitress 3.0.2 hangs on it)."""
    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="empty-put")
    s3.put_object(Bucket="empty-put", Key="zero", Body=b"")
    assert s3.head_object(Bucket="empty-put", Key="zero")["ContentLength"] == 0

    raw = b"PUT /empty-put/raw HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
    answer = _exchange(emulator.port, raw + b"Expect: 100-continue\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_a_body_after_100_continue_is_stored(emulator: Emulator) -> None:
    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="continued")
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=3) as conn:
        head = b"PUT /continued/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
        conn.sendall(head + b"Expect: 100-continue\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(b"hello")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    assert s3.get_object(Bucket="continued", Key="k")["Body"].read() == b"hello"


def test_connections_are_kept_alive(emulator: Emulator) -> None:
    """Many calls, one TCP connection: the point of not serving moto with werkzeug's server."""
    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="keepalive")
    request = b"GET /keepalive?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=3) as conn:
        for _ in range(3):
            data = _listing(conn, request)
            assert data.startswith(b"HTTP/1.1 200")
            assert b"connection: close" not in data.lower()


def test_many_open_connections_are_all_kept_alive(emulator: Emulator) -> None:
    """The stack holds dozens of connections (a pool per client and process): none is closed."""
    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="manyconns")
    request = b"GET /manyconns?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    conns = [socket.create_connection(("127.0.0.1", emulator.port), timeout=3) for _ in range(40)]
    try:
        for conn in conns:
            assert b"connection: close" not in _listing(conn, request).lower()
    finally:
        for conn in conns:
            conn.close()


def test_queue_counts_and_retention_still_hold(emulator: Emulator) -> None:
    """The SQS patches skip recounting on every send; the counts moto reports stay right."""
    sqs = _client(emulator, "sqs")
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    for i in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "25"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
    assert len(got["Messages"]) == 10
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "15"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "10"

    short = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})
    sqs.send_message(QueueUrl=short["QueueUrl"], MessageBody="kept")
    kept = sqs.receive_message(QueueUrl=short["QueueUrl"], MaxNumberOfMessages=1)
    assert [m["Body"] for m in kept["Messages"]] == ["kept"]

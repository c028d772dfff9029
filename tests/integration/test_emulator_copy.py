"""The durable emulator copies an object's bytes file to file: a CopyObject of a large object
neither holds it in memory nor loses it to a kill -9 after its answer."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from viewra.local.emulator import Emulator

pytestmark = pytest.mark.integration

SIZE = 48 * 1024 * 1024


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _s3(emulator: Emulator):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def test_a_copy_goes_file_to_file_and_survives_a_kill(tmp_path) -> None:
    state = tmp_path / "state"
    body = tmp_path / "big.bin"
    with open(body, "wb") as fh:
        for _ in range(SIZE // (1 << 20)):
            fh.write(os.urandom(1 << 20))
    digest = hashlib.md5(body.read_bytes()).hexdigest()
    emulator = Emulator(state_dir=state).start()
    try:
        s3 = _s3(emulator)
        s3.create_bucket(Bucket="copies")
        s3.upload_file(str(body), "copies", "a/source.bin")
        pid = emulator._proc.pid  # type: ignore[union-attr]
        before = _peak_rss(pid)
        s3.copy_object(Bucket="copies", Key="b/copy.bin", CopySource="copies/a/source.bin")
        grew = _peak_rss(pid) - before
        assert grew < SIZE // 4, f"the copy raised the emulator's peak memory by {grew} bytes"
        head = s3.head_object(Bucket="copies", Key="b/copy.bin")
        assert head["ContentLength"] == SIZE and head["ETag"].strip('"') == digest
        s3.delete_object(Bucket="copies", Key="a/source.bin")  # the copy owns its own file
        emulator._proc.kill()  # type: ignore[union-attr]  # kill -9: no shutdown work
        emulator._proc.wait()  # type: ignore[union-attr]
    finally:
        emulator.stop()
    with Emulator(state_dir=state) as again:
        got = _s3(again).get_object(Bucket="copies", Key="b/copy.bin")["Body"].read()
        assert hashlib.md5(got).hexdigest() == digest
        assert [o["Key"] for o in _s3(again).list_objects_v2(Bucket="copies")["Contents"]] == [
            "b/copy.bin"
        ]

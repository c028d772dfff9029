"""Shared helpers of the transcode functional tests (no tests here).

Sources are real media made by ffmpeg; the transcoder runs against moto (in process, or a
``ThreadedMotoServer`` where ffmpeg itself must fetch URLs).
"""

from __future__ import annotations

import functools
import json
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from tests.media_factory import run_ffmpeg
from viewra.bootstrap import build_transcoder
from viewra.common.settings import Settings, get_settings
from viewra.storage.clients import client
from viewra.storage.transcoder import ensure_jobs_table
from viewra.transcoding.context import TranscodeLimits, Transcoder
from viewra.transcoding.params import SourceRef
from viewra.transcoding.providers import FfmpegFacts, probe_ffmpeg

_MEDIA = Path(tempfile.mkdtemp(prefix="viewra-transcode-media-"))


@functools.cache
def facts() -> FfmpegFacts:
    """The real ffmpeg's facts, probed once per session (trial encodes included)."""
    return probe_ffmpeg()


@functools.cache
def source_file(seconds: int = 4, *, audio: bool = True) -> Path:
    """A 320x240 h264/aac MP4 of ``seconds``, made once."""
    path = _MEDIA / f"src_{seconds}s{'' if audio else '_noaudio'}.mp4"
    args = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "64k"]
    run_ffmpeg([*args, "-movflags", "+faststart", str(path)])
    return path


def duration_of(target: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", target],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def upload_source(settings: Settings, path: Path, key: str) -> SourceRef:
    s3 = client(settings, "s3")
    s3.upload_file(str(path), settings.media_bucket, key)
    head = s3.head_object(Bucket=settings.media_bucket, Key=key)
    return SourceRef(
        bucket=settings.media_bucket,
        key=key,
        etag=head["ETag"],
        size=head["ContentLength"],
    )


ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def transcode_env(monkeypatch: pytest.MonkeyPatch, endpoint: str | None = None) -> Settings:
    """Unique names for one test (and an endpoint, for a moto server); returns the settings."""
    tag = uuid.uuid4().hex[:8]
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for var, value in {
        **ENV,
        "VIEWRA_MEDIA_BUCKET": f"media-{tag}",
        "VIEWRA_CONTENT_BUCKET": f"content-{tag}",
        "VIEWRA_TABLE_PREFIX": f"t{tag}-",
        "VIEWRA_SCAN_QUEUE": f"scan-{tag}",
        "VIEWRA_TRANSCODE_QUEUE": f"transcode-{tag}",
        "VIEWRA_TRANSCODE_PRIORITY_QUEUE": f"transcode-priority-{tag}",
    }.items():
        monkeypatch.setenv(var, value)
    get_settings.cache_clear()
    return get_settings()


def create_resources(settings: Settings) -> None:
    """What the transcoder touches: both buckets, the transcode queue (+ DLQ), the job table.
    (The full bootstrap also waits on the catalogue tables, seconds per test.)"""
    s3 = client(settings, "s3")
    for bucket in (settings.media_bucket, settings.content_bucket):
        s3.create_bucket(Bucket=bucket)
    sqs = client(settings, "sqs")
    dlq = sqs.create_queue(QueueName=f"{settings.transcode_queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}
    for queue in (settings.transcode_queue, settings.transcode_priority_queue):
        sqs.create_queue(
            QueueName=queue,
            Attributes={"VisibilityTimeout": "30", "RedrivePolicy": json.dumps(redrive)},
        )
    ensure_jobs_table(settings)


def transcoder(settings: Settings, **limits: Any) -> Transcoder:
    base = {"preset": "ultrafast", "input_mode": "download", "progress_interval": 0.5}
    return build_transcoder(
        settings,
        limits=TranscodeLimits.from_settings(settings, **{**base, **limits}),
        facts=facts(),
    )


def in_process_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """moto in process with the transcoder's resources (a fixture body)."""
    settings = transcode_env(monkeypatch)
    with mock_aws():
        create_resources(settings)
        yield settings
    get_settings.cache_clear()


def queued_messages(settings: Settings, queue: str | None = None) -> list[dict[str, Any]]:
    """Drain what is visible on the queue (bodies as dicts)."""
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=queue or settings.transcode_queue)["QueueUrl"]
    bodies = []
    while True:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = r.get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def content_keys(settings: Settings, h: str) -> list[str]:
    s3 = client(settings, "s3")
    prefix = f"content/{h[0:2]}/{h[2:4]}/{h}/"
    r = s3.list_objects_v2(Bucket=settings.content_bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix) :] for o in r.get("Contents", []))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_job_in_thread(
    tc: Transcoder, body: dict[str, Any]
) -> tuple[threading.Thread, dict[str, Any]]:
    """The worker's ``handle_message`` on its own thread, as a queue worker would run it; the
    dict gets the outcome (``status``) and when it ended (``ended``, monotonic)."""
    from viewra.transcoding.worker import handle_message

    result: dict[str, Any] = {}

    def work() -> None:
        result["status"] = handle_message(tc, body)
        result["ended"] = time.monotonic()

    worker = threading.Thread(target=work)
    worker.start()
    return worker, result

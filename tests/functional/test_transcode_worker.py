"""The transcode worker on moto: real ffmpeg runs on generated sources.

Given a job requested through :func:`request_transcode`, When the worker handles its message,
Then the content bucket holds segments, playlists and — last — the manifest.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import m3u8
import pytest

from tests.functional.test_transcode_support import (
    content_keys,
    in_process_stack,
    queued_messages,
    run_job_in_thread,
    source_file,
    transcoder,
    upload_source,
)
from viewra.common.settings import Settings
from viewra.common.timestamps import parse_iso
from viewra.local.worker import LambdaContext
from viewra.storage.clients import client
from viewra.storage.transcoder import VisibilityHeartbeat
from viewra.transcoding.context import TranscodeLimits
from viewra.transcoding.jobs import JobStatus, cancel_job, get_job, request_transcode
from viewra.transcoding.params import Protocol, TranscodeParams
from viewra.transcoding.playlists import render_master, render_media
from viewra.transcoding.worker import TranscodeFailed, WorkerBusy, handle_message, run_job


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from in_process_stack(monkeypatch)


def _manifest(settings: Settings, h: str) -> dict:
    s3 = client(settings, "s3")
    key = f"content/{h[0:2]}/{h[2:4]}/{h}/manifest.json"
    return json.loads(s3.get_object(Bucket=settings.content_bucket, Key=key)["Body"].read())


def test_hls_job_writes_segments_playlists_and_manifest(settings: Settings) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/clip.mp4")
    params = TranscodeParams(segment_length=2, max_width=160, max_height=120, audio_channels=1)
    requested = request_transcode(tc, source, params)
    [body] = queued_messages(settings)

    assert handle_message(tc, body) == "ready"

    keys = content_keys(settings, requested.h)
    assert {"manifest.json", "master.m3u8", "media.m3u8", "seg_00000.ts", "seg_00001.ts"} <= set(
        keys
    )
    manifest = _manifest(settings, requested.h)
    assert manifest["h"] == requested.h
    assert manifest["provider"] == "software"
    assert manifest["source"]["etag"] == source.etag
    assert manifest["params"] == params.canonical()
    assert manifest["ffmpeg_version"]
    assert abs(manifest["duration"] - 4.0) < 0.5
    assert [f["name"] for f in manifest["files"]] == [k for k in keys if k.startswith("seg_")]
    assert all(f["size"] > 0 for f in manifest["files"])
    video = next(s for s in manifest["streams"] if s["type"] == "video")
    assert (video["width"], video["height"]) == (160, 120)
    job = get_job(tc, requested.h)
    assert job.status is JobStatus.READY and job.progress == 100
    assert job.provider == "software"
    # playable from the first playlist that listed a segment: after the start, by the end
    assert job.started_at < job.playable_at <= job.finished_at
    s3 = client(settings, "s3")
    prefix = f"content/{requested.h[0:2]}/{requested.h[2:4]}/{requested.h}/"
    media = s3.get_object(Bucket=settings.content_bucket, Key=prefix + "media.m3u8")
    playlist = m3u8.loads(media["Body"].read().decode())
    assert playlist.playlist_type == "vod" and playlist.is_endlist
    assert len(playlist.segments) == manifest["segment_count"]


def test_a_second_request_for_a_finished_hash_is_ready_at_once(settings: Settings) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/clip.mp4")
    params = TranscodeParams(protocol=Protocol.MP4, max_height=120)
    first = request_transcode(tc, source, params)
    [body] = queued_messages(settings)
    handle_message(tc, body)

    again = request_transcode(tc, source, params)

    assert again.ready and not again.created and again.h == first.h
    assert again.job.status is JobStatus.READY
    assert again.job.playable_at == again.job.finished_at  # a progressive MP4: once complete
    assert queued_messages(settings) == []
    assert "video.mp4" in content_keys(settings, first.h)
    assert abs(_manifest(settings, first.h)["duration"] - 4.0) < 0.5


def test_segments_are_uploaded_before_the_job_ends_and_the_manifest_comes_last(
    settings: Settings,
) -> None:
    # ffmpeg reads at native speed (-re) so the 4 s job lasts 4 s and a watcher can see it grow.
    # It also extends its message's visibility meanwhile (heartbeat every second here).
    tc = transcoder(settings, realtime_input=True, heartbeat_seconds=1)
    source = upload_source(settings, source_file(4), "movies/slow.mp4")
    requested = request_transcode(tc, source, TranscodeParams(segment_length=1, max_height=120))
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=settings.transcode_queue)["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    beat = VisibilityHeartbeat(settings, url, message["ReceiptHandle"], 30)
    beats: list[float] = []

    def heartbeat() -> None:
        beat()  # the real ChangeMessageVisibility call
        beats.append(time.monotonic())

    seen: list[tuple[bool, set[str]]] = []  # (manifest present, segments present)
    early_playlists: list[str] = []

    def watch() -> None:
        while True:
            keys = set(content_keys(settings, requested.h))
            segments = {k for k in keys if k.startswith("seg_")}
            seen.append(("manifest.json" in keys, segments))
            if "manifest.json" in keys:
                return
            if "media.m3u8" in keys and not early_playlists:
                master = render_master(tc, requested.h, lambda uri: f"https://api/{uri}")
                assert "https://api/media.m3u8" in master
                early_playlists.append(render_media(tc, requested.h))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    handle_message(tc, json.loads(message["Body"]), heartbeat)
    watcher.join(timeout=10)

    assert len(beats) >= 2

    before_manifest = [segments for has_manifest, segments in seen if not has_manifest]
    assert any(before_manifest), "no segment was visible before the job completed"
    assert early_playlists and "#EXT-X-ENDLIST" not in early_playlists[0]  # playable while running
    final = _manifest(settings, requested.h)
    listed = {f["name"] for f in final["files"]}
    first_with_manifest = next(segments for has_manifest, segments in seen if has_manifest)
    assert listed <= first_with_manifest  # every segment was there when the manifest appeared
    # the record says when playback could start: the first 1 s segment of a 4 s realtime job
    job = get_job(tc, requested.h)
    playable, finished = (parse_iso(t) for t in (job.playable_at, job.finished_at))
    assert 1.5 < (finished - playable).total_seconds() < 4


def test_cancel_stops_ffmpeg_within_two_seconds(settings: Settings) -> None:
    tc = transcoder(settings, realtime_input=True)
    source = upload_source(settings, source_file(12), "movies/long.mp4")
    requested = request_transcode(tc, source, TranscodeParams(segment_length=1, max_height=120))
    [body] = queued_messages(settings)
    worker, result = run_job_in_thread(tc, body)
    deadline = time.monotonic() + 10
    while get_job(tc, requested.h).status is not JobStatus.RUNNING or not content_keys(
        settings, requested.h
    ):
        assert time.monotonic() < deadline, "job never started producing"
        time.sleep(0.1)

    asked = time.monotonic()
    cancel_job(tc, requested.h)
    worker.join(timeout=5)

    assert result["status"] == "cancelled"
    assert result["ended"] - asked < 2.0  # type: ignore[operator]
    job = get_job(tc, requested.h)
    assert job.status is JobStatus.CANCELLED and job.cancel_requested
    assert "manifest.json" not in content_keys(settings, requested.h)


def test_a_queued_job_cancelled_before_it_runs_never_starts(settings: Settings) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/clip.mp4")
    requested = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)

    assert cancel_job(tc, requested.h).status is JobStatus.CANCELLED
    assert handle_message(tc, body) == "cancelled"
    assert content_keys(settings, requested.h) == []


def test_a_broken_source_fails_with_the_stderr_tail_and_is_retried(settings: Settings) -> None:
    tc = transcoder(settings)
    broken = source_file(4).read_bytes()[:2000]
    path = source_file(4).parent / "broken.mp4"
    path.write_bytes(broken)
    source = upload_source(settings, path, "movies/broken.mp4")
    requested = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)

    with pytest.raises(TranscodeFailed):
        run_job(tc, body["h"])

    job = get_job(tc, requested.h)
    assert job.status is JobStatus.FAILED
    assert "ffmpeg exited" in (job.error or "")
    assert len(job.error or "") > len("ffmpeg exited with 1")  # carries ffmpeg's own words
    assert "manifest.json" not in content_keys(settings, requested.h)


def test_a_source_replaced_before_its_download_fails_the_job_with_the_reason(
    settings: Settings,
) -> None:
    """The download path looks first (an object too big for the temp dir would be refused
    before any byte); the URL path is pinned by If-Match instead (tests/integration)."""
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/replaced.mp4")
    requested = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)
    upload_source(settings, source_file(4, audio=False), "movies/replaced.mp4")

    with pytest.raises(TranscodeFailed):
        run_job(tc, body["h"])

    job = get_job(tc, requested.h)
    assert job.status is JobStatus.FAILED
    assert job.error == "source object changed since the request (ETag or size differs)"
    assert "manifest.json" not in content_keys(settings, requested.h)


def test_the_function_reports_a_failed_job_as_a_batch_item_failure(settings: Settings) -> None:
    from tests.functional.conftest import load_event
    from viewra.local.functions import load_function

    module = load_function("transcode")
    tc = transcoder(settings)
    module.transcoder_for.cache_clear()
    source = upload_source(settings, source_file(4), "movies/gone.mp4")
    request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)
    client(settings, "s3").delete_object(Bucket=settings.media_bucket, Key="movies/gone.mp4")
    event = load_event("sqs_batch.json")
    record = event["Records"][0]
    record["body"] = json.dumps(body)
    record["eventSourceARN"] = record["eventSourceARN"].rsplit(":", 1)[0] + (
        ":" + settings.transcode_queue
    )
    event["Records"] = [record]

    result = module.handle_transcode_queue(event, LambdaContext(function_name="transcode"))

    assert result == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert (get_job(tc, body["h"]).error or "").startswith("source object is gone")


def test_a_poison_job_ends_in_the_dead_letter_queue_after_its_retries(settings: Settings) -> None:
    from viewra.local.functions import load_function
    from viewra.local.worker import QueueWorker

    tc = transcoder(settings)
    module = load_function("transcode")
    module.transcoder_for.cache_clear()
    source = upload_source(settings, source_file(4), "movies/doomed.mp4")
    request_transcode(tc, source, TranscodeParams())
    client(settings, "s3").delete_object(Bucket=settings.media_bucket, Key="movies/doomed.mp4")
    sqs = client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=settings.transcode_queue)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    worker = QueueWorker(
        settings,
        settings.transcode_queue,
        module.handle_transcode_queue,
        function_name="transcode",
        threads=0,
        wait_seconds=0,
    ).start()

    received = [worker.poll_once() for _ in range(3)]  # maxReceiveCount is 2

    assert received == [1, 1, 0] and worker.failures == 2
    dead = queued_messages(settings, f"{settings.transcode_queue}-dlq")
    assert dead == [{"type": "transcode", "h": dead[0]["h"]}]
    assert get_job(tc, dead[0]["h"]).status is JobStatus.FAILED


def test_the_resource_limits_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "VIEWRA_TRANSCODE_MAX_CONCURRENT_JOBS": "3",
            "VIEWRA_TRANSCODE_TIMEOUT_SECONDS": "120",
            "VIEWRA_TRANSCODE_MAX_SOURCE_BYTES": "1000000",
        }
    )

    limits = TranscodeLimits.from_settings(settings)

    assert (limits.max_concurrent_jobs, limits.timeout_seconds, limits.max_source_bytes) == (
        3,
        120,
        1_000_000,
    )


def test_a_source_over_the_size_limit_fails_without_running_ffmpeg(settings: Settings) -> None:
    tc = transcoder(settings, max_source_bytes=1000)
    source = upload_source(settings, source_file(4), "movies/big.mp4")
    requested = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)

    with pytest.raises(TranscodeFailed, match="over the 1000 limit"):
        run_job(tc, body["h"])

    job = get_job(tc, requested.h)
    assert job.status is JobStatus.FAILED and "over the 1000 limit" in (job.error or "")
    assert job.provider is None  # no provider was taken, no ffmpeg started
    assert content_keys(settings, requested.h) == []


def test_a_job_over_its_timeout_is_stopped_and_failed(settings: Settings) -> None:
    # ffmpeg reads at native speed, so the 4 s source takes 4 s: a 1 s timeout stops it
    tc = transcoder(settings, realtime_input=True, timeout_seconds=1)
    source = upload_source(settings, source_file(4), "movies/long.mp4")
    requested = request_transcode(tc, source, TranscodeParams(max_height=120))
    [body] = queued_messages(settings)

    started = time.monotonic()
    with pytest.raises(TranscodeFailed, match="timed out after 1s"):
        run_job(tc, body["h"])

    assert time.monotonic() - started < 3.5
    job = get_job(tc, requested.h)
    assert job.status is JobStatus.FAILED and (job.error or "").startswith("timed out after 1s")
    assert "manifest.json" not in content_keys(settings, requested.h)


def test_a_worker_with_every_job_slot_taken_hands_the_message_back(settings: Settings) -> None:
    tc = transcoder(settings, max_concurrent_jobs=1, slot_wait_seconds=0.1)
    source = upload_source(settings, source_file(4), "movies/busy.mp4")
    requested = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)
    assert tc.slots.acquire(timeout=1)  # the worker's one slot: a job already running here
    try:
        with pytest.raises(WorkerBusy):
            run_job(tc, body["h"])
    finally:
        tc.slots.release()

    job = get_job(tc, requested.h)
    assert job.status is JobStatus.QUEUED  # not claimed: the queue brings the message back
    assert content_keys(settings, requested.h) == []


def test_a_run_that_raises_something_unexpected_is_counted_as_retried(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while the source downloads: the message comes back, and the metrics say
    so instead of leaving the job counted as running."""
    from prometheus_client.parser import text_string_to_metric_families

    from viewra.common import metrics

    def jobs() -> dict[str, float]:
        return {
            s.labels["state"]: s.value
            for family in text_string_to_metric_families(metrics.exposition().decode())
            for s in family.samples
            if s.name == "viewra_transcode_jobs_total"
        }

    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/full-disk.mp4")
    requested = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tc.sources, "download", disk_full)
    before = jobs()
    with pytest.raises(OSError):
        run_job(tc, body["h"])
    after = jobs()
    moved = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    assert {k: v for k, v in moved.items() if v} == {"running": 1, "retried": 1}
    assert get_job(tc, requested.h).status is JobStatus.RUNNING  # its message runs it again


def test_a_playlists_segment_urls_live_as_long_as_its_media_and_a_margin(
    settings: Settings,
) -> None:
    """hls.js fetches a VOD playlist once: its segment URLs must outlive the whole play."""
    from urllib.parse import parse_qs, urlsplit

    tc = transcoder(settings)
    h = "ab" * 32
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for n in range(1200):  # two hours of 6 s segments
        lines += ["#EXTINF:6.000000,", f"seg_{n:05d}.ts"]
    text = "\n".join([*lines, "#EXT-X-ENDLIST", ""])
    tc.content.put_bytes(tc.content.key(h, "media.m3u8"), text.encode(), "application/x-mpegURL")
    urls = [ln for ln in render_media(tc, h).splitlines() if "seg_" in ln]
    assert len(urls) == 1200
    lifetimes = {int(parse_qs(urlsplit(u).query)["X-Amz-Expires"][0]) for u in urls}
    assert lifetimes == {7200 + settings.auth_media_margin_seconds}

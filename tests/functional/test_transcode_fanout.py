"""Fan-out on moto with the real ffmpeg: a long job planned as chunks, each chunk a message any
worker takes, stitched into one continuous HLS stream (issue 19).

Sources are a few seconds at low resolution; the threshold and chunk size are set low so a
25-second source is five chunks of three 2-second segments.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.hls_continuity import continuity, packets, play_errors
from tests.functional.test_transcode_support import (
    _MEDIA,
    content_keys,
    in_process_stack,
    queued_messages,
    transcoder,
    upload_source,
)
from tests.media_factory import run_ffmpeg
from viewra.common.errors import NotFound
from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.transcoding.chunks import ChunkPlan
from viewra.transcoding.context import Transcoder
from viewra.transcoding.fanout import handle_message
from viewra.transcoding.jobs import JobStatus, cancel_job, get_job, request_transcode
from viewra.transcoding.params import TranscodeParams
from viewra.transcoding.playlists import render_master, render_media
from viewra.transcoding.seek import SegmentNotReady, segment_url
from viewra.transcoding.worker import TranscodeFailed

FPS = "24000/1001"  # frames that do not fall on segment boundaries: the harder case
PARAMS = TranscodeParams(segment_length=2, max_height=120, audio_channels=1)
LIMITS = {"chunk_threshold_seconds": 10, "chunk_segments": 3}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from in_process_stack(monkeypatch)


@functools.cache
def long_source(seconds: int = 25) -> Path:
    """160x120 at 23.976 fps with a 440 Hz tone, keyframes every 2 s (not on our boundaries)."""
    path = _MEDIA / f"fanout_{seconds}s.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", f"testsrc2=size=160x120:rate={FPS}:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "47", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(path)]
    )  # fmt: skip
    return path


def drain(settings: Settings, tc: Transcoder, *, workers: int = 1) -> list[tuple[int, str]]:
    """Run every message on the transcode queue (and what they queue) with ``workers`` threads
    taking messages in queue order; return (chunk or -1 for a whole job, outcome) in the order
    the messages were taken."""
    sqs = client(settings, "sqs")
    urls = [
        sqs.get_queue_url(QueueName=q)["QueueUrl"]
        for q in (settings.transcode_priority_queue, settings.transcode_queue)
    ]
    taken: list[tuple[int, str]] = []
    lock = threading.Lock()

    def receive() -> tuple[str, list[dict[str, Any]]]:
        for url in urls:  # the priority queue first, as the local worker polls them
            r = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"], WaitTimeSeconds=0
            )
            if r.get("Messages"):
                return url, r["Messages"]
        return "", []

    def loop() -> None:
        idle = 0
        while idle < 3:
            url, messages = receive()
            if not messages:
                idle += 1
                time.sleep(0.2)
                continue
            idle = 0
            m = messages[0]
            body = json.loads(m["Body"])
            count = int(m["Attributes"]["ApproximateReceiveCount"])
            with lock:
                slot = len(taken)
                taken.append((body.get("chunk", -1), ""))
            outcome = handle_message(tc, body, receive_count=count)
            with lock:
                taken[slot] = (taken[slot][0], outcome)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    threads = [threading.Thread(target=loop) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return taken


def download(settings: Settings, h: str, into: Path) -> Path:
    s3 = client(settings, "s3")
    prefix = f"content/{h[0:2]}/{h[2:4]}/{h}/"
    for name in content_keys(settings, h):
        s3.download_file(settings.content_bucket, prefix + name, str(into / name))
    return into


def test_a_long_job_is_planned_as_chunks_queued_in_order(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    [planner] = queued_messages(settings)

    assert handle_message(tc, planner) == "running"

    queued = queued_messages(settings)
    assert [m["chunk"] for m in queued] == [0, 1, 2, 3, 4]  # chunk 0 first
    record = tc.jobs.get(requested.h)
    plan = ChunkPlan.from_dict(record.plan)
    assert [(c.start, c.first_segment, c.segment_count) for c in plan.chunks] == [
        (0.0, 0, 3), (6.0, 3, 3), (12.0, 6, 3), (18.0, 9, 3), (24.0, 12, 1)
    ]  # fmt: skip
    assert abs(plan.chunks[-1].length - (plan.duration - 24)) < 1e-6
    job = get_job(tc, requested.h)
    assert (job.chunks, job.chunks_done, job.status) == (5, 0, JobStatus.RUNNING)


def test_chunks_stitch_into_one_continuous_stream(settings: Settings, tmp_path: Path) -> None:
    # 44 s at 23.976 fps: 1,055 frames, the last one starting at 43.96 s, and a container
    # duration of 44.002 s: a tail past the last segment boundary with no frame in it. And the
    # chunk from 36 s starts 36 ms after it while the frame at its end (42.0003 s) is only
    # 0.3 ms past 42 s: an input -t counted from the first frame would take that frame twice.
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(44), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)

    taken = drain(settings, tc, workers=2)

    assert taken[0] == (-1, "running") and taken[1][0] == 0  # the plan, then chunk 0 first
    assert sorted(c for c, _ in taken[1:]) == list(range(8))
    job = get_job(tc, requested.h)
    assert job.status is JobStatus.READY and job.chunks_done == 8
    out = download(settings, requested.h, tmp_path)
    media = (out / "media.m3u8").read_text()
    assert "DISCONTINUITY" not in media and "#EXT-X-ENDLIST" in media
    assert [ln for ln in media.splitlines() if ln.startswith("seg_")] == [
        f"seg_{n:05d}.ts" for n in range(22)
    ]
    master = (out / "master.m3u8").read_text()
    assert 'TYPE=AUDIO,GROUP-ID="audio"' in master and 'AUDIO="audio"' in master
    frame = 1001 / 24000
    video = continuity(packets(out / "media.m3u8", "v"))
    source_video = continuity(packets(long_source(44), "v"))
    assert video.count == source_video.count  # every frame once: none lost or doubled
    assert video.worst_gap < 0.002 and video.worst_overlap < 0.002, video
    assert abs(video.duration - source_video.duration) <= frame
    audio = continuity(packets(out / "audio.m3u8", "a"))
    assert audio.worst_gap < 0.001 and audio.worst_overlap < 0.001, audio
    assert abs(audio.first - video.first) < 0.05  # in sync: the same timeline
    assert play_errors(out / "master.m3u8") == ""
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["chunks"] == 8 and manifest["segment_count"] == 22
    assert abs(manifest["duration"] - plan_duration(tc, requested.h)) <= frame


def plan_duration(tc: Transcoder, h: str) -> float:
    return ChunkPlan.from_dict(tc.jobs.get(h).plan).duration


def test_a_redelivered_chunk_counts_once(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])
    queued_messages(settings)  # the chunk messages: run by hand below

    assert handle_message(tc, {"type": "transcode-chunk", "h": requested.h, "chunk": 1}) == "done"
    again = {"type": "transcode-chunk", "h": requested.h, "chunk": 1}
    # the same message again, as SQS may deliver it twice: counted done, it is skipped
    assert handle_message(tc, again, receive_count=2) == "skipped"
    record = tc.jobs.get(requested.h)
    assert {int(c) for c in record.chunks_done} == {1}
    assert {int(n) for n in record.segments} == {3, 4, 5}


def test_racing_adds_of_the_same_chunk_count_it_once(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def add(chunk: int) -> None:
        barrier.wait()
        results.append(tc.jobs.chunk_done(requested.h, chunk))

    threads = [threading.Thread(target=add, args=(i % 2,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert {int(c) for c in tc.jobs.get(requested.h).chunks_done} == {0, 1}
    assert max(len(r) for r in results) == 2


def test_the_playlist_lists_segments_up_to_the_first_missing_one(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])
    queued_messages(settings)

    # chunk 2 finishes before chunks 0 and 1: nothing is playable yet
    handle_message(tc, {"type": "transcode-chunk", "h": requested.h, "chunk": 2})
    assert "seg_" not in render_media(tc, requested.h)
    handle_message(tc, {"type": "transcode-chunk", "h": requested.h, "chunk": 0})
    listed = [ln for ln in render_media(tc, requested.h).splitlines() if "seg_" in ln]
    assert [ln.split("?")[0].rsplit("/", 1)[-1] for ln in listed] == [
        "seg_00000.ts",
        "seg_00001.ts",
        "seg_00002.ts",
    ]  # fmt: skip  (3-5 wait for chunk 1; 6-8 are up but after the gap)
    assert "#EXT-X-ENDLIST" not in render_media(tc, requested.h)
    master = render_master(tc, requested.h, lambda uri: f"https://api/{uri}")
    assert "https://api/audio.m3u8" in master and "https://api/media.m3u8" in master


def test_a_chunk_that_keeps_failing_fails_the_job_with_its_reason(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])
    queued_messages(settings)
    # a poison chunk: its window starts past the end of the source (ffmpeg exits 0 with one empty
    # segment), so it never covers its time range
    record = tc.jobs.get(requested.h)
    plan = dict(record.plan)
    plan["chunks"] = [*plan["chunks"][:4], {**plan["chunks"][4], "start": 999.0}]
    tc.jobs.set(requested.h, {"plan": plan})
    poison = {"type": "transcode-chunk", "h": requested.h, "chunk": 4}

    with pytest.raises(TranscodeFailed):
        handle_message(tc, poison, receive_count=1)
    assert get_job(tc, requested.h).status is JobStatus.RUNNING  # retried by the queue
    with pytest.raises(TranscodeFailed):
        handle_message(tc, poison, receive_count=settings.dlq_max_receive_count)

    job = get_job(tc, requested.h)
    assert job.status is JobStatus.FAILED
    assert "chunk 4" in (job.error or "") and "failed" in (job.error or "")


def test_cancel_stops_every_running_chunk_and_removes_the_output(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS, realtime_input=True)  # each chunk lasts its length
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])
    queued_messages(settings)
    ended: dict[int, float] = {}
    outcomes: dict[int, str] = {}

    def run(chunk: int) -> None:
        message = {"type": "transcode-chunk", "h": requested.h, "chunk": chunk}
        outcomes[chunk] = handle_message(tc, message)
        ended[chunk] = time.monotonic()

    tc.slots = threading.BoundedSemaphore(2)  # two chunks at once in this one process
    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 15
    while not any(k.startswith("seg_") for k in content_keys(settings, requested.h)):
        assert time.monotonic() < deadline, "no chunk produced a segment"
        time.sleep(0.1)

    asked = time.monotonic()
    cancel_job(tc, requested.h)
    for t in threads:
        t.join(timeout=10)

    assert outcomes == {0: "cancelled", 1: "cancelled"}
    assert max(ended.values()) - asked < 2.0
    assert content_keys(settings, requested.h) == []
    assert get_job(tc, requested.h).status is JobStatus.CANCELLED


def test_a_seek_moves_its_chunk_ahead_and_the_answer_waits_for_it(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])  # chunks 0-4 now wait on the queue
    answer: dict[str, Any] = {}

    def player() -> None:  # asks for segment 7 (chunk 2) before any chunk ran
        answer["url"] = segment_url(tc, requested.h, "seg_00007.ts", wait_seconds=60)
        answer["record"] = tc.jobs.get(requested.h)

    asking = threading.Thread(target=player)
    asking.start()
    sqs = client(settings, "sqs")
    priority = sqs.get_queue_url(QueueName=settings.transcode_priority_queue)["QueueUrl"]
    deadline = time.monotonic() + 10
    while not int(  # the copy is sent just after the record says so: wait for the message
        sqs.get_queue_attributes(QueueUrl=priority, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
    ):
        assert time.monotonic() < deadline, "the chunk was not moved ahead"
        time.sleep(0.05)
    assert tc.jobs.get(requested.h).chunks_bumped == {2}

    taken = drain(settings, tc, workers=1)
    asking.join(timeout=30)

    assert [c for c, _ in taken][:2] == [2, 0]  # the sought chunk first, then in order
    assert "seg_00007.ts" in answer["url"]
    # answered as soon as the segment was up: before the whole job was done
    assert len(answer["record"].chunks_done or ()) < 5
    assert sorted(c for c, _ in taken) == [0, 1, 2, 2, 3, 4]  # the normal copy: skipped
    assert dict(taken)[2] in {"done", "skipped"}
    assert get_job(tc, requested.h).status is JobStatus.READY


def test_a_segment_of_a_stopped_job_or_past_the_end_is_not_found(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])

    with pytest.raises(NotFound):
        segment_url(tc, requested.h, "seg_00013.ts", wait_seconds=1)  # 13 segments: 0-12
    with pytest.raises(NotFound):
        segment_url(tc, requested.h, "../manifest.json", wait_seconds=1)
    with pytest.raises(SegmentNotReady):  # nobody runs the chunk: the answer says ask again
        segment_url(tc, requested.h, "seg_00004.ts", wait_seconds=0.5)
    cancel_job(tc, requested.h)
    tc.jobs.set(requested.h, {"status": "cancelled"})
    with pytest.raises(NotFound):
        segment_url(tc, requested.h, "seg_00004.ts", wait_seconds=1)


def test_a_chunk_message_of_an_earlier_run_of_the_same_hash_is_dropped(settings: Settings) -> None:
    tc = transcoder(settings, **LIMITS)
    source = upload_source(settings, long_source(), "movies/long.mp4")
    requested = request_transcode(tc, source, PARAMS)
    handle_message(tc, queued_messages(settings)[0])
    stale = queued_messages(settings)[0]  # chunk 0 of the first run
    cancel_job(tc, requested.h)

    assert handle_message(tc, stale) == "skipped"  # cancelled while nothing ran: it says so
    assert get_job(tc, requested.h).status is JobStatus.CANCELLED
    again = request_transcode(tc, source, PARAMS)
    assert again.created and again.h == requested.h
    handle_message(tc, queued_messages(settings)[0])  # planned anew
    fresh = queued_messages(settings)[0]

    assert fresh["plan"] != stale["plan"]
    assert handle_message(tc, stale) == "skipped"
    assert tc.jobs.get(requested.h).chunks_started is None  # the stale one counted nowhere
    assert handle_message(tc, fresh) == "done"

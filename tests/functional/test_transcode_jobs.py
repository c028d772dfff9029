"""Requesting, deduplicating, re-queueing and evicting transcodes (moto in process)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.functional.test_transcode_support import (
    content_keys,
    in_process_stack,
    queued_messages,
    source_file,
    transcoder,
    upload_source,
)
from viewra.common.errors import NotFound
from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.transcoding.jobs import (
    JobStatus,
    evict,
    evict_lru,
    get_job,
    list_content,
    request_transcode,
    touch,
)
from viewra.transcoding.params import Protocol, SourceRef, TranscodeParams, content_hash
from viewra.transcoding.worker import handle_message


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from in_process_stack(monkeypatch)


def test_concurrent_identical_requests_share_one_job_and_one_message(settings: Settings) -> None:
    tc = transcoder(settings)
    source = SourceRef(bucket=settings.media_bucket, key="a.mkv", etag="e1", size=10)
    results = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        results.append(request_transcode(tc, source, TranscodeParams(video_bitrate="2M")))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len({r.h for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert all(r.job.status is JobStatus.QUEUED for r in results)
    assert queued_messages(settings) == [{"type": "transcode", "h": results[0].h}]


def test_a_new_job_is_answered_as_its_record_reads(settings: Settings) -> None:
    """The creating request answers from the fields it wrote, not a read back: the same job."""
    tc = transcoder(settings)
    source = SourceRef(bucket=settings.media_bucket, key="new.mkv", etag="e9", size=99)
    created = request_transcode(tc, source, TranscodeParams(max_height=480))

    assert created.created and created.job is not None
    assert created.job == get_job(tc, created.h)
    assert created.job.params == TranscodeParams(max_height=480).canonical()
    assert queued_messages(settings) == [{"type": "transcode", "h": created.h}]


def test_equivalent_parameters_are_one_job(settings: Settings) -> None:
    tc = transcoder(settings)
    source = SourceRef(bucket=settings.media_bucket, key="a.mkv", etag='"e1"', size=10)
    first = request_transcode(tc, source, TranscodeParams(video_codec="avc", video_bitrate="2M"))
    second = request_transcode(
        tc, source, TranscodeParams(video_codec="h264", video_bitrate=2_000_000)
    )

    assert first.h == second.h and first.created and not second.created
    assert len(queued_messages(settings)) == 1


def test_a_changed_source_is_a_different_hash(settings: Settings) -> None:
    tc = transcoder(settings)
    old = SourceRef(bucket=settings.media_bucket, key="a.mkv", etag="e1", size=10)
    new = SourceRef(bucket=settings.media_bucket, key="a.mkv", etag="e2", size=10)

    assert (
        request_transcode(tc, old, TranscodeParams()).h
        != request_transcode(tc, new, TranscodeParams()).h
    )
    assert len(queued_messages(settings)) == 2


def test_a_failed_job_is_queued_again_by_the_next_request(settings: Settings) -> None:
    tc = transcoder(settings)
    source = SourceRef(bucket=settings.media_bucket, key="missing.mp4", etag="e", size=1)
    first = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)
    with pytest.raises(RuntimeError):
        handle_message(tc, body)
    assert get_job(tc, first.h).status is JobStatus.FAILED

    again = request_transcode(tc, source, TranscodeParams())

    assert again.created and again.job.status is JobStatus.QUEUED and again.job.error is None
    assert queued_messages(settings) == [body]


def test_a_running_job_whose_worker_went_silent_is_queued_again(settings: Settings) -> None:
    tc = transcoder(settings)
    source = SourceRef(bucket=settings.media_bucket, key="a.mp4", etag="e", size=1)
    first = request_transcode(tc, source, TranscodeParams())
    [body] = queued_messages(settings)
    tc.jobs.set(
        first.h, {"status": JobStatus.RUNNING.value, "updated_at": "2026-01-01T00:00:00.000Z"}
    )

    again = request_transcode(tc, source, TranscodeParams())

    assert again.created and again.job.status is JobStatus.QUEUED
    assert queued_messages(settings) == [body]
    # a job still writing its record is left alone
    tc.jobs.set(first.h, {"status": JobStatus.RUNNING.value})
    assert not request_transcode(tc, source, TranscodeParams()).created


def test_unknown_job_is_not_found(settings: Settings) -> None:
    with pytest.raises(NotFound):
        get_job(transcoder(settings), "0" * 64)


def test_cache_lists_sizes_evicts_one_and_evicts_lru_to_a_budget(settings: Settings) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/clip.mp4")
    hashes = []
    for height in (96, 120, 144):
        params = TranscodeParams(protocol=Protocol.MP4, max_height=height, audio_codec=None)
        hashes.append(request_transcode(tc, source, params).h)
    for body in queued_messages(settings):
        handle_message(tc, body)
    touch(tc, hashes[0])  # the oldest output is the most recently used one now

    entries = {e.h: e for e in list_content(tc)}
    assert set(entries) == set(hashes)
    assert all(e.complete and e.size > 0 and e.objects == 2 for e in entries.values())

    freed = evict(tc, hashes[2])
    assert freed == entries[hashes[2]].size
    assert content_keys(settings, hashes[2]) == []
    with pytest.raises(NotFound):
        get_job(tc, hashes[2])

    evicted = evict_lru(tc, budget_bytes=entries[hashes[0]].size)
    assert evicted == [hashes[1]]  # least recently used goes first; the touched one stays
    assert {e.h for e in list_content(tc)} == {hashes[0]}


def test_a_request_after_eviction_runs_the_job_again(settings: Settings) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/clip.mp4")
    params = TranscodeParams(protocol=Protocol.MP4, max_height=96, audio_codec=None)
    h = request_transcode(tc, source, params).h
    [body] = queued_messages(settings)
    handle_message(tc, body)
    evict(tc, h)

    again = request_transcode(tc, source, params)

    assert not again.ready and again.created
    assert queued_messages(settings) == [{"type": "transcode", "h": h}]
    assert h == content_hash(source, params)


def test_a_manifest_without_a_job_record_is_still_ready(settings: Settings) -> None:
    tc = transcoder(settings)
    source = SourceRef(bucket=settings.media_bucket, key="x.mp4", etag="e", size=5)
    h = content_hash(source, TranscodeParams())
    client(settings, "s3").put_object(
        Bucket=settings.content_bucket,
        Key=f"content/{h[0:2]}/{h[2:4]}/{h}/manifest.json",
        Body=b'{"provider": "software"}',
    )

    result = request_transcode(tc, source, TranscodeParams())

    assert result.ready and result.job.status is JobStatus.READY
    assert queued_messages(settings) == []
    assert get_job(tc, h).status is JobStatus.READY

"""What a job does not do any more, and what stays true (moto in process, real ffmpeg).

The worker's ffmpeg and ffprobe are the real binaries behind a logging wrapper script, so the
tests see which processes a job starts; S3 calls are counted with botocore's own event hooks on
the shared client. Nothing of ours is replaced.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

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
from viewra.common.errors import Conflict
from viewra.common.settings import Settings
from viewra.common.timestamps import now_iso
from viewra.storage.clients import client
from viewra.transcoding.jobs import (
    JobStatus,
    cancel_job,
    evict,
    get_job,
    job_from_record,
    request_transcode,
)
from viewra.transcoding.params import TranscodeParams
from viewra.transcoding.worker import handle_message, run_job

HINTS = {"container": "mp4", "video_codec": "h264", "duration": 4.0}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from in_process_stack(monkeypatch)


@pytest.fixture
def spawned(tmp_path: Path) -> SimpleNamespace:
    """ffmpeg/ffprobe wrappers that log their argv (one JSON line each) and exec the real one."""
    log = tmp_path / "spawned.jsonl"
    paths = {}
    for name in ("ffmpeg", "ffprobe"):
        script = tmp_path / f"logging-{name}"
        script.write_text(
            "#!/usr/bin/env python3\n"
            "import json, os, sys\n"
            f"with open({str(log)!r}, 'a') as f:\n"
            f"    f.write(json.dumps([{name!r}, *sys.argv[1:]]) + '\\n')\n"
            f"os.execvp({name!r}, [{name!r}, *sys.argv[1:]])\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        paths[name] = str(script)

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return SimpleNamespace(ffmpeg=paths["ffmpeg"], ffprobe=paths["ffprobe"], calls=calls)


def _s3_calls(settings: Settings) -> list[str]:
    """Every S3 operation the shared client makes from now on, by name."""
    seen: list[str] = []
    client(settings, "s3").meta.events.register(
        "before-call.s3", lambda model, **_: seen.append(model.name)
    )
    return seen


def test_hints_from_the_catalogue_spare_the_probe_of_the_source(
    settings: Settings, spawned: SimpleNamespace
) -> None:
    tc = transcoder(settings, ffmpeg=spawned.ffmpeg, ffprobe=spawned.ffprobe)
    source = upload_source(settings, source_file(4), "movies/hinted.mp4")
    requested = request_transcode(tc, source, TranscodeParams(max_height=120), hints=HINTS)
    [body] = queued_messages(settings)

    assert handle_message(tc, body) == "ready"

    calls = spawned.calls()
    assert [c[0] for c in calls] == ["ffmpeg"]  # the first segment is read in process
    assert "-version" not in calls[0]
    manifest = tc.content.manifest(requested.h) or {}
    assert manifest["ffmpeg_version"] == tc.registry.facts.version  # from the provider probe
    assert manifest["source_duration"] == 4.0
    video = next(s for s in manifest["streams"] if s["type"] == "video")
    assert video["height"] == 120 and video["codecs"].startswith("avc1.")


def test_without_hints_the_worker_still_probes_the_source(
    settings: Settings, spawned: SimpleNamespace
) -> None:
    tc = transcoder(settings, ffmpeg=spawned.ffmpeg, ffprobe=spawned.ffprobe)
    source = upload_source(settings, source_file(4), "movies/bare.mp4")
    requested = request_transcode(tc, source, TranscodeParams(max_height=120))
    [body] = queued_messages(settings)

    assert handle_message(tc, body) == "ready"

    assert [c[0] for c in spawned.calls()] == ["ffprobe", "ffmpeg"]
    manifest = tc.content.manifest(requested.h) or {}
    assert abs(manifest["source_duration"] - 4.0) < 0.5


def test_a_repeat_request_for_a_ready_hash_is_answered_from_the_record(
    settings: Settings,
) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/again.mp4")
    params = TranscodeParams(max_height=96, audio_codec=None)
    first = request_transcode(tc, source, params, hints=HINTS)
    [body] = queued_messages(settings)
    handle_message(tc, body)
    before = get_job(tc, first.h)
    s3_calls = _s3_calls(settings)

    again = request_transcode(tc, source, params, hints=HINTS)

    assert again.ready and not again.created and again.job.status is JobStatus.READY
    assert s3_calls == []  # no manifest HEAD: a ready record is only written after the manifest
    assert queued_messages(settings) == []
    after = get_job(tc, first.h)
    assert (after.started_at, after.attempts) == (before.started_at, before.attempts)
    assert tc.jobs.get(first.h).accessed_at >= before.updated_at  # still an LRU touch


def test_a_playback_start_of_a_ready_hash_touches_the_record_without_reading_it(
    settings: Settings,
) -> None:
    """``with_job=False`` (the playback path): the same conditional LRU touch, no record back;
    a hash that is not ready still gets its job and message."""
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/touch.mp4")
    params = TranscodeParams(max_height=96, audio_codec=None)

    first = request_transcode(tc, source, params, hints=HINTS, with_job=False)
    assert first.created and not first.ready and first.job is not None
    [body] = queued_messages(settings)
    handle_message(tc, body)
    before = tc.jobs.get(first.h).accessed_at

    again = request_transcode(tc, source, params, hints=HINTS, with_job=False)

    assert again.ready and not again.created and again.job is None and again.h == first.h
    assert queued_messages(settings) == []
    assert tc.jobs.get(first.h).accessed_at > before


def test_eviction_drops_the_record_first_and_refuses_a_running_job(settings: Settings) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/evict.mp4")
    params = TranscodeParams(max_height=96, audio_codec=None)
    h = request_transcode(tc, source, params, hints=HINTS).h
    [body] = queued_messages(settings)
    handle_message(tc, body)
    tc.jobs.set(h, {"status": JobStatus.RUNNING.value})

    with pytest.raises(Conflict):
        evict(tc, h)
    assert "manifest.json" in content_keys(settings, h)  # nothing deleted

    tc.jobs.set(h, {"status": JobStatus.READY.value})
    assert evict(tc, h) > 0
    assert content_keys(settings, h) == [] and tc.jobs.get(h) is None
    again = request_transcode(tc, source, params, hints=HINTS)
    assert again.created and not again.ready


def test_status_polls_of_a_live_job_skip_the_manifest_but_a_quiet_one_is_checked(
    settings: Settings,
) -> None:
    tc = transcoder(settings)
    source = upload_source(settings, source_file(4), "movies/quiet.mp4")
    h = request_transcode(tc, source, TranscodeParams(max_height=96), hints=HINTS).h
    [body] = queued_messages(settings)
    handle_message(tc, body)
    # a run that wrote its manifest and died before marking the record ready, 20 s ago
    tc.jobs.set(h, {"status": JobStatus.RUNNING.value, "updated_at": "2026-01-01T00:00:00.000Z"})
    assert get_job(tc, h).status is JobStatus.READY

    tc.jobs.set(h, {"status": JobStatus.RUNNING.value, "updated_at": now_iso()})
    s3_calls = _s3_calls(settings)
    assert get_job(tc, h).status is JobStatus.RUNNING
    assert s3_calls == []


def test_a_redelivered_message_of_a_finished_run_marks_it_ready_without_ffmpeg(
    settings: Settings, spawned: SimpleNamespace
) -> None:
    tc = transcoder(settings, ffmpeg=spawned.ffmpeg, ffprobe=spawned.ffprobe)
    source = upload_source(settings, source_file(4), "movies/redelivered.mp4")
    h = request_transcode(tc, source, TranscodeParams(max_height=96), hints=HINTS).h
    [body] = queued_messages(settings)
    handle_message(tc, body)
    runs = len(spawned.calls())
    tc.jobs.set(h, {"status": JobStatus.RUNNING.value})  # the crash before the ready write

    assert run_job(tc, h) is JobStatus.READY

    assert len(spawned.calls()) == runs
    assert get_job(tc, h).status is JobStatus.READY


def test_progress_is_written_sparsely_once_playable_and_a_cancel_is_still_prompt(
    settings: Settings,
) -> None:
    # the defaults: progress every 3 s once playable, the cancel flag read every second
    tc = transcoder(settings, realtime_input=True, progress_interval=3.0, cancel_check_seconds=1.0)
    source = upload_source(settings, source_file(12), "movies/sparse.mp4")
    params = TranscodeParams(segment_length=1, max_height=96)
    requested = request_transcode(tc, source, params, hints={**HINTS, "duration": 12.0})
    [body] = queued_messages(settings)
    worker, result = run_job_in_thread(tc, body)
    deadline = time.monotonic() + 15
    while "media.m3u8" not in content_keys(settings, requested.h):
        assert time.monotonic() < deadline, "never playable"
        time.sleep(0.1)
    stamps = []
    for _ in range(int(6.5 / 0.1)):  # 6.5 s of a playable job: two full writes at most
        record = tc.jobs.get(requested.h)
        if not stamps or stamps[-1] != record.updated_at:
            stamps.append(record.updated_at)
        time.sleep(0.1)
    asked = time.monotonic()
    cancel_job(tc, requested.h)
    worker.join(timeout=10)

    assert 2 <= len(stamps) <= 4, stamps
    assert result["status"] == "cancelled"
    assert result["ended"] - asked < 2.0  # type: ignore[operator]
    assert get_job(tc, requested.h).status is JobStatus.CANCELLED


def test_the_eta_is_counted_from_the_records_last_write() -> None:
    written = time.time() - 4
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(written)) + ".000Z"
    record = SimpleNamespace(
        h="0" * 64, status="running", progress=50, fps=25, speed=2.0, eta=10.0, provider=None,
        error=None, attempts=1, cancel=0, params={}, source={}, created_at=stamp,
        updated_at=stamp, started_at=stamp, finished_at=None, playable_at=None,
    )  # fmt: skip

    eta = job_from_record(record).eta_seconds

    assert eta is not None and 5.0 <= eta <= 6.5
    assert job_from_record(SimpleNamespace(**{**vars(record), "eta": 3.0})).eta_seconds == 0.0

"""Transcode jobs: request (hash, ready-at-once or one job per hash), get, cancel; and the
content cache (list, evict one, evict least recently used down to a byte budget).

One record per ``h``. The record is created with a conditional write, so concurrent identical
requests share one job and exactly one message reaches the queue. The manifest in the content
bucket is what says the output is complete; the worker writes it before it marks the record
ready, and eviction removes the record before the output, so a ready record always has a
complete output behind it (content-addressed: immutable) and a request for a ready hash is
answered from the record alone. The manifest is looked at only when the record does not say
ready (a run that crashed between the two writes, or a record lost).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from viewra.common import metrics
from viewra.common.errors import Conflict, NotFound
from viewra.common.events import TranscodeQueued, publish
from viewra.common.parallel_calls import together
from viewra.common.timestamps import now_iso, parse_iso
from viewra.transcoding.chunks import ChunkPlan
from viewra.transcoding.context import Transcoder
from viewra.transcoding.models import CONTENT_PREFIX, MANIFEST, job_prefix
from viewra.transcoding.params import SourceRef, TranscodeParams, content_hash

MESSAGE_TYPE = "transcode"
CHUNK_MESSAGE_TYPE = "transcode-chunk"  # one chunk of a fanned-out job (viewra.transcoding.fanout)
STALE_QUEUED_SECONDS = 900  # a queued job untouched this long gets its message sent again
# A running job writes its record every few seconds; silent this long, its worker is gone (a
# crash the queue has not redelivered yet): the next request queues it again.
STALE_RUNNING_SECONDS = 60
# Silent this long, a running job may have crashed between writing its manifest and marking the
# record ready: a status read then looks for the manifest (else it trusts the record).
QUIET_RUNNING_SECONDS = 15


# A job run again is planned again: the chunk plan and the sets of its last run go.
FANOUT_RESET = {
    "plan": None,
    "plan_id": None,
    "chunks_started": None,
    "chunks_done": None,
    "chunks_bumped": None,
    "segments": None,
}


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = (JobStatus.READY.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value)


class Job(BaseModel):
    h: str
    status: JobStatus
    progress: float | None = None  # percent
    fps: float | None = None
    speed: float | None = None
    eta_seconds: float | None = None
    provider: str | None = None
    error: str | None = None
    attempts: int = 0
    cancel_requested: bool = False
    params: dict[str, Any] | None = None
    source: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    # HLS: when a media playlist listing a segment was first up, i.e. playback could start
    playable_at: str | None = None
    manifest_key: str | None = None
    # a fanned-out job: how many chunks it was split into, and how many are done
    chunks: int | None = None
    chunks_done: int | None = None


class RequestResult(BaseModel):
    """The answer to a transcode request: ``ready`` means the manifest exists now."""

    h: str
    ready: bool
    created: bool  # this request created (or re-queued) the job and sent its message
    job: Job | None = None  # None only when the caller asked for no record (``with_job``)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _eta_now(record: Any) -> float | None:
    """The record's ETA as seconds from now: the worker writes it every few seconds, so the
    stored value is as of ``updated_at`` (a client that waits ETA/3 would otherwise oversleep)."""
    eta = _num(record.eta)
    if not eta or not record.updated_at:
        return eta
    return round(max(eta - max(_age_seconds(record.updated_at), 0.0), 0.0), 1)


def job_from_record(record: Any) -> Job:
    return Job(
        h=record.h,
        status=JobStatus(record.status),
        progress=_num(record.progress),
        fps=_num(record.fps),
        speed=_num(record.speed),
        eta_seconds=_eta_now(record),
        provider=record.provider,
        error=record.error,
        attempts=int(record.attempts or 0),
        cancel_requested=bool(record.cancel),
        params=record.params,
        source=record.source,
        created_at=record.created_at,
        updated_at=record.updated_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        playable_at=record.playable_at,
        manifest_key=job_prefix(record.h) + MANIFEST
        if record.status == JobStatus.READY.value
        else None,
        chunks=len(plan["chunks"]) if (plan := getattr(record, "plan", None)) else None,
        chunks_done=len(getattr(record, "chunks_done", None) or ()) if plan else None,
    )


def _ready_job(tc: Transcoder, h: str, record: Any | None) -> Job:
    if record is not None and record.status == JobStatus.READY.value:
        return job_from_record(record)
    manifest = tc.content.manifest(h) or {}
    return Job(
        h=h,
        status=JobStatus.READY,
        progress=100.0,
        provider=manifest.get("provider"),
        params=manifest.get("params"),
        source=manifest.get("source"),
        finished_at=manifest.get("created_at"),
        manifest_key=job_prefix(h) + MANIFEST,
    )


def _send(tc: Transcoder, h: str) -> None:
    tc.queues.send(tc.settings.transcode_queue, [{"type": MESSAGE_TYPE, "h": h}])


def chunk_message(h: str, chunk: int, plan_id: str | None = None) -> dict[str, Any]:
    return {"type": CHUNK_MESSAGE_TYPE, "h": h, "chunk": chunk, "plan": plan_id}


def queue_chunks(tc: Transcoder, h: str, plan: ChunkPlan) -> bool:
    """Store the plan with the running job and queue one message per chunk: chunk 0 alone and
    first, so the first worker free takes it and the time to the first segment does not depend
    on the source's length; then the others in order. A redelivered planner message finds the
    plan stored: it keeps it (chunks may be done) and queues again the chunks not done, which
    their workers skip if they are running (see :mod:`viewra.transcoding.fanout`). False when
    the job no longer runs."""
    done: set[int] = set()
    plan_id = uuid.uuid4().hex
    if not tc.jobs.set_plan(h, plan.to_dict(), plan_id):
        record = tc.jobs.get(h)
        if record is None or record.status != JobStatus.RUNNING.value or record.cancel:
            return False
        if record.plan:
            plan = ChunkPlan.from_dict(record.plan)
        plan_id = record.plan_id
        done = {int(c) for c in record.chunks_done or ()}
    pending = [c.index for c in plan.chunks if c.index not in done]
    if pending:
        tc.queues.send(tc.settings.transcode_queue, [chunk_message(h, pending[0], plan_id)])
    if pending[1:]:
        messages = [chunk_message(h, i, plan_id) for i in pending[1:]]
        tc.queues.send(tc.settings.transcode_queue, messages)
    return True


def _age_seconds(stamp: str) -> float:
    """Seconds since a ``now_iso`` stamp."""
    return (datetime.now(UTC) - parse_iso(stamp)).total_seconds()


def _older_than(stamp: str | None, seconds: int) -> bool:
    return not stamp or _age_seconds(stamp) > seconds


def request_transcode(
    tc: Transcoder,
    source: SourceRef,
    params: TranscodeParams,
    *,
    hints: dict[str, Any] | None = None,
    with_job: bool = True,
) -> RequestResult:
    """Ready at once when the manifest exists; else one job per hash and one queue message.

    ``hints`` (source container and codecs, duration, subtitle kind) are stored with the job to
    help provider selection; the worker probes what is missing. Without ``with_job`` a ready
    answer carries no job record (a playback start needs only the hash and that it is ready).
    """
    h = content_hash(source, params)
    now = now_iso()
    # the common repeat: one conditional write that is also the LRU touch
    if not with_job:
        if tc.jobs.touch(h, {"accessed_at": now}, only_if_status=(JobStatus.READY.value,)):
            return RequestResult(h=h, ready=True, created=False)
    else:
        ready = tc.jobs.set(h, {"accessed_at": now}, only_if_status=(JobStatus.READY.value,))
        if ready is not None:
            return RequestResult(h=h, ready=True, created=False, job=job_from_record(ready))
    if tc.content.has_manifest(h):
        record = tc.jobs.set(h, {"accessed_at": now})
        return RequestResult(h=h, ready=True, created=False, job=_ready_job(tc, h, record))
    fields = {
        "status": JobStatus.QUEUED.value,
        "params": params.canonical(),
        "source": source.identity(),
        "hints": hints or None,
        "cancel": 0,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "accessed_at": now,
    }
    if tc.jobs.create(h, fields):
        metrics.count("transcode_jobs", state=JobStatus.QUEUED.value)
        # the message and the event at once (neither reads the other), and the answer from the
        # fields just written rather than read back: a new job's first moments are what a
        # waiting player's first segment is timed from
        together(
            lambda: _send(tc, h),
            lambda: publish(tc.events, TranscodeQueued(h=h, source_key=source.key)),
        )
        job = Job(h=h, status=JobStatus.QUEUED, params=fields["params"], source=fields["source"],
                  created_at=now, updated_at=now)  # fmt: skip
        return RequestResult(h=h, ready=False, created=True, job=job)
    record = tc.jobs.get(h)
    if record is None:  # evicted between the two calls: ask again
        return request_transcode(tc, source, params, hints=hints, with_job=with_job)
    # failed, cancelled, or "ready" whose output was evicted: run it again (once per hash)
    stale_queue = record.status == JobStatus.QUEUED.value and _older_than(
        record.updated_at, STALE_QUEUED_SECONDS
    )
    stale_run = record.status == JobStatus.RUNNING.value and _older_than(
        record.updated_at, STALE_RUNNING_SECONDS
    )
    if record.status in TERMINAL or stale_queue or stale_run:
        requeued = tc.jobs.set(
            h,
            {
                "status": JobStatus.QUEUED.value,
                "cancel": 0,
                "error": None,
                "progress": None,
                "eta": None,
                "finished_at": None,
                "playable_at": None,
                "updated_at": now,
                "accessed_at": now,
                **FANOUT_RESET,
            },
            only_if_status=(record.status,),
        )
        if requeued is not None:
            metrics.count("transcode_jobs", state=JobStatus.QUEUED.value)
            _send(tc, h)
            publish(tc.events, TranscodeQueued(h=h, source_key=source.key))
            return RequestResult(h=h, ready=False, created=True, job=job_from_record(requeued))
        record = tc.jobs.get(h) or record
    return RequestResult(h=h, ready=False, created=False, job=job_from_record(record))


def get_job(tc: Transcoder, h: str) -> Job:
    record = tc.jobs.get(h)
    if record is None:
        if tc.content.has_manifest(h):
            return _ready_job(tc, h, None)
        raise NotFound(f"no transcode job {h}")
    if _may_be_done_unmarked(record) and tc.content.has_manifest(h):
        return _ready_job(tc, h, None)
    return job_from_record(record)


def _may_be_done_unmarked(record: Any) -> bool:
    """A record that may belong to a complete output not marked ready: one that went quiet while
    running, or failed after its run (the manifest's write succeeded, the record's did not). A
    live running job, a queued or cancelled one needs no S3 HEAD on each status poll."""
    if record.status == JobStatus.RUNNING.value:
        return _older_than(record.updated_at, QUIET_RUNNING_SECONDS)
    return record.status == JobStatus.FAILED.value


def cancel_job(tc: Transcoder, h: str) -> Job:
    """Ask a queued or running job to stop. A queued job is cancelled at once; a running one
    when its worker next reads the flag (about a second), which then stops ffmpeg."""
    now = now_iso()
    record = tc.jobs.set(
        h,
        {"cancel": 1, "updated_at": now},
        only_if_status=(JobStatus.QUEUED.value, JobStatus.RUNNING.value),
    )
    if record is None:
        return get_job(tc, h)  # NotFound, or already finished: nothing to cancel
    if record.status == JobStatus.QUEUED.value:
        done = tc.jobs.set(
            h,
            {"status": JobStatus.CANCELLED.value, "finished_at": now},
            only_if_status=(JobStatus.QUEUED.value,),
        )
        if done is not None:
            metrics.count("transcode_jobs", state=JobStatus.CANCELLED.value)
        record = done or tc.jobs.get(h) or record
    return job_from_record(record)


# -- the content cache ---------------------------------------------------------------------------


class CacheEntry(BaseModel):
    h: str
    size: int
    objects: int
    complete: bool  # the manifest is there
    last_used: str  # last request/playback, else the newest object's time


def list_content(tc: Transcoder) -> list[CacheEntry]:
    """Every hash with transcode output in the content bucket, with its total size."""
    sizes: dict[str, list[Any]] = {}
    for obj in tc.content.list_prefix(f"{CONTENT_PREFIX}/"):
        parts = obj.key.split("/")
        if len(parts) < 5:
            continue
        h = parts[3]
        entry = sizes.setdefault(h, [0, 0, False, ""])
        entry[0] += obj.size
        entry[1] += 1
        entry[2] = entry[2] or parts[4] == MANIFEST
        entry[3] = max(entry[3], obj.last_modified)
    accessed = {}
    for record in tc.jobs.scan_all():
        if record.h in sizes and record.accessed_at:
            accessed[record.h] = record.accessed_at
    return [
        CacheEntry(h=h, size=s, objects=n, complete=c, last_used=accessed.get(h) or modified)
        for h, (s, n, c, modified) in sorted(sizes.items())
    ]


def evict(tc: Transcoder, h: str) -> int:
    """Delete one hash's job record and output; return the bytes freed.

    The record goes first (a conditional delete: refused with Conflict while the job runs), so
    a ready record never outlives its output; then the manifest, so a half-deleted output is
    never taken for a complete one; then the rest.
    """
    if not tc.jobs.delete(h, unless_status=(JobStatus.RUNNING.value,)):
        raise Conflict(f"transcode {h} is running; cancel it first")
    freed = sum(o.size for o in tc.content.list_prefix(job_prefix(h)))
    manifest_key = job_prefix(h) + MANIFEST
    if tc.content.exists(manifest_key):
        tc.content.delete_prefix(manifest_key)
    tc.content.delete_prefix(job_prefix(h))
    return freed


def evict_lru(tc: Transcoder, budget_bytes: int) -> list[str]:
    """Evict complete outputs, least recently used first, until the total is within budget."""
    entries = list_content(tc)
    total = sum(e.size for e in entries)
    evicted: list[str] = []
    for entry in sorted(entries, key=lambda e: (e.last_used, e.h)):
        if total <= budget_bytes:
            break
        if not entry.complete:
            continue  # a job still writing (or crashed): its next run completes or replaces it
        try:
            total -= evict(tc, entry.h)
        except Conflict:
            continue
        evicted.append(entry.h)
    return evicted


def touch(tc: Transcoder, h: str) -> None:
    """Record a use of ``h`` (playback), which LRU eviction reads."""
    tc.jobs.set(h, {"accessed_at": now_iso()})

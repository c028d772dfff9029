"""Running one chunk of a fanned-out job, and stitching the chunks into one HLS stream.

A chunk worker encodes its time range of the video
(:func:`~viewra.transcoding.command.chunk_command`) into segments with their global numbers,
uploads each as ffmpeg finishes it (renamed into place whole, ``temp_file``), and only then
counts it up in the job record (ADD to a number set). The
media playlist lists the counted segments up to the first missing one, so what a killed worker
leaves is never listed unless it is complete; the redelivered message runs the chunk again and
writes the same keys (the same frames and timestamps: the plan fixes both).

Chunk 0 also encodes the audio, in one pass over the whole source beside its video, as an
audio-only rendition: chunked AAC would restart its encoder at every boundary (priming
samples, a gap or a click). Audio costs a few per cent of the video's CPU and runs far faster
than real time, so its segments keep ahead of the video's.

The worker whose chunk completes the set (an ADD that answers the set after it) stitches:
the final media playlist from each chunk's part file (``part_NNNNN.json``: the segments it
wrote with their measured lengths), the master playlist with the audio group, then
``manifest.json`` last, as a single job does. A redelivered chunk that finds the set complete
and no manifest stitches too.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from viewra.common import events
from viewra.common.errors import PoisonMessage
from viewra.common.logs import logger
from viewra.common.timestamps import now_iso
from viewra.transcoding import hls
from viewra.transcoding.chunks import (
    AUDIO_GROUP,
    AUDIO_PLAYLIST,
    TS_BASE_SECONDS,
    Chunk,
    ChunkPlan,
    vod_media_playlist,
)
from viewra.transcoding.command import (
    AUDIO_SEGMENT_PATTERN,
    MASTER_PLAYLIST,
    MEDIA_PLAYLIST,
    SEGMENT_PATTERN,
    CommandError,
    audio_command,
    chunk_command,
)
from viewra.transcoding.context import Transcoder
from viewra.transcoding.jobs import CHUNK_MESSAGE_TYPE, JobStatus
from viewra.transcoding.models import MANIFEST, SUBTITLE_MESSAGE_TYPE
from viewra.transcoding.params import SourceRef, TranscodeParams
from viewra.transcoding.providers import Need, NoProvider
from viewra.transcoding.subtitle_extract import extract_subtitles
from viewra.transcoding.worker import (
    STDERR_TAIL,
    Heartbeat,
    SegmentProbe,
    TranscodeFailed,
    Uploader,
    WorkerBusy,
    _content_type,
    _fail,
    _tail,
    ffmpeg_version,
    resolve_input,
    start_process,
)
from viewra.transcoding.worker import handle_message as handle_job_message

CANCEL_CHECK_SECONDS = 0.5  # a cancel stops every running chunk within about this (goal: 2 s)
TOUCH_SECONDS = (
    10.0  # a running chunk writes updated_at this often (see jobs.STALE_RUNNING_SECONDS)
)
TICK = 0.1  # s between looks for finished segments
# A chunk's segments must cover its time range to within this (a frame or two of any rate): a
# window past the source's end makes ffmpeg exit 0 with one empty segment.
COVER_TOLERANCE_SECONDS = 0.25


def part_name(chunk: int) -> str:
    return f"part_{chunk:05d}.json"


def handle_message(
    tc: Transcoder,
    body: dict[str, Any],
    heartbeat: Heartbeat | None = None,
    *,
    receive_count: int = 1,
) -> str:
    """A transcode-queue message: a chunk of a fanned-out job, or a whole job (which may plan
    itself into chunks). ``receive_count`` is the message's ApproximateReceiveCount."""
    if body.get("type") == SUBTITLE_MESSAGE_TYPE:
        return extract_subtitles(tc, body, heartbeat)
    if body.get("type") == CHUNK_MESSAGE_TYPE:
        h, chunk = body.get("h"), body.get("chunk")
        if not isinstance(h, str) or not isinstance(chunk, int) or chunk < 0:
            raise PoisonMessage(f"not a chunk message: {sorted(body)[:5]}")
        plan_id = body.get("plan") if isinstance(body.get("plan"), str) else None
        return run_chunk(tc, h, chunk, heartbeat, receive_count=receive_count, plan_id=plan_id)
    return handle_job_message(tc, body, heartbeat)


def run_chunk(
    tc: Transcoder,
    h: str,
    index: int,
    heartbeat: Heartbeat | None = None,
    *,
    receive_count: int = 1,
    plan_id: str | None = None,
) -> str:
    """Run one chunk; answer what became of it (``done``, ``skipped``, ``cancelled``...).

    The start is an ADD to the record's set of started chunks, refused when the chunk is done,
    or already started and this is the message's first delivery (another message for the same
    chunk, a priority copy, runs it: if that worker dies its own message comes back). A message
    delivered again runs the chunk whatever the set says: its first run died. A message of an
    earlier run of the same hash (``plan_id`` differs: cancelled, then asked for again) is
    dropped."""
    # a slot first: a chunk marked started must be running here (a busy worker hands it back)
    if not tc.slots.acquire(timeout=tc.limits.slot_wait_seconds):
        raise WorkerBusy(f"{tc.limits.max_concurrent_jobs} jobs already running here")
    try:
        record = tc.jobs.start_chunk(h, index, plan_id)
        if record is None and receive_count > 1:
            record = tc.jobs.restart_chunk(h, index, plan_id)
        if record is None:
            now = tc.jobs.get(h)
            if now is None:
                raise PoisonMessage(f"no job record for {h}")
            if now.cancel and now.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
                _mark_cancelled(tc, h)  # cancelled while no chunk ran: nobody else will say so
            elif index in {int(c) for c in now.chunks_done or ()} and now.status == "running":
                _maybe_finish(tc, h, now)
            return "skipped"
        if not record.plan:
            raise PoisonMessage(f"job {h} has no chunk plan")
        plan = ChunkPlan.from_dict(record.plan)
        if index >= len(plan.chunks):
            raise PoisonMessage(f"job {h} has no chunk {index}")
        with tempfile.TemporaryDirectory(prefix="viewra-chunk-", dir=tc.limits.temp_dir) as tmp:
            return _run_chunk(tc, h, record, plan, plan.chunks[index], Path(tmp), heartbeat,
                              receive_count)  # fmt: skip
    finally:
        tc.slots.release()


@dataclass
class _Proc:
    name: str
    proc: subprocess.Popen[Any]
    stderr: Path
    out_dir: Path


@dataclass
class _VideoUploads:
    """Segments of this chunk uploaded and counted, by name → size."""

    sizes: dict[str, int] = field(default_factory=dict)
    first_at: str | None = None


def _run_chunk(
    tc: Transcoder,
    h: str,
    record: Any,
    plan: ChunkPlan,
    chunk: Chunk,
    work: Path,
    heartbeat: Heartbeat | None,
    receive_count: int,
) -> str:
    limits = tc.limits
    params = TranscodeParams.model_validate(record.params)
    source = SourceRef.model_validate(record.source)
    hints = record.hints or {}
    problem, input_url, pinned = resolve_input(tc, params, source, hints, work)
    if problem:
        _fail(tc, h, problem)
        raise TranscodeFailed(problem)
    need = Need.of(params, input_container=None, input_video_codec=hints.get("video_codec"))
    video_dir, audio_dir = work / "video", work / "audio"
    video_dir.mkdir()
    audio_dir.mkdir()
    options = limits.command_options()
    procs: list[_Proc] = []
    try:
        with tc.registry.acquire(need) as provider:
            commands = [
                (
                    "video",
                    video_dir,
                    chunk_command(
                        params,
                        provider,
                        input_url,
                        video_dir,
                        start=chunk.start,
                        length=chunk.length,
                        first_segment=chunk.first_segment,
                        options=options,
                        input_headers=pinned,
                        ts_base=TS_BASE_SECONDS,
                    ),
                )
            ]
            if chunk.index == 0 and plan.audio:
                commands.append(
                    (
                        "audio",
                        audio_dir,
                        audio_command(
                            params,
                            provider,
                            input_url,
                            audio_dir,
                            AUDIO_PLAYLIST,
                            options=options,
                            input_headers=pinned,
                            ts_base=TS_BASE_SECONDS,
                        ),
                    )
                )
            for name, out_dir, cmd in commands:
                stderr = work / f"{name}.stderr"
                with stderr.open("wb") as err:
                    proc = start_process(
                        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
                    )
                procs.append(_Proc(name, proc, stderr, out_dir))
            outcome = _watch(tc, h, chunk, procs, heartbeat)
            outcome.provider = provider.name
    except (NoProvider, CommandError) as exc:
        # retried (a provider busy here may be free there); the job fails on the last delivery
        _give_up(tc, h, f"chunk {chunk.index}: {exc}", receive_count)
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.proc.kill()
            p.proc.wait()

    if outcome.cancelled:
        # every chunk worker removes the output once its ffmpeg has stopped: the last one to
        # stop leaves nothing behind, whatever the others uploaded meanwhile
        _mark_cancelled(tc, h)
        logger.info("transcode chunk cancelled", extra={"h": h, "chunk": chunk.index})
        return JobStatus.CANCELLED.value
    failed = [p for p in procs if p.proc.returncode != 0]
    if outcome.timed_out or failed:
        why = f"timed out after {limits.timeout_seconds}s" if outcome.timed_out else ""
        for p in failed:
            why += f"; {p.name} ffmpeg exited with {p.proc.returncode}: {_tail(p.stderr)}"
        _give_up(tc, h, f"chunk {chunk.index}: {why.lstrip('; ')}", receive_count)
    try:
        part = _finish_chunk(tc, h, params, chunk, procs, outcome)
    except TranscodeFailed as exc:
        _give_up(tc, h, str(exc), receive_count)
    tc.content.put_bytes(
        tc.content.key(h, part_name(chunk.index)),
        json.dumps(part, sort_keys=True).encode(),
        "application/json",
    )
    done = tc.jobs.chunk_done(h, chunk.index)
    if done is None:
        return "stopped"  # cancelled or failed meanwhile
    total = len(plan.chunks)
    tc.jobs.touch(
        h,
        {"progress": round(100 * len(done) / total, 1), "updated_at": now_iso()},
        only_if_status=(JobStatus.RUNNING.value,),
    )
    logger.info("transcode chunk done", extra={"h": h, "chunk": chunk.index, "done": len(done)})
    if len(done) >= total:
        stitch(tc, h, params, source, plan)
        return JobStatus.READY.value
    return "done"


def _mark_cancelled(tc: Transcoder, h: str) -> None:
    """The job cancelled, and what its chunks wrote removed (each stopped chunk does this once
    its ffmpeg has stopped: the last one to stop leaves nothing behind)."""
    marked = tc.jobs.set(
        h,
        {"status": JobStatus.CANCELLED.value, "finished_at": now_iso(), "eta": None},
        only_if_status=(JobStatus.QUEUED.value, JobStatus.RUNNING.value),
    )
    tc.content.delete_prefix(tc.content.key(h, ""))
    if marked is not None:
        events.publish(tc.events, events.TranscodeCancelled(h=h))


def _give_up(tc: Transcoder, h: str, error: str, receive_count: int) -> NoReturn:
    """Fail this delivery (the queue retries the chunk); on its last delivery before the
    dead-letter queue (maxReceiveCount), fail the job too, with the reason."""
    if receive_count >= tc.settings.dlq_max_receive_count:
        _fail(tc, h, f"{error} (failed {receive_count} times)")
    raise TranscodeFailed(error)


@dataclass
class _Outcome:
    cancelled: bool = False
    timed_out: bool = False
    video: _VideoUploads = field(default_factory=_VideoUploads)
    audio: Uploader | None = None
    provider: str = ""


def _watch(
    tc: Transcoder, h: str, chunk: Chunk, procs: list[_Proc], heartbeat: Heartbeat | None
) -> _Outcome:
    """Upload finished segments as they come (video: then counted in the record; audio: with
    its playlist after them), read the cancel flag, extend the message's visibility, and stop
    at the timeout."""
    limits = tc.limits
    outcome = _Outcome()
    video = procs[0]
    audio = next((p for p in procs if p.name == "audio"), None)
    if audio is not None:
        outcome.audio = Uploader(
            tc, h, audio.out_dir, pattern=AUDIO_SEGMENT_PATTERN, playlist=AUDIO_PLAYLIST
        )
    started = time.monotonic()
    last_check = last_beat = last_touch = started
    playable_written = False
    while True:
        running = any(p.proc.poll() is None for p in procs)
        if not _upload_video(tc, h, video.out_dir, outcome.video):
            outcome.cancelled = _cancel_asked(tc, h)
            break
        if outcome.audio is not None:
            outcome.audio.pass_once()
        if (
            chunk.index == 0
            and not playable_written
            and outcome.video.first_at
            and (outcome.audio is None or outcome.audio.playable)
        ):
            tc.jobs.touch(h, {"playable_at": now_iso()}, only_if_status=(JobStatus.RUNNING.value,))
            playable_written = True
        if not running:
            break
        now = time.monotonic()
        if now - last_touch >= TOUCH_SECONDS:
            # the record shows the job alive (a request finding it silent would run it again);
            # the write is refused once it is cancelled or stopped
            last_touch = last_check = now
            fields = {"updated_at": now_iso()}
            if not tc.jobs.touch(h, fields, only_if_status=("running",), unless_cancelled=True):
                outcome.cancelled = _cancel_asked(tc, h)
                break
        elif now - last_check >= CANCEL_CHECK_SECONDS:
            last_check = now
            if tc.jobs.cancel_requested(h):
                outcome.cancelled = _cancel_asked(tc, h)
                break
        if heartbeat is not None and now - last_beat >= max(limits.heartbeat_seconds, 1):
            last_beat = now
            try:
                heartbeat()
            except Exception:
                logger.exception("visibility heartbeat failed", extra={"h": h})
        if now - started > limits.timeout_seconds:
            outcome.timed_out = True
            break
        time.sleep(TICK)
    for p in procs:
        if p.proc.poll() is None:
            p.proc.kill()
        p.proc.wait()
    return outcome


def _cancel_asked(tc: Transcoder, h: str) -> bool:
    """True for a cancel (the output is then removed); False when the job stopped otherwise
    (another chunk failed it): the chunk just ends."""
    record = tc.jobs.get(h)
    return record is None or bool(record.cancel) or record.status == JobStatus.CANCELLED.value


def _upload_video(tc: Transcoder, h: str, out_dir: Path, up: _VideoUploads) -> bool:
    """Upload this chunk's new segments, each then counted up; False when the job stopped."""
    for path in sorted(out_dir.iterdir()):
        name = path.name
        if not SEGMENT_PATTERN.match(name) or name in up.sizes:
            continue
        tc.content.put_file(tc.content.key(h, name), path, _content_type(name))
        up.sizes[name] = path.stat().st_size
        if not tc.jobs.segment_up(h, int(name[4:9])):
            return False
        up.first_at = up.first_at or now_iso()
    return True


def _finish_chunk(
    tc: Transcoder,
    h: str,
    params: TranscodeParams,
    chunk: Chunk,
    procs: list[_Proc],
    outcome: _Outcome,
) -> dict[str, Any]:
    """The chunk's last uploads and its part document: the segments it wrote with their
    measured lengths (and, for chunk 0, the audio rendition's and the streams' summary)."""
    video = procs[0]
    if not _upload_video(tc, h, video.out_dir, outcome.video):
        raise TranscodeFailed(f"chunk {chunk.index}: the job stopped while it finished")
    segments = hls.media_segments((video.out_dir / MEDIA_PLAYLIST).read_text())
    missing = [s.uri for s in segments if s.uri not in outcome.video.sizes]
    if missing or not segments:
        raise TranscodeFailed(f"chunk {chunk.index}: segments listed but not written: {missing}")
    covered = sum(s.duration for s in segments)
    numbers = [int(s.uri[4:9]) for s in segments]
    expected = list(range(chunk.first_segment, chunk.first_segment + chunk.segment_count))
    if (
        abs(covered - chunk.length) > COVER_TOLERANCE_SECONDS
        or numbers[: len(expected)] != expected[: len(numbers)]
    ):
        raise TranscodeFailed(
            f"chunk {chunk.index}: its segments {numbers[:3]}… cover {covered:.3f} s, not its "
            f"{chunk.length:.3f} s from {chunk.start:.3f} s"
        )
    part: dict[str, Any] = {
        "chunk": chunk.index,
        "provider": outcome.provider,
        "segments": [[s.uri, s.duration, outcome.video.sizes[s.uri]] for s in segments],
    }
    if chunk.index != 0:
        return part
    probe = SegmentProbe(tc.limits.ffprobe, params, video.out_dir)
    part["streams"] = probe.streams(segments[0].uri)
    if outcome.audio is not None:
        audio_dir = outcome.audio.out_dir
        outcome.audio.pass_once(playlist=False)
        text = hls.as_vod((audio_dir / AUDIO_PLAYLIST).read_text())
        listed = hls.media_segments(text)
        absent = [s.uri for s in listed if s.uri not in outcome.audio.sizes]
        if absent or not listed:
            raise TranscodeFailed(f"audio segments listed but not written: {absent}")
        key = tc.content.key(h, AUDIO_PLAYLIST)
        tc.content.put_bytes(key, text.encode(), _content_type(".m3u8"))
        part["audio"] = [[s.uri, s.duration, outcome.audio.sizes[s.uri]] for s in listed]
        part["streams"] += SegmentProbe(tc.limits.ffprobe, params, audio_dir).streams(listed[0].uri)
    return part


def _maybe_finish(tc: Transcoder, h: str, record: Any) -> None:
    """A redelivered chunk message of a job whose every chunk is done but which is not ready
    (the stitching worker died): stitch now."""
    if not record.plan:
        return
    plan = ChunkPlan.from_dict(record.plan)
    if len(record.chunks_done or ()) >= len(plan.chunks) and not tc.content.has_manifest(h):
        stitch(
            tc,
            h,
            TranscodeParams.model_validate(record.params),
            SourceRef.model_validate(record.source),
            plan,
        )


def stitch(
    tc: Transcoder, h: str, params: TranscodeParams, source: SourceRef, plan: ChunkPlan
) -> None:
    """Every chunk is done: the final media playlist (in order, measured lengths, ENDLIST), the
    master with the audio group, then ``manifest.json`` last; the record ready."""
    parts = []
    for chunk in plan.chunks:
        data = tc.content.get_bytes(tc.content.key(h, part_name(chunk.index)))
        if data is None:
            raise TranscodeFailed(f"chunk {chunk.index} is counted done but has no part file")
        parts.append(json.loads(data))
    segments = [(uri, float(d), int(size)) for p in parts for uri, d, size in p["segments"]]
    numbers = [int(uri[4:9]) for uri, _, _ in segments]
    if numbers != list(range(len(numbers))):
        raise TranscodeFailed(f"the chunks' segments are not one sequence: {numbers[:20]}")
    media = vod_media_playlist([(u, d) for u, d, _ in segments], plan.segment_seconds)
    tc.content.put_bytes(tc.content.key(h, MEDIA_PLAYLIST), media.encode(), _content_type(".m3u8"))
    audio = [(uri, float(d), int(size)) for uri, d, size in parts[0].get("audio") or []]
    streams = parts[0].get("streams") or []
    duration = round(sum(d for _, d, _ in segments), 3)
    total = sum(s for _, _, s in segments) + sum(s for _, _, s in audio)
    audio_rate = (sum(s for *_, s in audio) * 8 / duration) if duration and audio else 0
    peak = max((s * 8 / d for _, d, s in segments if d > 0), default=0) + audio_rate
    video = next((s for s in streams if s["type"] == "video"), None)
    codecs = [c for c in (s.get("codecs") for s in streams) if c]
    variant = hls.Variant(
        uri=MEDIA_PLAYLIST,
        bandwidth=int(peak * 1.1) or 1,
        average_bandwidth=int(total * 8 / duration) if duration else None,
        width=video.get("width") if video else None,
        height=video.get("height") if video else None,
        codecs=",".join(codecs) if len(codecs) == len(streams) and codecs else None,
    )
    master = hls.master_playlist(
        [variant], audio=hls.AudioRendition(AUDIO_GROUP, AUDIO_PLAYLIST) if audio else None
    )
    key = tc.content.key(h, MASTER_PLAYLIST)
    tc.content.put_bytes(key, master.encode(), _content_type(".m3u8"))
    files = [{"name": u, "size": s, "duration": d} for u, d, s in segments]
    files += [{"name": u, "size": s, "duration": d, "rendition": "audio"} for u, d, s in audio]
    manifest = {
        "version": 1,
        "h": h,
        "params": params.canonical(),
        "source": source.identity(),
        "provider": parts[0].get("provider"),
        "ffmpeg_version": tc.registry.facts.version or ffmpeg_version(tc.limits.ffmpeg),
        "created_at": now_iso(),
        "source_duration": plan.duration,
        "entry": MASTER_PLAYLIST,
        "media_playlist": MEDIA_PLAYLIST,
        "audio_playlist": AUDIO_PLAYLIST if audio else None,
        "duration": duration,
        "segment_count": len(segments),
        "chunks": len(plan.chunks),
        "files": files,
        "total_bytes": total + len(media) + len(master),
        "bandwidth": variant.bandwidth,
        "streams": streams,
    }
    tc.content.put_if_absent(
        tc.content.key(h, MANIFEST),
        json.dumps(manifest, indent=2, sort_keys=True).encode(),
        "application/json",
    )
    now = now_iso()
    tc.jobs.set(
        h,
        {"status": JobStatus.READY.value, "progress": 100, "eta": 0, "finished_at": now,
         "updated_at": now, "error": None},
        only_if_status=(JobStatus.RUNNING.value,),
    )  # fmt: skip
    logger.info("transcode ready (stitched)", extra={"h": h, "chunks": len(plan.chunks)})
    events.publish(tc.events, events.TranscodeCompleted(h=h))


__all__ = ["STDERR_TAIL", "handle_message", "run_chunk", "stitch"]

"""The job runner: one queue message → one ffmpeg run → content + manifest.

While ffmpeg runs, one loop uploads the segments it has finished (ffmpeg's ``temp_file`` flag
renames a segment into place only once complete) and the playlist so far, so playback can start
before the job ends. The loop is woken by each rename and by ffmpeg's exit
(:mod:`viewra.transcoding.wake`), so a waiting player's first segment goes up the moment it exists;
without inotify it looks every 20 ms until the first segment is up, then every 0.2 s. The same
loop keeps the job record: until the output is playable it writes ffmpeg's newest progress once
a second (clients are waiting on the record to start playback; ffmpeg reports twice a second,
and each write is CPU taken from the ffmpeg that makes the first segment), afterwards it reads
the cancel flag every ``cancel_check_seconds`` and writes progress only every
``progress_interval`` (each write is a DynamoDB write plus an event; a cancel still stops ffmpeg
within about a second). It also extends the message's visibility and enforces the timeout.
The first segment is probed (stream summary for the master playlist) while ffmpeg goes on, so
the end of the job waits for neither that nor ``ffmpeg -version`` (the provider probe read it
once per process). ``manifest.json`` is written last, with ``If-None-Match: *``: its presence
means complete, and a crash at any earlier point leaves none, so the redelivered message runs
the job again (uploads are idempotent: same keys).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viewra.common import events, metrics
from viewra.common.errors import PoisonMessage
from viewra.common.logs import logger
from viewra.common.timestamps import now_iso
from viewra.transcoding import hls
from viewra.transcoding.chunks import plan_chunks
from viewra.transcoding.command import (
    INIT_SEGMENT,
    MASTER_PLAYLIST,
    MEDIA_PLAYLIST,
    MP4_FILE,
    SEGMENT_PATTERN,
    CommandError,
    build_command,
    pinned_input_headers,
)
from viewra.transcoding.context import Transcoder
from viewra.transcoding.jobs import MESSAGE_TYPE, JobStatus, queue_chunks
from viewra.transcoding.models import MANIFEST
from viewra.transcoding.params import Protocol, SourceRef, TranscodeParams
from viewra.transcoding.progress import Progress, ProgressParser, Throttle
from viewra.transcoding.providers import Need, NoProvider
from viewra.transcoding.wake import Waker

try:  # the scan's prober, for the first segment; ffprobe answers where it is missing
    from viewra.media.service import FileRangeSource, ProbeError
    from viewra.media.service import probe as mediainfo_probe
except ImportError:  # pragma: no cover - pymediainfo is in every runtime's requirements
    mediainfo_probe = None  # type: ignore[assignment]

Heartbeat = Callable[[], None]
STDERR_TAIL = 2000
CONTENT_TYPES = {
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".json": "application/json",
}
# Containers ffmpeg reads well over HTTP range requests; others are downloaded first.
RETRIED = "retried"  # a run that raised something unexpected: its message is delivered again
URL_CONTAINERS = {"mp4", "mov", "m4v", "m4a", "mkv", "webm", "matroska", "ts", "mpegts", "mp3"}


class TranscodeFailed(RuntimeError):
    """The run failed; raised after the job is marked failed so the message is retried (and in
    the end dead-lettered)."""


class WorkerBusy(RuntimeError):
    """No free job slot in this worker: the message goes back to the queue."""


def handle_message(tc: Transcoder, body: dict[str, Any], heartbeat: Heartbeat | None = None) -> str:
    if body.get("type") != MESSAGE_TYPE or not isinstance(body.get("h"), str):
        raise PoisonMessage(f"not a transcode message: {sorted(body)[:5]}")
    return run_job(tc, body["h"], heartbeat).value


# -- small helpers -------------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel kill ffmpeg when the worker dies, so a crash leaves no orphan."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


SETPRIV = shutil.which("setpriv")  # util-linux; not in the ffmpeg layer, so maybe not on Lambda


def start_process(cmd: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start ``cmd`` so that the kernel kills it when the worker dies (no orphan after a crash).

    With util-linux's ``setpriv --pdeathsig KILL`` in front (it sets the signal, then execs
    ``cmd`` in the same process), Popen can vfork: a ``preexec_fn`` forces a full fork of the
    worker's process, which took ~20 ms for the local runner (and the parent then pays
    copy-on-write faults). Without setpriv, the ``preexec_fn`` does the same ``prctl``."""
    if os.name != "posix":
        return subprocess.Popen(cmd, **popen)
    if SETPRIV:
        return subprocess.Popen([SETPRIV, "--pdeathsig", "KILL", "--", *cmd], **popen)
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent, **popen)


def ffprobe(
    ffprobe_bin: str, target: str, timeout: float = 30.0, *, background: bool = False
) -> dict[str, Any]:
    """ffprobe's JSON (format and streams) for a file or URL; {} when it cannot tell.

    ``background``: at the lowest CPU priority (nice 19), for a probe that runs beside the
    job's ffmpeg and must not slow it down; its ~0.1 s of CPU then fits in ffmpeg's gaps."""
    args = [ffprobe_bin, "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    try:
        with subprocess.Popen(
            [*args, target],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            if background:
                with contextlib.suppress(OSError, AttributeError):  # not POSIX: as it is
                    os.setpriority(os.PRIO_PROCESS, proc.pid, 19)
            try:
                stdout, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                return {}
    except OSError:
        return {}
    if proc.returncode != 0:
        return {}
    try:
        return json.loads(stdout or "{}")
    except ValueError:
        return {}


def ffmpeg_version(ffmpeg_bin: str) -> str | None:
    """``ffmpeg -version``'s version; only when the provider probe's facts do not carry one."""
    try:
        done = subprocess.run([ffmpeg_bin, "-version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = done.stdout.splitlines()[0] if done.stdout else ""
    return first.removeprefix("ffmpeg version ").split(" ")[0] or None


_SIGNED_QUERY = re.compile(r"(https?://[^\s?]+)\?[^\s:]*")


def redact_urls(text: str) -> str:
    """``text`` with the query of every URL removed: ffmpeg names its input in its errors, and
    the input is a presigned URL whose query is a credential (anyone holding it may read the
    source until it expires). The job's error is shown to API clients."""
    return _SIGNED_QUERY.sub(r"\1?…", text)


def _tail(path: Path, limit: int = STDERR_TAIL) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return redact_urls(data[-limit:].decode("utf-8", "replace").strip())


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


@dataclass
class SourceFacts:
    container: str | None = None
    video_codec: str | None = None
    duration: float | None = None
    subtitle_codecs: tuple[str, ...] = ()


_IMAGE_SUBTITLES = {"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub"}


def source_facts(probe: dict[str, Any], hints: dict[str, Any] | None) -> SourceFacts:
    hints = hints or {}
    fmt = probe.get("format") or {}
    streams = probe.get("streams") or []
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    duration = fmt.get("duration") or hints.get("duration")
    container = hints.get("container") or (fmt.get("format_name") or "").split(",")[0] or None
    return SourceFacts(
        container=container,
        video_codec=hints.get("video_codec") or (videos[0].get("codec_name") if videos else None),
        duration=float(duration) if duration else None,
        subtitle_codecs=tuple(
            str(s.get("codec_name")) for s in streams if s.get("codec_type") == "subtitle"
        ),
    )


def hints_suffice(params: TranscodeParams, hints: dict[str, Any] | None) -> bool:
    """Whether the job's hints (the catalogued item's probe of this very object: the hash pins
    its ETag) tell all a run needs, so the worker's own ffprobe of the URL (~0.2 s before ffmpeg
    can start) is skipped. Needed: the duration (progress, ETA) and the video codec (provider
    choice; the key present, as an audio-only item has none); subtitle codecs only to burn one
    in, which the hints do not carry."""
    hints = hints or {}
    try:
        duration = float(hints.get("duration") or 0)
    except (TypeError, ValueError):
        return False
    return params.burn_subtitle is None and duration > 0 and "video_codec" in hints


# -- uploading while ffmpeg runs -----------------------------------------------------------------


class Uploader:
    """Uploads the finished files of a job's output dir, each once (the media playlist each time
    it changes, after the segments it lists). ``playable`` turns True once a playlist listing a
    segment is up (``playable_at`` says when); ``on_first_segment`` is called then with the
    first segment's name."""

    def __init__(
        self,
        tc: Transcoder,
        h: str,
        out_dir: Path,
        on_first_segment: Callable[[str], None] | None = None,
        *,
        pattern: re.Pattern[str] = SEGMENT_PATTERN,
        playlist: str = MEDIA_PLAYLIST,
    ) -> None:
        self.tc, self.h, self.out_dir = tc, h, out_dir
        self.pattern, self.playlist = pattern, playlist
        self.sizes: dict[str, int] = {}
        self.playable_at: str | None = None
        self._playlist_seen = ""
        self._on_first_segment = on_first_segment

    @property
    def playable(self) -> bool:
        return self.playable_at is not None

    def _put(self, name: str) -> None:
        path = self.out_dir / name
        self.tc.content.put_file(self.tc.content.key(self.h, name), path, _content_type(name))
        self.sizes[name] = path.stat().st_size

    def pass_once(self, *, playlist: bool = True) -> None:
        """Upload the new segments, then (``playlist``) the playlist if it changed."""
        names = sorted(p.name for p in self.out_dir.iterdir())
        segments = [n for n in names if self.pattern.match(n) and n not in self.sizes]
        if segments and INIT_SEGMENT in names and INIT_SEGMENT not in self.sizes:
            self._put(INIT_SEGMENT)
        for name in segments:
            self._put(name)
        if playlist and self.playlist in names:
            self._put_playlist()

    def _put_playlist(self) -> None:
        """The playlist so far, when it changed and every segment it lists is up."""
        try:
            text = (self.out_dir / self.playlist).read_text()
        except FileNotFoundError:  # between ffmpeg's unlink and rename (it renames a temp file)
            return
        if text == self._playlist_seen:
            return
        listed = [s.uri for s in hls.media_segments(text)]
        if not set(listed) <= set(self.sizes):
            return
        self.tc.content.put_bytes(
            self.tc.content.key(self.h, self.playlist), text.encode(), _content_type(".m3u8")
        )
        self._playlist_seen = text
        if listed and not self.playable:
            self.playable_at = now_iso()
            if self._on_first_segment is not None:
                self._on_first_segment(listed[0])


# -- running ffmpeg ------------------------------------------------------------------------------


@dataclass
class RunOutcome:
    returncode: int | None
    cancelled: bool = False
    timed_out: bool = False
    stderr_tail: str = ""
    last: Progress | None = None


# Where the loop cannot be woken (no inotify/pidfd, see viewra.transcoding.wake), it looks:
FIRST_SEGMENT_TICK = 0.02  # s between looks for the first segment: a player is waiting on it
TICK = 0.2  # s between looks afterwards (later segments are ahead of any player); and the
# longest a woken loop sleeps (its record keeping, heartbeat and timeout)


EARLY_PROGRESS_SECONDS = 1.0  # while nothing is playable: the "about once a second"


class RecordKeeper:
    """The job record while ffmpeg runs. The first write carries ``extra`` (the provider). Until
    the output is playable, ffmpeg's newest progress block is written every
    ``EARLY_PROGRESS_SECONDS``: clients waiting to start playback read it for when the first
    segment comes. Afterwards, every ``cancel_check_seconds``, either a progress write (when
    ``progress_interval`` has passed) or a read of the cancel flag alone. :meth:`due` answers
    True when the job was cancelled."""

    def __init__(self, tc: Transcoder, h: str, extra: dict[str, Any]) -> None:
        limits = tc.limits
        self.tc, self.h, self._extra = tc, h, dict(extra)
        self._check_seconds = min(limits.cancel_check_seconds, limits.progress_interval)
        self._touch = Throttle(min(self._check_seconds, EARLY_PROGRESS_SECONDS))
        self._full = Throttle(limits.progress_interval)
        self._checked = Throttle(self._check_seconds)
        self._written: Progress | None = None

    def due(self, latest: list[Progress], playable: bool) -> bool:
        if playable:
            self._touch.interval = self._check_seconds
        if not self._touch.ready():
            return False
        fresh = bool(latest) and latest[0] is not self._written
        if self._extra or (not playable and fresh) or self._full.ready():
            self._full.reset()  # the next full write is an interval after this one
            cancelled = _write_progress(self.tc, self.h, latest, self._extra)
            self._extra = {}
            self._written = latest[0] if latest else None
            self._checked.reset()  # the write answered the cancel flag too
            return cancelled
        return self._checked.ready() and self.tc.jobs.cancel_requested(self.h)

    def also_write(self, fields: dict[str, Any]) -> None:
        """Fields for the next write, which comes at the next due look (within 0.5 s)."""
        self._extra.update(fields)


def execute(
    tc: Transcoder,
    h: str,
    cmd: list[str],
    work: Path,
    duration: float | None,
    heartbeat: Heartbeat | None,
    on_tick: Callable[[], None] | None = None,
    *,
    uploader: Uploader | None = None,
    record_extra: dict[str, Any] | None = None,
) -> RunOutcome:
    """Run ``cmd``; upload as it goes (``uploader``); progress, cancel, heartbeat and timeout as
    described in the module docstring."""
    limits = tc.limits
    stderr_path = work / "ffmpeg.stderr"
    parser = ProgressParser(duration)
    latest: list[Progress] = []
    waker = Waker.open(uploader.out_dir if uploader is not None else None)  # before ffmpeg runs
    try:
        with stderr_path.open("wb") as stderr:
            proc = start_process(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
    except BaseException:
        if waker is not None:
            waker.close()
        raise
    if waker is not None and not waker.add_process(proc.pid):
        waker.close()
        waker = None

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            found = parser.feed(line)
            if found is not None:
                latest.append(found)
                del latest[:-1]

    reader = threading.Thread(target=read, name=f"progress-{h[:8]}", daemon=True)
    reader.start()
    keeper = RecordKeeper(tc, h, record_extra or {})
    heartbeat_throttle = Throttle(max(limits.heartbeat_seconds, 1))
    heartbeat_throttle.ready()  # the message was just received: no need to extend at once
    started = time.monotonic()
    outcome = RunOutcome(returncode=None)
    try:
        while True:
            playable = uploader is None or uploader.playable
            if waker is not None:  # woken by a finished file or ffmpeg's exit, else each TICK
                waker.wait(TICK)
                if proc.poll() is not None:
                    break
            else:
                try:
                    proc.wait(timeout=TICK if playable else FIRST_SEGMENT_TICK)
                    break
                except subprocess.TimeoutExpired:
                    pass
            if uploader is not None:
                uploader.pass_once()
                if uploader.playable_at and not playable:
                    keeper.also_write({"playable_at": uploader.playable_at})
            if on_tick is not None:
                on_tick()
            if keeper.due(latest[-1:], uploader is None or uploader.playable):
                outcome.cancelled = True
                proc.kill()
                break
            if heartbeat is not None and heartbeat_throttle.ready():
                try:
                    heartbeat()
                except Exception:
                    logger.exception("visibility heartbeat failed", extra={"h": h})
            if time.monotonic() - started > limits.timeout_seconds:
                outcome.timed_out = True
                proc.kill()
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(timeout=5)
        if waker is not None:
            waker.close()
    outcome.returncode = proc.returncode
    outcome.stderr_tail = _tail(stderr_path)
    outcome.last = latest[-1] if latest else None
    return outcome


def _write_progress(
    tc: Transcoder, h: str, latest: list[Progress], extra: dict[str, Any] | None = None
) -> bool:
    """Write the newest progress (and ``extra`` fields); True when the job was cancelled
    meanwhile."""
    fields: dict[str, Any] = {**(extra or {}), "updated_at": now_iso()}
    if latest:
        p = latest[0]
        fields.update(
            progress=p.percent,
            fps=p.fps,
            speed=p.speed,
            eta=p.eta_seconds,
            out_time=p.out_time,
        )
    # one conditional write that reads nothing back: refused = cancelled, or no longer running
    running = tc.jobs.touch(
        h, fields, only_if_status=(JobStatus.RUNNING.value,), unless_cancelled=True
    )
    if latest:
        p = latest[0]
        events.publish(
            tc.events,
            events.TranscodeProgress(
                h=h, progress=p.percent, fps=p.fps, speed=p.speed, eta_seconds=p.eta_seconds
            ),
        )
    return not running


# -- one job -------------------------------------------------------------------------------------


def _fail(tc: Transcoder, h: str, error: str) -> None:
    tc.jobs.set(
        h,
        {"status": JobStatus.FAILED.value, "error": error[-STDERR_TAIL:], "eta": None,
         "finished_at": now_iso(), "updated_at": now_iso()},
    )  # fmt: skip
    events.publish(tc.events, events.TranscodeFailed(h=h, error=error[-STDERR_TAIL:]))


def _source_problem(tc: Transcoder, source: SourceRef) -> str | None:
    """Why the source cannot be used any more (gone, or replaced since the request), else None."""
    head = tc.sources.head(source.bucket, source.key)
    if head is None:
        return "source object is gone"
    if head["etag"] != source.etag or head["size"] != source.size:
        return "source object changed since the request (ETag or size differs)"
    return None


def resolve_input(
    tc: Transcoder,
    params: TranscodeParams,
    source: SourceRef,
    hints: dict[str, Any] | None,
    work: Path,
) -> tuple[str | None, str, dict[str, str]]:
    """(problem, input, pinned headers): a presigned URL ffmpeg reads (pinned to the job's ETag),
    or a local copy where the container or a text subtitle needs a file; ``problem`` says why
    neither can be had (then the job fails)."""
    limits = tc.limits
    suffix = Path(source.key).suffix.lower()
    container_hint = ((hints or {}).get("container") or suffix.lstrip(".")).lower()
    needs_file = params.burn_subtitle is not None or container_hint not in URL_CONTAINERS
    mode = limits.input_mode
    if mode == "download" or (mode == "auto" and needs_file):
        problem = _source_problem(tc, source)
        if problem is None and source.size > limits.temp_max_bytes:
            problem = f"source needs a download of {source.size} bytes, over the temp limit"
        if problem:
            return problem, "", {}
        local = work / f"source{suffix if suffix.isascii() and suffix[1:].isalnum() else ''}"
        tc.sources.download(source.bucket, source.key, source.etag, local)
        return None, str(local), {}
    # No HEAD first: every request ffmpeg makes carries If-Match with the job's ETag, so a
    # replaced object fails the run (412) at any point of it, not only at its start; the
    # reason is looked up only then (see the failure below).
    return None, tc.sources.presign(source.bucket, source.key), pinned_input_headers(source.etag)


def _not_claimed(tc: Transcoder, h: str) -> JobStatus:
    """Why the claim was refused, from the record: gone (a poison message), cancelled (marked so
    if it was still queued or running), or already ready."""
    record = tc.jobs.get(h)
    if record is None:
        raise PoisonMessage(f"no job record for {h}")
    if record.status == JobStatus.CANCELLED.value or record.cancel:
        tc.jobs.set(h, {"status": JobStatus.CANCELLED.value}, only_if_status=("queued", "running"))
        return JobStatus.CANCELLED
    return JobStatus(record.status)


def run_job(
    tc: Transcoder,
    h: str,
    heartbeat: Heartbeat | None = None,
    *,
    on_tick: Callable[[], None] | None = None,
) -> JobStatus:
    """Run the job of ``h`` to ready, failed (raises :class:`TranscodeFailed`) or cancelled.

    The claim (a conditional write refusing a ready or cancelled record) comes first, so the
    common path reads nothing before it: the record is read only when the claim is refused. Only
    a record claimed before (a redelivery, a retry) can have an output already, from a run that
    wrote its manifest and crashed before marking the record ready: only then is the manifest
    looked for."""
    if not tc.slots.acquire(timeout=tc.limits.slot_wait_seconds):
        raise WorkerBusy(f"{tc.limits.max_concurrent_jobs} jobs already running here")
    try:
        now = now_iso()
        claimed = tc.jobs.claim(
            h,
            {
                "status": JobStatus.RUNNING.value,
                "worker": f"{os.getpid()}-{uuid.uuid4().hex[:6]}",
                "started_at": now,
                "updated_at": now,
                "progress": 0,
                "playable_at": None,  # an earlier attempt's, if any
            },
            refuse=(JobStatus.READY.value, JobStatus.CANCELLED.value),
        )
        if claimed is None:
            return _not_claimed(tc, h)
        metrics.count("transcode_jobs", state=JobStatus.RUNNING.value)
        with metrics.timed("transcode_seconds", state=JobStatus.FAILED.value) as outcome:
            state = _claimed_run(tc, h, claimed, heartbeat, on_tick)
            outcome["state"] = state.value
        metrics.count("transcode_jobs", state=state.value)
        return state
    except TranscodeFailed:
        metrics.count("transcode_jobs", state=JobStatus.FAILED.value)
        raise
    except Exception:  # the message comes back and the job runs again (or ends in the DLQ)
        metrics.count("transcode_jobs", state=RETRIED)
        raise
    finally:
        tc.slots.release()


def _claimed_run(
    tc: Transcoder,
    h: str,
    claimed: Any,
    heartbeat: Heartbeat | None,
    on_tick: Callable[[], None] | None,
) -> JobStatus:
    """The job once its claim is won (apart, so that :func:`run_job` times and counts every way
    it ends in one place)."""
    if int(claimed.attempts or 0) > 1 and tc.content.has_manifest(h):
        tc.jobs.set(h, {"status": JobStatus.READY.value, "progress": 100})
        return JobStatus.READY
    params = TranscodeParams.model_validate(claimed.params)
    source = SourceRef.model_validate(claimed.source)
    with tempfile.TemporaryDirectory(prefix="viewra-tx-", dir=tc.limits.temp_dir) as tmp:
        return _run(tc, h, params, source, claimed.hints, Path(tmp), heartbeat, on_tick)


def _run(
    tc: Transcoder,
    h: str,
    params: TranscodeParams,
    source: SourceRef,
    hints: dict[str, Any] | None,
    work: Path,
    heartbeat: Heartbeat | None,
    on_tick: Callable[[], None] | None,
) -> JobStatus:
    limits = tc.limits
    if source.size > limits.max_source_bytes:
        problem = f"source is {source.size} bytes, over the {limits.max_source_bytes} limit"
        _fail(tc, h, problem)
        raise TranscodeFailed(problem)

    problem, input_url, pinned = resolve_input(tc, params, source, hints, work)
    if problem:
        _fail(tc, h, problem)
        raise TranscodeFailed(problem)

    probe = {} if hints_suffice(params, hints) else ffprobe(limits.ffprobe, input_url)
    facts = source_facts(probe, hints)
    plan = plan_chunks(
        params,
        facts.duration,
        threshold_seconds=limits.chunk_threshold_seconds,
        chunk_segments=limits.chunk_segments,
    )
    if plan is not None:  # a long source: fanned out as chunks, one message each
        queue_chunks(tc, h, plan)
        return JobStatus.RUNNING
    subtitle_is_image = (
        params.burn_subtitle is not None
        and params.burn_subtitle < len(facts.subtitle_codecs)
        and facts.subtitle_codecs[params.burn_subtitle] in _IMAGE_SUBTITLES
    )
    need = Need.of(params, input_container=None, input_video_codec=facts.video_codec)
    out_dir = work / "out"
    out_dir.mkdir()
    segment_probe = SegmentProbe(limits.ffprobe, params, out_dir)
    try:
        with tc.registry.acquire(need) as provider:
            cmd = build_command(
                params,
                provider,
                input_url,
                out_dir,
                limits.command_options(),
                subtitle_is_image=subtitle_is_image,
                input_headers=pinned,
            )
            logger.info("transcode started", extra={"h": h, "provider": provider.name})
            uploader = Uploader(tc, h, out_dir, on_first_segment=segment_probe.start)
            outcome = execute(
                tc,
                h,
                cmd,
                work,
                facts.duration,
                heartbeat,
                on_tick,
                uploader=uploader if params.protocol is not Protocol.MP4 else None,
                record_extra={"provider": provider.name},  # with the first write, not its own
            )
    except (NoProvider, CommandError) as exc:
        _fail(tc, h, str(exc))
        raise TranscodeFailed(str(exc)) from exc

    if outcome.cancelled:
        tc.jobs.set(
            h,
            {"status": JobStatus.CANCELLED.value, "finished_at": now_iso(), "eta": None},
        )
        tc.content.delete_prefix(tc.content.key(h, ""))  # partial output: no manifest, drop it
        logger.info("transcode cancelled", extra={"h": h})
        events.publish(tc.events, events.TranscodeCancelled(h=h))
        return JobStatus.CANCELLED
    if outcome.timed_out or outcome.returncode != 0:
        why = (
            f"timed out after {limits.timeout_seconds}s"
            if outcome.timed_out
            else f"ffmpeg exited with {outcome.returncode}"
        )
        error = f"{why}: {outcome.stderr_tail}" if outcome.stderr_tail else why
        # a pinned source that is gone or replaced: ffmpeg's own words for it are an HTTP 4XX
        unusable = _source_problem(tc, source) if pinned and not outcome.timed_out else None
        if unusable:
            error = f"{unusable}; {error}"
        _fail(tc, h, error)
        raise TranscodeFailed(error)

    manifest = _finish(
        tc, h, params, source, out_dir, uploader, provider.name, facts, segment_probe
    )
    wrote = tc.content.put_if_absent(
        tc.content.key(h, MANIFEST),
        json.dumps(manifest, indent=2, sort_keys=True).encode(),
        "application/json",
    )
    now = now_iso()
    # a progressive MP4 is playable once complete; an HLS output since its first playlist (set
    # here too in case the job ended before a look wrote it)
    playable_at = (uploader.playable_at if uploader is not None else None) or now
    tc.jobs.set(
        h,
        {"status": JobStatus.READY.value, "progress": 100, "eta": 0, "finished_at": now,
         "updated_at": now, "error": None, "playable_at": playable_at},
    )  # fmt: skip
    logger.info("transcode ready", extra={"h": h, "manifest_written": wrote})
    events.publish(tc.events, events.TranscodeCompleted(h=h))
    return JobStatus.READY


def _finish(
    tc: Transcoder,
    h: str,
    params: TranscodeParams,
    source: SourceRef,
    out_dir: Path,
    uploader: Uploader,
    provider: str,
    facts: SourceFacts,
    segment_probe: SegmentProbe,
) -> dict[str, Any]:
    """Upload what is left and return the manifest document (not yet written)."""
    limits = tc.limits
    manifest: dict[str, Any] = {
        "version": 1,
        "h": h,
        "params": params.canonical(),
        "source": source.identity(),
        "provider": provider,
        "ffmpeg_version": tc.registry.facts.version or ffmpeg_version(limits.ffmpeg),
        "created_at": now_iso(),
        "source_duration": facts.duration,
    }
    if params.protocol is Protocol.MP4:
        path = out_dir / MP4_FILE
        tc.content.put_file(tc.content.key(h, MP4_FILE), path, _content_type(MP4_FILE))
        probe = ffprobe(limits.ffprobe, str(path))
        duration = float((probe.get("format") or {}).get("duration") or 0)
        manifest.update(
            entry=MP4_FILE,
            duration=duration,
            files=[{"name": MP4_FILE, "size": path.stat().st_size, "duration": duration}],
            total_bytes=path.stat().st_size,
            streams=_stream_summary(probe),
        )
        return manifest

    uploader.pass_once(playlist=False)  # the last segments; the final playlists below
    text = hls.as_vod((out_dir / MEDIA_PLAYLIST).read_text())
    segments = hls.media_segments(text)
    missing = [s.uri for s in segments if s.uri not in uploader.sizes]
    if missing:
        raise TranscodeFailed(f"segments listed but not written: {missing[:3]}")
    tc.content.put_bytes(tc.content.key(h, MEDIA_PLAYLIST), text.encode(), _content_type(".m3u8"))
    duration = round(sum(s.duration for s in segments), 3)
    total = sum(uploader.sizes[s.uri] for s in segments)
    peak = max(
        (uploader.sizes[s.uri] * 8 / s.duration for s in segments if s.duration > 0), default=0
    )
    streams = segment_probe.streams(segments[0].uri) if segments else []
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
    version = 7 if params.canonical_container == "mp4" else 3
    master = hls.master_playlist([variant], version=version)
    tc.content.put_bytes(
        tc.content.key(h, MASTER_PLAYLIST), master.encode(), _content_type(".m3u8")
    )
    files = [
        {"name": s.uri, "size": uploader.sizes[s.uri], "duration": s.duration} for s in segments
    ]
    if INIT_SEGMENT in uploader.sizes:
        files.insert(0, {"name": INIT_SEGMENT, "size": uploader.sizes[INIT_SEGMENT]})
    manifest.update(
        entry=MASTER_PLAYLIST,
        media_playlist=MEDIA_PLAYLIST,
        duration=duration,
        segment_count=len(segments),
        files=files,
        total_bytes=sum(f["size"] for f in files) + len(text) + len(master),
        bandwidth=variant.bandwidth,
        streams=streams,
    )
    return manifest


class SegmentProbe:
    """What the first segment holds (fMP4: joined with its init section, as a segment alone has
    no moov), learnt in a thread from the moment that segment is up, so the end of the job does
    not wait for it.

    It is read in this process by the scan's own prober (MediaInfo): about 15 ms of CPU for a
    1 MB segment, where an ffprobe process took about 90 ms (mostly loading its libraries) from
    the ffmpeg still encoding on the same cores. Where MediaInfo cannot tell (no library, an
    unreadable segment), ffprobe runs instead, at nice 19."""

    def __init__(self, ffprobe_bin: str, params: TranscodeParams, out_dir: Path) -> None:
        self.ffprobe_bin, self.out_dir = ffprobe_bin, out_dir
        self.fmp4 = params.canonical_container == "mp4"
        self._segment: str | None = None
        self._result: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None

    def start(self, segment: str) -> None:
        self._segment = segment
        self._thread = threading.Thread(
            target=self._run, args=(segment,), name="segment-probe", daemon=True
        )
        self._thread.start()

    def streams(self, segment: str) -> list[dict[str, Any]]:
        """The stream summary of ``segment``: from the probe started early, else probed now."""
        if self._thread is not None and self._segment == segment:
            self._thread.join()
            return self._result
        self._run(segment)
        return self._result

    def _run(self, segment: str) -> None:
        target = self.out_dir / segment
        if self.fmp4 and (self.out_dir / INIT_SEGMENT).exists():
            target = self.out_dir.parent / "probe.mp4"
            init = (self.out_dir / INIT_SEGMENT).read_bytes()
            target.write_bytes(init + (self.out_dir / segment).read_bytes())
        self._result = _probed_summary(target) or _stream_summary(
            ffprobe(self.ffprobe_bin, str(target), background=True)
        )


def _probed_summary(path: Path) -> list[dict[str, Any]]:
    """The stream summary by MediaInfo, in ffprobe's terms; [] when it cannot tell."""
    if mediainfo_probe is None:
        return []
    try:
        result = mediainfo_probe(FileRangeSource(str(path)))
    except (ProbeError, OSError) as exc:
        logger.info("segment not readable by MediaInfo", extra={"reason": str(exc)})
        return []
    return _stream_summary(
        {
            "streams": [
                {
                    "codec_type": s.type.value,
                    "codec_name": s.codec,
                    "profile": s.profile,
                    "level": int(s.level) if s.level is not None else None,
                    "width": s.width,
                    "height": s.height,
                    "channels": s.channels,
                    "sample_rate": str(s.sample_rate) if s.sample_rate else None,
                }
                for s in result.streams
                if not s.external
            ]
        }
    )


def _stream_summary(probe: dict[str, Any]) -> list[dict[str, Any]]:
    summary = []
    for s in probe.get("streams") or []:
        kind = s.get("codec_type")
        if kind not in {"video", "audio"}:
            continue
        entry: dict[str, Any] = {
            "type": kind,
            "codec": s.get("codec_name"),
            "codecs": hls.codec_string(s),
        }
        if kind == "video":
            entry.update(width=s.get("width"), height=s.get("height"), profile=s.get("profile"))
        else:
            entry.update(channels=s.get("channels"), sample_rate=s.get("sample_rate"))
        summary.append(entry)
    return summary

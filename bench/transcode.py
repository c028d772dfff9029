"""The transcoder's headline figures, in one run, on one generated 1080p source, on the real stack.

    .venv/bin/python bench/transcode.py            # 20 s 1080p source, 24 pairs: ~9 min, 2 cores
    .venv/bin/python bench/transcode.py --aa       # the bench's own noise: bare against bare
    .venv/bin/python bench/transcode.py --quick    # 8 s source, 2 pairs: ~1-2 min
    .venv/bin/python bench/transcode.py --runs 5 --seconds 30 --json

What runs: ``python -m viewra.local.run --ready-json --no-snapshot`` as a subprocess via
``viewra.local.launch.start_stack`` (moto_server, the scan and transcode queue workers, the API;
free ports, a temporary state dir), stopped at the end whatever happens. The source (1920x1080
h264 ultrafast + 48 kHz aac, testsrc2 + sine, faststart) is made once with ffmpeg and cached in
``--workdir``; it is uploaded into a fresh library on a unique prefix and catalogued by the stack.

"ours" is the whole product path over HTTP: ``POST /transcodes {item_id, max_height: 720}`` →
job record + transcode queue message → the stack's transcode worker (``run_job``: claim,
presign, no ffprobe of the URL when the catalogued item's hints suffice, provider, ffmpeg pinned
to the source's ETag with segment uploads as ffmpeg renames each into place, the first segment
read in process by MediaInfo meanwhile, final playlists, manifest) → ``GET /transcodes/{h}``
polled until ``ready`` (every ``--poll`` s once the job's ETA is near, else every ETA/3 up to
1 s); the media playlist is polled every ``--segment-poll`` s once the job's progress says half
of the first segment is encoded, until it lists a segment whose presigned URL downloads. Between
runs the output is evicted (``DELETE /transcode/cache/{h}``), so every run is a fresh job with
the same hash.
Before the first run the stack's provider registry is warmed with ``GET /transcode/providers``
(its one-time ffmpeg probe is shown on its own row).

"bare" is the argument list ``viewra.transcoding.command.build_command`` produces for the same
canonical params, the provider the job used and a fresh presigned URL of the same object on the
same emulator (the worker reads the source that way too), run with subprocess into a temp dir.
The job's real argv is captured from /proc while it runs and compared with it (equal but for the
URL's signature query and the temp dir). Pairs alternate which goes first. Each ratio is shown
two ways: the ratio of the two medians (the goal's figure, as this bench has always judged it)
and the median of the per-pair ratios (each pair's two runs are seconds apart, so a change of
the machine's speed between pairs cancels out; single pairs vary by ±15 % on this machine). The
ratio of medians comes with a 95 % bootstrap interval over the pairs. ``--aa`` runs the bare
command against itself instead of ours, judged the same way: the noise floor under the figures.

Ours is timed by the job record, not by when the polling client noticed: the record's
``playable_at`` (the worker's clock when the first media playlist listing a segment was up, so
from then on ``GET …/media.m3u8`` lists it) and ``finished_at`` (when it marked the record
ready), against the POST's start, on the same machine's clock. The bench still polls and checks
both through the API (the playlist lists a segment that downloads; the status is ready) and
shows how much later it noticed, at a player's pace (every 0.5 s, as an HLS player retries a
playlist). Polls every 20 ms, as this bench first did, cost the stack and the emulator about a
quarter of a core next to the ffmpeg being timed, and timed the poll as much as the job; the
bare side is timed by its own process exit and a 5 ms stat of the output file.

1. Wall time ratio: ours (request → record ready) / bare (ffmpeg start → exit).
2. First playable segment: ours = request → the record's ``playable_at``; bare = ffmpeg start →
   ``seg_00000.ts`` on disk (ffmpeg's ``temp_file`` flag renames a segment into place when it is
   complete; polled every 5 ms).
3. The same request again, ``--requests`` times after ready: latency p50/p95, and ffmpeg/ffprobe
   processes the stack started meanwhile (children of the stack process, watched through /proc),
   plus the transcode queue (must be empty) and the job's ``started_at`` (must not change).
4. Realtime factor of the 1080p → 720p job: source duration / wall time (ours and bare).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

import m3u8  # noqa: E402
import requests  # noqa: E402

from bench._common import (  # noqa: E402
    ProcessWatcher,
    RunningStack,
    errors_logged,
    launch,
    mark,
    percentile,
    step,
    wait_queue_empty,
)
from bench.stats import ratios  # noqa: E402
from viewra.common.timestamps import parse_iso  # noqa: E402
from viewra.transcoding.params import DEFAULT_SEGMENT_SECONDS  # noqa: E402

WALL_GOAL = 1.05
FIRST_SEGMENT_GOAL = 1.10
REPEAT_GOAL_MS = 100.0
PARAMS: dict[str, Any] = {"max_height": 720}  # h264/aac HLS (ts), 6 s segments, crf 23
SEGMENT_SECONDS = DEFAULT_SEGMENT_SECONDS  # first segment length (no segment_length given)
# Pairs by default. 24, not 12: this machine's speed moves by about ±12 % from one ffmpeg run to
# the next, and A/A runs (--aa) of 12 pairs gave ratios from 0.96 to 1.03 for the same command on
# both sides. 24 pairs narrow that spread by about 30 % (1/sqrt 2) for twice the time.
PAIRS = 24


# -- the source ----------------------------------------------------------------------------------
def make_source(workdir: Path, seconds: int) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"source_1080p_{seconds}s.mp4"
    if path.exists():
        return path
    started = time.monotonic()
    partial = path.with_suffix(".part.mp4")
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=25:duration={seconds}"]
    cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]
    cmd += ["-g", "50", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(partial)]
    subprocess.run(cmd, check=True)
    partial.rename(path)
    step(f"made {path.name} ({path.stat().st_size / 1e6:.1f} MB) in "
         f"{time.monotonic() - started:.1f} s")  # fmt: skip
    return path


def source_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip())


# -- results -------------------------------------------------------------------------------------
@dataclass
class Results:
    source: dict[str, Any] = field(default_factory=dict)
    ours: list[dict[str, Any]] = field(default_factory=list)
    bare: list[dict[str, Any]] = field(default_factory=list)
    # --aa: a second bare run in each pair instead of ours (the bench's own noise floor)
    control: list[dict[str, Any]] = field(default_factory=list)
    repeat: dict[str, Any] = field(default_factory=dict)
    setup: dict[str, Any] = field(default_factory=dict)
    argv_check: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- ours: one job through the API -----------------------------------------------------------------
class Api:
    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers.update(headers or {})  # the administrator start_stack signed in

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(self.base + path, json=body, timeout=60)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=60)

    def delete(self, path: str) -> requests.Response:
        return self.http.delete(self.base + path, timeout=60)


def first_segment_ready(api: Api, h: str) -> bool:
    r = api.get(f"/transcodes/{h}/media.m3u8")
    if r.status_code != 200:
        return False
    playlist = m3u8.loads(r.text)
    if not playlist.segments:
        return False
    seg = requests.get(playlist.segments[0].uri, timeout=60)
    return seg.status_code == 200 and len(seg.content) > 0


def _watch_job_dir(watcher: ProcessWatcher, stop: threading.Event, seen: list[float]) -> None:
    """When the job's ffmpeg is up, poll its output dir for the first complete segment."""
    first = None
    while not stop.is_set() and first is None:
        job = [s for s in watcher.found if s.name == "ffmpeg" and "-i" in s.argv]
        if job:
            first = Path(job[0].argv[-1]).parent / "seg_00000.ts"
        else:
            time.sleep(0.01)
    while first is not None and not stop.is_set():
        if first.exists():
            seen.append(time.monotonic())
            return
        time.sleep(0.01)


WATCH_INTERVAL = 0.05  # s between passes of the /proc watch during an "ours" run
STALL_SECONDS = 30.0  # a running job whose record is not written for this long has stalled


def _check(job: dict[str, Any], h: str, seen: dict[str, Any]) -> None:
    """Raise on a failed, cancelled or stalled job (a worker that died mid-job leaves the record
    "running" until the message's visibility timeout brings it back, minutes later)."""
    if job.get("status") in ("failed", "cancelled"):
        raise RuntimeError(f"job {h} {job['status']}: {job.get('error')}")
    stamp = job.get("updated_at")
    if stamp != seen.get("stamp"):
        seen.update(stamp=stamp, at=time.monotonic())
    elif job.get("status") == "running" and time.monotonic() - seen["at"] > STALL_SECONDS:
        raise RuntimeError(
            f"job {h} stalled: record not written for {STALL_SECONDS:.0f}s "
            f"(progress {job.get('progress')}, attempts {job.get('attempts')})"
        )


def run_ours(
    api: Api,
    item_id: str,
    poll: float,
    segment_poll: float,
    running: RunningStack,
    duration: float,
    timeout: float = 900,
) -> dict:
    """POST, then poll the media playlist until a segment downloads, then the job until ready.

    Meanwhile the stack's ffmpeg/ffprobe children are watched through /proc, and the job's own
    output dir, to split the time into phases (the worker does not log them). The /proc watch
    looks every ``WATCH_INTERVAL`` s: each pass reads the children file of every thread of the
    stack, and at 20 ms that took ~7% of a core, from the 2 cores the job's ffmpeg uses (the bare
    runs have no such watcher): it only times the phases, so it need not be finer. Once it has
    found the job's one process (its ffmpeg) it only times its exit."""
    stop = threading.Event()
    job_first: list[float] = []
    cpu_before = running.cpu()
    # the job's ffmpeg alone: hints spare the URL's probe, the first segment is read in process
    with ProcessWatcher(running.pid, interval=WATCH_INTERVAL, expect=1) as watcher:
        side = threading.Thread(target=_watch_job_dir, args=(watcher, stop, job_first))
        side.start()
        try:
            t0, t0_wall = time.monotonic(), time.time()
            r = api.post("/transcodes", {"item_id": item_id, **PARAMS})
            t_answer = time.monotonic() - t0
            if r.status_code not in (200, 201, 202):
                raise RuntimeError(f"POST /transcodes: {r.status_code} {r.text}")
            body = r.json()
            if body.get("ready"):
                raise RuntimeError("the job was already ready: eviction between runs failed")
            h = body["h"]
            first = None
            last_status = 0.0
            near = False  # the job's progress says the first segment is close
            seen: dict[str, Any] = {}
            while first is None:
                if near and first_segment_ready(api, h):
                    first = time.monotonic() - t0
                    break
                if not near or time.monotonic() - last_status > 1.0:
                    last_status = time.monotonic()
                    job = api.get(f"/transcodes/{h}").json()
                    _check(job, h, seen)
                    # progress is written about once a second, so it lags: start the fast polls
                    # once half the first segment's length is encoded (or the job is ready)
                    done = float(job.get("progress") or 0) / 100 * duration
                    near = job.get("status") == "ready" or done >= SEGMENT_SECONDS / 2
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"no segment of {h} after {timeout:.0f}s")
                time.sleep(segment_poll if near else 0.5)
            while True:
                job = api.get(f"/transcodes/{h}").json()
                if job.get("status") == "ready":
                    wall = time.monotonic() - t0
                    break
                _check(job, h, seen)
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"job {h} not ready after {timeout:.0f}s")
                # like a patient client: every `poll` s near the end (by the job's ETA), else
                # up to 1 s, so the bench's own polling does not load the 2 cores ffmpeg uses
                eta = job.get("eta_seconds")
                time.sleep(poll if eta is None else min(1.0, max(poll, float(eta) / 3)))
        finally:
            stop.set()
            side.join()
    cpu = {k: v - cpu_before[k] for k, v in running.cpu().items()}
    spawned = [
        {"name": s.name, "at_s": s.seen_at - t0,
         "exit_s": None if s.exited_at is None else s.exited_at - t0, "argv": s.argv}
        for s in watcher.found
    ]  # fmt: skip
    job_ffmpeg = next((x for x in spawned if x["name"] == "ffmpeg" and "-i" in x["argv"]), None)
    phases = {}
    if job_ffmpeg:
        phases = {
            "ffmpeg_start_s": job_ffmpeg["at_s"],
            "ffmpeg_first_segment_s": job_first[0] - t0 if job_first else None,
            "ffmpeg_exit_s": job_ffmpeg["exit_s"],
        }
    playable_at, finished_at = job.get("playable_at"), job.get("finished_at")
    return {
        "h": h,
        # when the job record says it happened (see the module docstring), else as observed
        "wall_s": _epoch(finished_at) - t0_wall if finished_at else wall,
        "first_segment_s": _epoch(playable_at) - t0_wall if playable_at else first,
        "wall_client_s": wall,
        "first_client_s": first,
        "post_answer_s": t_answer,
        "provider": job.get("provider"),
        "started_at": job.get("started_at"),
        "phases": phases,
        "spawned": spawned,
        "cpu_s": cpu,
    }


def _epoch(stamp: str) -> float:
    """A record's ``now_iso`` stamp (UTC, same machine clock) as seconds since the epoch."""
    return parse_iso(stamp).timestamp()


def evict(api: Api, h: str) -> None:
    r = api.delete(f"/transcode/cache/{h}")
    if r.status_code != 200:
        raise RuntimeError(f"evict {h}: {r.status_code} {r.text}")


# -- bare: the same argument list, run directly ----------------------------------------------------
def bare_command(
    running: RunningStack, key: str, etag: str, provider_name: str, out_dir: Path
) -> list[str]:
    from viewra.storage.transcoder import SourceStore
    from viewra.transcoding.command import build_command, pinned_input_headers
    from viewra.transcoding.context import TranscodeLimits
    from viewra.transcoding.params import TranscodeParams
    from viewra.transcoding.providers import BUILT_IN

    settings = running.settings()
    limits = TranscodeLimits.from_settings(settings)
    provider = next(p for p in BUILT_IN if p.name == provider_name)
    params = TranscodeParams.model_validate(TranscodeParams(**PARAMS).canonical())  # as the worker
    url = SourceStore(settings).presign(running.stack.bucket, key)
    return build_command(
        params,
        provider,
        url,
        out_dir,
        limits.command_options(),
        input_headers=pinned_input_headers(etag),  # as the worker pins its source
    )


def run_bare(cmd_for: Any, work: Path, running: RunningStack) -> dict[str, Any]:
    out_dir = Path(tempfile.mkdtemp(prefix="bare-", dir=work))
    cmd = cmd_for(out_dir)
    first_path = out_dir / "seg_00000.ts"
    first: list[float] = []
    done = threading.Event()

    def watch(t0: float) -> None:
        while not done.is_set():
            if first_path.exists():
                first.append(time.monotonic() - t0)
                return
            time.sleep(0.005)

    cpu_before = running.cpu()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    watcher = threading.Thread(target=watch, args=(t0,), daemon=True)
    watcher.start()
    _, stderr = proc.communicate()
    wall = time.monotonic() - t0
    cpu = {k: v - cpu_before[k] for k, v in running.cpu().items()}
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"bare ffmpeg exited {proc.returncode}: {stderr.decode()[-500:]}")
    segments = sorted(p.name for p in out_dir.glob("seg_*.ts"))
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"wall_s": wall, "first_segment_s": first[0] if first else None,
            "segments": len(segments), "cpu_s": cpu, "argv": cmd}  # fmt: skip


def compare_argv(job_argv: list[str], bare_argv: list[str]) -> dict[str, Any]:
    """Equal but for the presigned URL's query (signature, expiry) and the output temp dir."""

    def normal(argv: list[str]) -> list[str]:
        out = []
        for a in argv:
            if "://" in a:
                parts = urlsplit(a)
                a = f"{parts.scheme}://{parts.netloc}{parts.path}?<signature>"
            elif a.startswith("/"):  # only the output paths are absolute
                a = f"<out>/{Path(a).name}"
            out.append(a)
        return out

    a, b = normal(job_argv), normal(bare_argv)
    diff = [(i, x, y) for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return {"equal": a == b, "job_len": len(a), "bare_len": len(b), "differences": diff[:5],
            "normalised": b}  # fmt: skip


# -- 3: the same request again -------------------------------------------------------------------
def measure_repeat(
    api: Api, running: RunningStack, item_id: str, h: str, n: int, results: Results
) -> None:
    from viewra.storage.clients import client

    settings = running.settings()
    sqs = client(settings, "sqs")
    queue_url = sqs.get_queue_url(QueueName=settings.transcode_queue)["QueueUrl"]
    before = api.get(f"/transcodes/{h}").json()
    latencies: list[float] = []
    answers: list[bool] = []
    with ProcessWatcher(running.pid, interval=0.002) as watcher:
        for _ in range(n):
            t0 = time.perf_counter()
            r = api.post("/transcodes", {"item_id": item_id, **PARAMS})
            latencies.append(time.perf_counter() - t0)
            answers.append(r.status_code in (200, 201) and bool(r.json().get("ready")))
        time.sleep(2.5)  # a queued message would be picked up within the worker's 1 s poll
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    after = api.get(f"/transcodes/{h}").json()
    results.repeat = {
        "requests": n,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "max_ms": max(latencies) * 1000,
        "all_ready": all(answers),
        "ffmpeg_started": watcher.count("ffmpeg"),
        "ffprobe_started": watcher.count("ffprobe"),
        "watcher_passes": watcher.passes,
        "queue_after": {k: int(v) for k, v in attrs.items()},
        "job_unchanged": before.get("started_at") == after.get("started_at")
        and before.get("attempts") == after.get("attempts"),
    }


# -- the run ---------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> Results:
    results = Results()
    source = make_source(args.workdir, args.seconds)
    duration = source_duration(source)
    results.source = {"path": str(source), "bytes": source.stat().st_size,
                      "duration_s": duration, "video": "1920x1080 h264 (ultrafast) 25 fps",
                      "audio": "aac 48 kHz 128k"}  # fmt: skip
    state = Path(tempfile.mkdtemp(prefix="viewra-bench-tx-"))
    work = Path(tempfile.mkdtemp(prefix="viewra-bench-tx-work-"))
    running: RunningStack | None = None
    try:
        step("starting the stack")
        running = launch(state)
        api = Api(running.stack.api, running.stack.headers)
        library = running.stack.library("movies")
        key = f"{library['prefix']}Bench Source {uuid.uuid4().hex[:6]} (2024).mp4"
        step(f"uploading the source to s3://{running.stack.bucket}/{key}")
        running.stack.client("s3").upload_file(str(source), running.stack.bucket, key)
        item = running.stack.item_at(library["id"], key, status="ready", timeout=120)
        t0 = time.monotonic()
        r = api.get("/transcode/providers")
        results.setup["registry_probe_s"] = time.monotonic() - t0
        results.setup["providers"] = [
            p["name"] for p in r.json().get("providers", []) if p.get("available")
        ]
        cmd_for = None
        last_h = None
        if args.aa:
            step("A/A: one ours job for the provider (not timed), then bare/bare pairs")
            first = run_ours(api, item["id"], args.poll, args.segment_poll, running, duration)
            cmd_for = _bare_factory(running, key, first["provider"])
            results.setup["aa_provider"] = first["provider"]
            for i in range(args.runs):
                order = ("a", "b") if i % 2 == 0 else ("b", "a")
                for who in order:
                    step(f"run {i + 1}/{args.runs}: bare ffmpeg ({who.upper()})")
                    (results.bare if who == "a" else results.control).append(
                        run_bare(cmd_for, work, running)
                    )
            return results
        for i in range(args.runs):
            order = ("ours", "bare") if i % 2 == 0 else ("bare", "ours")
            for who in order:
                if who == "ours":
                    step(f"run {i + 1}/{args.runs}: ours (POST /transcodes → ready)")
                    if last_h:
                        evict(api, last_h)
                    ours = run_ours(
                        api, item["id"], args.poll, args.segment_poll, running, duration
                    )
                    last_h = ours["h"]
                    results.ours.append(ours)
                    if cmd_for is None:
                        cmd_for = _bare_factory(running, key, ours["provider"])
                else:
                    if cmd_for is None:  # bare first on a later pair never happens before ours
                        raise RuntimeError("bare needs the provider of an ours run first")
                    step(f"run {i + 1}/{args.runs}: bare ffmpeg")
                    results.bare.append(run_bare(cmd_for, work, running))
        spawned = results.ours[0].get("spawned", [])
        job_ffmpeg = [s for s in spawned if s["name"] == "ffmpeg" and "-i" in s["argv"]]
        if job_ffmpeg and results.bare:
            results.argv_check = compare_argv(job_ffmpeg[0]["argv"], results.bare[0]["argv"])
        else:
            results.notes.append("the job's ffmpeg argv was not captured from /proc")
        results.setup["spawned_per_job"] = {
            name: sum(1 for s in spawned if s["name"] == name) for name in ("ffmpeg", "ffprobe")
        }
        assert last_h is not None
        step(f"repeating the identical request {args.requests} times")
        measure_repeat(api, running, item["id"], last_h, args.requests, results)
        from viewra.storage.clients import client

        settings = running.settings()
        sqs = client(settings, "sqs")
        wait_queue_empty(sqs, sqs.get_queue_url(QueueName=settings.transcode_queue)["QueueUrl"])
    except BaseException:
        if running is not None:
            for line in errors_logged(running):
                print(f"stack error: {line}", file=sys.stderr)
        args.keep_state = True
        raise
    finally:
        if running is not None:
            running.stop()
        if args.keep_state:
            print(f"stack state kept in {state}", file=sys.stderr)
        else:
            shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


def _bare_factory(running: RunningStack, key: str, provider: str) -> Any:
    from viewra.storage.transcoder import SourceStore

    head = SourceStore(running.settings()).head(running.stack.bucket, key)
    if head is None:
        raise RuntimeError(f"the bench source {key} is gone")
    return lambda out_dir: bare_command(running, key, head["etag"], provider, out_dir)


# -- output --------------------------------------------------------------------------------------
def _stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def summary(results: Results) -> dict[str, Any]:
    ours_wall = [r["wall_s"] for r in results.ours]
    bare_wall = [r["wall_s"] for r in results.bare]
    ours_first = [r["first_segment_s"] for r in results.ours]
    bare_first = [r["first_segment_s"] for r in results.bare if r["first_segment_s"] is not None]
    duration = results.source["duration_s"]
    return {
        "runs": min(len(results.ours), len(results.bare)),
        "ours_wall_s": _stats(ours_wall),
        "bare_wall_s": _stats(bare_wall),
        "ours_first_s": _stats(ours_first),
        "bare_first_s": _stats(bare_first),
        **ratios(results.ours, results.bare),
        "ours_cpu_s": _stats([_job_cpu(r) for r in results.ours]),
        "bare_cpu_s": _stats([_job_cpu(r) for r in results.bare]),
        "ours_rtf": duration / statistics.median(ours_wall),
        "bare_rtf": duration / statistics.median(bare_wall),
    }


def _job_cpu(run: dict[str, Any]) -> float:
    """Everything but this bench process: the stack, its ffmpeg/ffprobe, moto, a bare ffmpeg."""
    return sum(v for k, v in run["cpu_s"].items() if k != "bench")


def _fmt(stats: tuple[float, float, float], unit: str = "s") -> str:
    med, lo, hi = stats
    return f"{med:.2f} {unit} ({lo:.2f} to {hi:.2f})"


def render(results: Results, args: argparse.Namespace) -> str:
    s = summary(results)
    src = results.source
    n = s["runs"]
    out = [
        f"### Transcode: {src['duration_s']:.1f} s 1920x1080 h264/aac source "
        f"({src['bytes'] / 1e6:.1f} MB) → HLS h264/aac max_height 720, preset "
        f"{_preset()}, provider {results.ours[0]['provider']}",
        "",
        "ours = the local stack over HTTP: POST /transcodes → queue → transcode worker → "
        f"GET /transcodes/{{h}} polled (every {args.poll * 1000:.0f} ms near the ETA, else ≤ 1 s; "
        f"media.m3u8 every {args.segment_poll * 1000:.0f} ms from half a segment's progress); "
        "bare = the same ffmpeg "
        "argv (from viewra.transcoding.command) on a presigned URL of the same object on the same "
        f"emulator. Medians of {n} alternating pairs (min to max in brackets).",
        "",
        "| metric | ours | bare ffmpeg | ours / bare | goal |",
        "|---|---:|---:|---:|---:|",
    ]
    ratio = s["wall_ratio"]
    per_pair = ", ".join(f"{x:.3f}" for x in s["wall_ratio_per_pair"])
    out.append(
        f"| 1. wall time, request → ready / ffmpeg start → exit (n={n}) | "
        f"{_fmt(s['ours_wall_s'])} | {_fmt(s['bare_wall_s'])} | "
        f"**{ratio:.3f}** {mark(ratio <= WALL_GOAL)} ({_interval(s['wall_ratio_interval'])}; "
        f"median of pairs {s['wall_ratio_paired']:.3f}; pairs: {per_pair}) | ≤ {WALL_GOAL} |"
    )
    oc, bc = s["ours_cpu_s"], s["bare_cpu_s"]
    out.append(
        f"| 1b. CPU seconds of the job: ffmpeg + stack + moto_server (n={n}; load-insensitive "
        f"proxy for 1.) | {_fmt(oc)} | {_fmt(bc)} | {oc[0] / bc[0]:.3f} | (report) |"
    )
    ratio = s["first_ratio"]
    per_pair = ", ".join(f"{x:.3f}" for x in s["first_ratio_per_pair"])
    out.append(
        f"| 2. first playable segment (n={n}) | {_fmt(s['ours_first_s'])} | "
        f"{_fmt(s['bare_first_s'])} | **{ratio:.3f}** {mark(ratio <= FIRST_SEGMENT_GOAL)} "
        f"({_interval(s['first_ratio_interval'])}; median of pairs "
        f"{s['first_ratio_paired']:.3f}; pairs: {per_pair}) | "
        f"≤ {FIRST_SEGMENT_GOAL} |"
    )
    rep = results.repeat
    if rep:
        ok50 = mark(rep["p50_ms"] <= REPEAT_GOAL_MS)
        ok95 = mark(rep["p95_ms"] <= REPEAT_GOAL_MS)
        out.append(
            f"| 3. identical request after ready, p50 / p95 (n={rep['requests']}, one run) | "
            f"{rep['p50_ms']:.1f} ms {ok50} / {rep['p95_ms']:.1f} ms {ok95} (max "
            f"{rep['max_ms']:.1f}) | | | ≤ {REPEAT_GOAL_MS:.0f} ms |"
        )
        spawned = rep["ffmpeg_started"] + rep["ffprobe_started"]
        queue = rep["queue_after"]
        out.append(
            f"| 3. ffmpeg / ffprobe processes started during those requests | "
            f"{rep['ffmpeg_started']} / {rep['ffprobe_started']} {mark(spawned == 0)} "
            f"(all answered ready: {rep['all_ready']}; queue after: "
            f"{queue.get('ApproximateNumberOfMessages')} visible, "
            f"{queue.get('ApproximateNumberOfMessagesNotVisible')} in flight; job record "
            f"untouched: {rep['job_unchanged']}) | | | 0 |"
        )
    out.append(
        f"| 4. realtime factor 1080p → 720p (source s / wall s, n={n}) | "
        f"{s['ours_rtf']:.2f}x | {s['bare_rtf']:.2f}x | | (report) |"
    )
    setup = results.setup
    out.append("")
    out.append("| context | value |")
    out.append("|---|---|")
    out.append(
        f"| one-time provider probe (GET /transcode/providers, cold; excluded above) | "
        f"{setup.get('registry_probe_s', float('nan')):.2f} s |"
    )
    spj = setup.get("spawned_per_job", {})
    out.append(
        f"| processes the stack started for one job (run 1, watched via /proc) | "
        f"ffmpeg {spj.get('ffmpeg', '?')}, ffprobe {spj.get('ffprobe', '?')} |"
    )
    check = results.argv_check
    if check:
        out.append(
            f"| bare argv == job's argv from /proc (URL query, temp dir masked) | "
            f"{check['equal']} {'' if check['equal'] else check['differences']} |"
        )
    post = [r["post_answer_s"] * 1000 for r in results.ours]
    out.append(f"| POST /transcodes answer time, new job (median of {n}) | "
               f"{statistics.median(post):.0f} ms |")  # fmt: skip
    for key, what in (("first_client_s", "first segment"), ("wall_client_s", "ready")):
        seen = [r[key] - r[key.replace("_client", "").replace("first", "first_segment")]
                for r in results.ours if r.get(key) is not None]  # fmt: skip
        if seen:
            late = statistics.median(seen) * 1000
            out.append(f"| the polling client saw the {what} later than the record's time, "
                       f"by (median of {len(seen)}) | {late:.0f} ms |")  # fmt: skip
    gap = [r["wall_s"] - b["wall_s"] for r, b in zip(results.ours, results.bare, strict=False)]
    out.append(f"| ours - bare wall time, per pair | "
               f"{', '.join(f'{g:+.2f} s' for g in gap)} |")  # fmt: skip
    spawned = results.ours[0].get("spawned", [])
    if spawned:
        timeline = ", ".join(
            f"{x['name']} {' '.join(x['argv'][1:3])}… @{x['at_s']:.2f}s" for x in spawned
        )
        out.append(f"| run 1 process timeline (from the POST) | {timeline} |")
    for who, runs in (("ours", results.ours), ("bare", results.bare)):
        cpu = runs[0]["cpu_s"].keys() if runs else ()
        text = ", ".join(f"{k} {statistics.median(r['cpu_s'][k] for r in runs):.2f} s" for k in cpu)
        out.append(f"| CPU seconds during a {who} run (median of {len(runs)}) | {text} |")
    out += render_phases(results)
    for note in results.notes:
        out.append(f"\nnote: {note}")
    return "\n".join(out)


def _interval(bounds: tuple[float, float]) -> str:
    return f"95 % interval {bounds[0]:.3f} to {bounds[1]:.3f}"


def render_aa(results: Results) -> str:
    """``--aa``: the bare run against itself, judged exactly as ours against bare is."""
    r = ratios(results.control, results.bare)
    src = results.source
    n = min(len(results.control), len(results.bare))
    rows = [
        f"### A/A: the bench's bare ffmpeg run against itself ({src['duration_s']:.1f} s 1080p "
        f"source → 720p, provider {results.setup.get('aa_provider')}, {n} alternating pairs)",
        "",
        "Both arms are the same command on the same presigned URL, run exactly as the bench's "
        "bare side: any ratio away from 1.000 is this machine's run-to-run noise, the floor "
        "under the ours / bare figures.",
        "",
        "| metric | B / A, ratio of medians | median of pairs | per pair |",
        "|---|---:|---:|---|",
    ]
    for label, key in (("wall time", "wall"), ("first segment on disk", "first")):
        per_pair = ", ".join(f"{x:.3f}" for x in r[f"{key}_ratio_per_pair"])
        rows.append(
            f"| {label} | **{r[f'{key}_ratio']:.3f}** ({_interval(r[f'{key}_ratio_interval'])}) "
            f"| {r[f'{key}_ratio_paired']:.3f} | {per_pair} |"
        )
    walls = [x["wall_s"] for x in results.bare + results.control]
    rows.append("")
    rows.append(
        f"Single bare runs took {min(walls):.2f} to {max(walls):.2f} s (median "
        f"{statistics.median(walls):.2f} s)."
    )
    return "\n".join(rows)


def render_phases(results: Results) -> list[str]:
    """Where ours spends its time, from the /proc watch of the stack's children (medians)."""
    rows = [r["phases"] for r in results.ours if r.get("phases")]
    rows = [p for p in rows if None not in p.values()]
    if not rows:
        return []
    ours = [r for r in results.ours if r.get("phases") and None not in r["phases"].values()]
    bare_first = [b["first_segment_s"] for b in results.bare if b["first_segment_s"]]
    bare_wall = [b["wall_s"] for b in results.bare]

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s"

    start = [p["ffmpeg_start_s"] for p in rows]
    seg = [p["ffmpeg_first_segment_s"] - p["ffmpeg_start_s"] for p in rows]
    visible = [r["first_segment_s"] - r["phases"]["ffmpeg_first_segment_s"] for r in ours]
    run = [p["ffmpeg_exit_s"] - p["ffmpeg_start_s"] for p in rows]
    tail = [r["wall_s"] - r["phases"]["ffmpeg_exit_s"] for r in ours]
    n = len(rows)
    return [
        "",
        f"Where ours spends its time (medians of {n} runs; the job's ffmpeg and its output dir "
        "watched through /proc and the filesystem):",
        "",
        "| phase | ours | bare ffmpeg |",
        "|---|---:|---:|",
        f"| request → job's ffmpeg started (POST, queue, claim, presign, start) | "
        f"{med(start)} | 0 |",
        f"| ffmpeg start → first segment complete on disk | {med(seg)} | {med(bare_first)} |",
        f"| first segment on disk → media playlist listing it up (wake, segment and "
        f"playlist PUTs) | {med(visible)} | |",
        f"| ffmpeg start → exit | {med(run)} | {med(bare_wall)} |",
        f"| ffmpeg exit → record ready (last uploads, final playlists, manifest, record) | "
        f"{med(tail)} | |",
    ]


def _preset() -> str:
    from viewra.transcoding.context import TranscodeLimits

    return TranscodeLimits().preset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 s source, 2 pairs")
    parser.add_argument("--seconds", type=int, default=None, help="source length (20)")
    parser.add_argument("--runs", type=int, default=None, help="ours/bare pairs (24)")
    parser.add_argument("--requests", type=int, default=20, help="identical requests (3.)")
    parser.add_argument("--poll", type=float, default=0.5, help="client poll interval, s")
    parser.add_argument(
        "--segment-poll",
        type=float,
        default=0.5,
        help="media playlist poll interval near the first segment, s",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/viewra-bench"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--keep-state", action="store_true", help="keep the stack's state dir")
    parser.add_argument(
        "--aa",
        action="store_true",
        help="A/A: bare against bare, to show the bench's own noise floor (no ours runs)",
    )
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 8 if args.quick else 20
    if args.runs is None:
        args.runs = 2 if args.quick else PAIRS
    results = run(args)
    if args.aa:
        print(render_aa(results))
        if args.json:
            print(json.dumps({"source": results.source, "ratios": ratios(results.control,
                              results.bare), "a": results.bare, "b": results.control},
                             indent=2, default=str))  # fmt: skip
        return 0
    print(render(results, args))
    if args.json:
        for r in results.bare[1:]:
            r.pop("argv", None)
        print(json.dumps({"source": results.source, "summary": summary(results),
                          "ours": results.ours, "bare": results.bare, "repeat": results.repeat,
                          "setup": results.setup, "argv_check": results.argv_check,
                          "notes": results.notes}, indent=2, default=str))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

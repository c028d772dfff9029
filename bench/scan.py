"""The scan's three headline figures, measured in one run against the real local stack.

    .venv/bin/python bench/scan.py                 # 1000 files dropped, ~5 min on 2 cores
    .venv/bin/python bench/scan.py --quick         # 100 files, under a minute
    .venv/bin/python bench/scan.py --files 2000 --worker-threads 8 --json
    .venv/bin/python bench/scan.py --only drop --per-folder 0        # all in one folder
    .venv/bin/python bench/scan.py --durability 3 --files 300        # what durability costs

What runs: ``python -m viewra.local.run --ready-json --no-snapshot`` as a subprocess (its own free
emulator and API ports, a temporary ``VIEWRA_STATE_DIR``), stopped at the end whatever happens.

1. Bytes served per probe of a 50 MB MP4 (moov first and moov last), counted by the store's side:
   a byte-counting reverse proxy (bench/byteproxy.py) sits in front of the emulator and counts the
   response body bytes it actually forwarded, per request and per object path, aborted ones
   included. The scan is the real ``viewra.media.scan_pipeline.catalogue_object`` run in this
   process with
   ``Services`` whose S3 endpoint is the proxy (DynamoDB and SQS go straight to the emulator), on
   objects under a prefix that belongs to no library, so the stack's own worker ignores their
   events and every byte the proxy counts for those paths is the scan's. Running the scan core
   here rather than pointing the whole stack at the proxy keeps the throughput figure (2) free of
   the proxy's overhead, and the code path is the one the worker runs for an S3 event. Beside it,
   a plain ``ffprobe -show_format -show_streams`` on a presigned URL through the same proxy:
   ffprobe issues open-ended GETs and drops them when it seeks, so the proxy streams in 16 KiB
   chunks with a small socket send buffer and counts what it sent before the client went away.
2. Files per minute from drop to catalogued: a library is created through the API, then N copies
   of one tiny 2 s MP4 are uploaded at once (boto3, parallel) under its prefix, ``--per-folder``
   to a folder (10 by default, like a season or an album; 0 puts them all in one folder, where
   the scan's sidecar lookup lists the whole folder for every file); S3 notifications
   feed the stack's scan queue and worker threads. The clock runs from the first upload to the
   moment the last of the N is catalogued. The completion signal is the stack's own structured
   log ("item catalogued" / "probe failed" lines, read from its stdout), which costs the stack
   nothing; the count is then confirmed once through ``GET /items?library=…`` (cursor pages of
   500). ``--poll api`` polls the API once a second instead (that load is then part of the figure).
   CPU seconds of moto_server, of the stack process, of this process and of everything else on
   the machine over that window say what bounds the rate (and whether the figure is trustworthy:
   other work on a shared 2-core machine takes its share).
3. p50/p95 per-file scan time: ``catalogue_object`` timed in this process, sequentially, on a
   sample of tiny files against the idle emulator (no proxy), split into its phases (HEAD,
   catalogue read, probe, naming, sidecar folder listing, catalogue write, event publish). The
   stack does not log a scan duration yet; with one, the same percentiles could be read under load
   from its logs. The drop also reports upload → catalogued latency under load, from the logs.
4. ``--preload N`` first fills the drop's library with N items written through the catalogue's
   own write path (``Catalog.put``: the item, its counts, its search and genre rows; keys under
   the library's prefix, 10 per folder, no objects behind them), so the drop lands in a library
   that already holds N items. ``--scale`` runs the two drops issue 21 compares, each on a fresh
   stack: 1,000 files into an empty library, then ``--files`` (10,000) into one preloaded with
   ``--preload`` (10,000) items, and prints their rates and ratio (goal ≥ 0.90).
5. With ``--durability N``: only the drop (2), N times on a stack whose emulator keeps its state
   durably (objects fsynced to files, every write journaled and fsynced before its answer: what
   ``make run`` does) and N times on one with ``--no-snapshot`` (objects in files, no journal, no
   fsync), in alternating order, each on a fresh stack; one table of files per minute for both,
   the ratio of each pair and their median against the goal (durable ≥ 90 % of plain).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

# This process scans in-process too: quiet its logger, and give boto3 the emulator's credentials.
os.environ["VIEWRA_LOG_LEVEL"] = "WARNING"
for _var, _value in (
    ("AWS_ACCESS_KEY_ID", "viewra-local"),
    ("AWS_SECRET_ACCESS_KEY", "viewra-local"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
):
    os.environ.setdefault(_var, _value)

import requests  # noqa: E402

from bench._common import child_pids, cpu_seconds, percentile, running, step  # noqa: E402
from bench.byteproxy import ByteCountingProxy, PathStats  # noqa: E402
from tests.media_factory import big_mp4, mp4  # noqa: E402

BYTES_GOAL = 0.005  # ≤ 0.5 % of a 50 MB MP4
RATE_GOAL = 1200.0  # files per minute, drop to catalogued, 2 cores
DONE_MESSAGES = {"item catalogued": "done", "probe failed": "failed"}
REDELIVERED = "already catalogued with this ETag: skipped"  # an object handled twice
CLK_TCK = os.sysconf("SC_CLK_TCK")
MEASUREMENTS = ("bytes", "per-file", "drop")


# -- the stack ------------------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StackLog:
    """What the stack's JSON log said, keyed by object key: when each item was finished."""

    finished: dict[str, tuple[float, str]] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lines: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def feed(self, line: str) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            return
        if not isinstance(record, dict):
            return
        outcome = DONE_MESSAGES.get(str(record.get("message")))
        with self.lock:
            self.lines += 1
            if record.get("message") == REDELIVERED and record.get("key"):
                key = str(record["key"])
                self.repeats[key] = self.repeats.get(key, 0) + 1
            elif outcome and record.get("key"):
                self.finished.setdefault(str(record["key"]), (time.monotonic(), outcome))
                self.changed.notify_all()
            elif record.get("level") in {"ERROR", "CRITICAL", "WARNING"}:
                detail = str(record.get("exception") or "").strip().splitlines()[-1:]
                key = record.get("key") or ""
                self.errors.append(f"{record.get('level')}: {record.get('message')} {key} {detail}")

    def count(self, prefix: str) -> tuple[int, int]:
        """(finished, failed) under ``prefix``."""
        with self.lock:
            mine = [v for k, v in self.finished.items() if k.startswith(prefix)]
        return len(mine), sum(1 for _, outcome in mine if outcome == "failed")


class Stack:
    """``python -m viewra.local.run`` on free ports and a temporary state dir."""

    def __init__(self, state_dir: Path, worker_threads: int | None, durable: bool = False) -> None:
        self.state_dir = state_dir
        self.durable = durable
        self.env = {
            **os.environ,
            "VIEWRA_EMULATOR_PORT": str(_free_port()),
            "VIEWRA_API_PORT": str(_free_port()),
            "VIEWRA_STATE_DIR": str(state_dir),
            "VIEWRA_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS"):
            self.env.pop(var, None)
        self.env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        if worker_threads:
            self.env["VIEWRA_WORKER_THREADS"] = str(worker_threads)
        self.log = StackLog()
        self.proc: subprocess.Popen[str] | None = None
        self.ready: dict[str, str] = {}
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self.emulator_pid: int | None = None
        self.scan_pids: list[int] = []

    def start(self, timeout: float = 60.0) -> Stack:
        stderr = open(self.state_dir / "stack.stderr", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "viewra.local.run", "--ready-json"]
            + ([] if self.durable else ["--no-snapshot"]),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            bufsize=1,
            start_new_session=True,  # a signal to this process group is ours to relay
        )
        stderr.close()
        self._reader = threading.Thread(target=self._read, name="stack-stdout", daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or not self.ready:
            raise RuntimeError(f"stack not ready in {timeout}s; see {self.state_dir}/stack.stderr")
        children = child_pids(self.proc.pid)
        self.emulator_pid = children[0] if children else None
        # the runner's other children at start: the extra scan processes (VIEWRA_SCAN_PROCESSES)
        self.scan_pids = children[1:]
        return self

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        with open(self.state_dir / "stack.log", "w") as saved:
            self._read_lines(saved)
        self._ready.set()  # the stack exited: wake a waiting start()

    def _read_lines(self, saved: Any) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            saved.write(line)
            if not self.ready and line.startswith("{") and '"endpoint"' in line:
                with contextlib.suppress(ValueError):
                    self.ready = json.loads(line)
                    self._ready.set()
                    continue
            self.log.feed(line)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.emulator_pid and running(self.emulator_pid):  # orphaned by a killed stack
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.emulator_pid, signal.SIGKILL)
        if self._reader:
            self._reader.join(timeout=5)


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle or iowait) since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


# -- helpers -------------------------------------------------------------------------------------


def upload_many(s3: Any, bucket: str, keys: list[str], body: bytes, threads: int) -> dict:
    """Upload ``body`` under every key at once; the monotonic time each upload finished."""
    done: dict[str, float] = {}

    def put(key: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="video/mp4")
        done[key] = time.monotonic()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(put, keys))
    return done


def wait_queue_idle(sqs: Any, queue_url: str, timeout: float = 90.0) -> float:
    """Wait until the scan queue holds no message (visible or in flight) twice in a row."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < timeout:
        attrs = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        pending = int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )
        quiet = quiet + 1 if pending == 0 else 0
        if quiet >= 2:
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"scan queue still busy after {timeout}s")


def api_count(
    api: str, library_id: str, timeout: float = 30.0, headers: dict[str, str] | None = None
) -> tuple[int, int]:
    """(items listed, requests made) for the library, following cursors, 500 a page."""
    listed, calls, cursor = 0, 0, None
    for _ in range(10_000):
        params = {"library": library_id, "limit": "500"}
        if cursor:
            params["cursor"] = cursor
        r = requests.get(f"{api}/items", params=params, headers=headers, timeout=timeout)
        r.raise_for_status()
        calls += 1
        page = r.json()
        listed += len(page["items"])
        cursor = page.get("cursor")
        if not cursor:
            break
    return listed, calls


@contextlib.contextmanager
def phase_timers(timings: dict[str, list[float]]) -> Iterator[Callable[[Any], None]]:
    """Wrap the scan's collaborators (in this process only) to time each phase of a scan."""
    import viewra.media.scan_pipeline as scan_module

    patched: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timings.setdefault(phase, []).append(time.perf_counter() - started)

        patched.append((owner, name, original))
        setattr(owner, name, timed)

    def instrument(services: Any) -> None:
        wrap(services.objects, "head", "HEAD")
        wrap(services.catalog, "get", "catalogue read")
        wrap(services.catalog, "put", "catalogue write")
        wrap(scan_module, "probe", "probe (range GETs + MediaInfo)")
        wrap(scan_module, "parse_name", "naming (guessit)")
        if hasattr(services.objects, "list_folder"):
            wrap(services.objects, "list_folder", "sidecars: folder listing")
        wrap(services.events, "publish", "event publish")

    try:
        yield instrument
    finally:
        for owner, name, original in reversed(patched):
            if isinstance(owner, type(scan_module)):
                setattr(owner, name, original)
            else:
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)


# -- the three measurements ----------------------------------------------------------------------
@dataclass
class Results:
    bytes_rows: list[dict[str, Any]] = field(default_factory=list)
    throughput: dict[str, Any] = field(default_factory=dict)
    per_file: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every dropped file was catalogued (no INCOMPLETE note from the throughput drop)."""
        return not any(note.startswith("INCOMPLETE") for note in self.notes)


def measure_bytes(
    ctx: Context, media: dict[str, Path], results: Results, ffprobe_runs: int = 3
) -> None:
    from viewra.common.timestamps import now_iso
    from viewra.media.models.scans import ScanOutcome
    from viewra.media.scan_pipeline import ObjectRef, catalogue_object, event_order

    proxy = ctx.proxy
    bucket = ctx.bucket
    library = ctx.unlisted_library("bench-bytes/")
    presigner = ctx.s3_via_proxy
    for layout, path in media.items():
        key = f"bench-bytes/{path.name}"
        size = path.stat().st_size
        ctx.s3.upload_file(str(path), bucket, key)
        object_path = f"/{bucket}/{key}"

        proxy.reset()
        started = time.monotonic()
        outcome = catalogue_object(
            ctx.services_via_proxy, library, ObjectRef(bucket, key, event_order(now_iso()))
        )
        ours_seconds = time.monotonic() - started
        if outcome is not ScanOutcome.DONE:
            raise RuntimeError(f"scan of {key} ended {outcome}")
        ours = proxy.stats_for(object_path)

        runs = [_ffprobe_once(proxy, presigner, bucket, key) for _ in range(max(1, ffprobe_runs))]
        runs.sort(key=lambda run: run[0].body_bytes)
        theirs, ff_seconds = runs[len(runs) // 2]
        results.bytes_rows.append(_bytes_row(layout, "ours", size, ours, ours_seconds))
        row = _bytes_row(layout, "ffprobe", size, theirs, ff_seconds)
        row["all_runs_bytes"] = [run[0].body_bytes for run in runs]
        results.bytes_rows.append(row)


def _ffprobe_once(
    proxy: ByteCountingProxy, presigner: Any, bucket: str, key: str
) -> tuple[PathStats, float]:
    """One plain ffprobe of a presigned URL through the proxy: what the proxy sent for it."""
    proxy.reset()
    url = presigner.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600
    )
    started = time.monotonic()
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0 or "codec_name=h264" not in done.stdout:
        raise RuntimeError(f"ffprobe failed on {key}: {done.stderr.strip()[:300]}")
    return proxy.stats_for(f"/{bucket}/{key}"), seconds


def _bytes_row(layout: str, who: str, size: int, stats: PathStats, seconds: float) -> dict:
    return {
        "layout": layout,
        "who": who,
        "size": size,
        "bytes": stats.body_bytes,
        "fraction": stats.body_bytes / size,
        "requests": stats.requests,
        "gets": stats.gets,
        "aborted": stats.aborted,
        "seconds": round(seconds, 3),
        "exchanges": [
            {
                "method": e.method,
                "range": e.range,
                "status": e.status,
                "bytes": e.body_bytes,
                "aborted": e.aborted,
            }
            for e in stats.exchanges
        ],
    }


def measure_per_file(ctx: Context, tiny: bytes, sample: int, results: Results) -> None:
    from viewra.common.timestamps import now_iso
    from viewra.media.models.scans import ScanOutcome
    from viewra.media.scan_pipeline import ObjectRef, catalogue_object, event_order

    prefix = f"bench-sample-{uuid.uuid4().hex[:6]}/"
    keys = [f"{prefix}{_folder(i, 10)}Sample Clip {i:04d} (2020).mp4" for i in range(sample)]
    upload_many(ctx.s3, ctx.bucket, keys, tiny, threads=8)
    ctx.wait_idle()  # the stack's worker has dropped their events (no library) before timing
    library = ctx.unlisted_library(prefix)
    services = ctx.services_direct
    phases: dict[str, list[float]] = {}
    totals: list[float] = []
    with phase_timers(phases) as instrument:
        instrument(services)
        for key in keys:
            order = event_order(now_iso())
            started = time.perf_counter()
            outcome = catalogue_object(services, library, ObjectRef(ctx.bucket, key, order))
            totals.append(time.perf_counter() - started)
            if outcome is not ScanOutcome.DONE:
                raise RuntimeError(f"scan of {key} ended {outcome}")
    results.per_file = {
        "method": "catalogue_object in-process, sequential, idle emulator, 10 per folder",
        "files": sample,
        "p50_ms": percentile(totals, 50) * 1000,
        "p95_ms": percentile(totals, 95) * 1000,
        "mean_ms": statistics.fmean(totals) * 1000,
        "phases_mean_ms": {
            name: statistics.fmean(v) * 1000 * len(v) / len(totals) for name, v in phases.items()
        },
    }
    accounted = sum(results.per_file["phases_mean_ms"].values())
    results.per_file["phases_mean_ms"]["everything else"] = results.per_file["mean_ms"] - accounted


def _folder(index: int, per_folder: int) -> str:
    """The folder of the ``index``-th dropped file: ``per_folder`` files each, 0 for none."""
    return f"Batch {index // per_folder:04d}/" if per_folder > 0 else ""


def preload_library(ctx: Context, library_id: str, prefix: str, count: int) -> float:
    """Write ``count`` items into the library through ``Catalog.put`` (8 threads); seconds."""
    from viewra.media.models.catalogue import item_id
    from viewra.media.models.items import ItemKind, MediaItem, MediaStream, StreamType

    catalog = ctx.services_direct.catalog

    def put(n: int) -> None:
        key = f"{prefix}preloaded/{n // 10:05d}/Preloaded Film {n:06d} ({1950 + n % 70}).mkv"
        item = MediaItem(
            id=item_id(ctx.bucket, key),
            library_id=library_id,
            bucket=ctx.bucket,
            key=key,
            etag=f"preload{n}",
            kind=ItemKind.MOVIE,
            title=f"Preloaded Film {n:06d}",
            year=1950 + n % 70,
            genres=["drama"],
            streams=[
                MediaStream(index=0, type=StreamType.VIDEO, codec="h264", width=640, height=360),
                MediaStream(index=1, type=StreamType.AUDIO, codec="aac"),
            ],
        )
        catalog.put(item, f"{n:012d}")

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for done, _ in enumerate(pool.map(put, range(count)), 1):
            if done % 2000 == 0:
                step(f"  preloaded {done} items")
    return time.monotonic() - began


def measure_throughput(
    ctx: Context,
    tiny: bytes,
    files: int,
    poll: str,
    results: Results,
    per_folder: int = 10,
    preload: int = 0,
) -> None:
    stack = ctx.stack
    r = requests.post(
        f"{ctx.api}/libraries",
        json={
            "name": f"Bench drop {uuid.uuid4().hex[:6]}",
            "prefix": f"bench-drop-{uuid.uuid4().hex[:6]}/",
            "kind": "movies",
        },
        headers=ctx.headers,
        timeout=30,
    )
    r.raise_for_status()
    library = r.json()["library"]
    library_id, prefix = library["id"], library["prefix"]
    ctx.wait_idle()  # its (empty) initial scan is done
    preload_seconds = 0.0
    if preload:
        step(f"preloading the library with {preload} items (Catalog.put)")
        preload_seconds = preload_library(ctx, library_id, prefix, preload)
        step(f"  {preload} items in {preload_seconds:.0f} s")
    names = (f"{_folder(i, per_folder)}Dropped Clip {i:05d} (2020).mp4" for i in range(files))
    keys = [prefix + name for name in names]

    timeout = max(120.0, files * 0.6)
    stall = 150.0  # > twice the visibility timeout: a retried message has had its chance
    cpu_before = {
        "moto_server": cpu_seconds(stack.emulator_pid),
        "stack (workers + API)": cpu_seconds(stack.proc.pid if stack.proc else None),
        "scan processes": sum(cpu_seconds(pid) for pid in stack.scan_pids),
        "bench (uploads)": sum(os.times()[:2]),
    }
    machine_before = _machine_busy_seconds()
    errors_before = len(stack.log.errors)
    t0 = time.monotonic()
    uploaded_at: dict[str, float] = {}
    uploader = threading.Thread(
        target=lambda: uploaded_at.update(
            upload_many(ctx.s3, ctx.bucket, keys, tiny, threads=ctx.upload_threads)
        ),
        name="uploader",
        daemon=True,
    )
    uploader.start()
    polls = 0
    finished = failed = 0
    last_progress, progress_at = -1, time.monotonic()
    complete = False
    while True:
        if poll == "api":
            listed, calls = api_count(ctx.api, library_id, headers=ctx.headers)
            polls += calls
            finished = listed
        else:
            finished, failed = stack.log.count(prefix)
        now = time.monotonic()
        if finished >= files:
            complete = True
            break
        if finished != last_progress:
            last_progress, progress_at = finished, now
        if now - t0 > timeout or (not uploader.is_alive() and now - progress_at > stall):
            results.notes.append(
                f"INCOMPLETE: {finished}/{files} catalogued; no progress for "
                f"{now - progress_at:.0f} s (the rate below counts only those)"
            )
            break
        if stack.proc and stack.proc.poll() is not None:
            raise RuntimeError("the stack exited during the drop")
        time.sleep(1.0)
    with stack.log.lock:
        seen = [stack.log.finished[k][0] for k in keys if k in stack.log.finished]
        missing = [k for k in keys if k not in stack.log.finished]
    if poll == "api" and complete:
        t_done = time.monotonic()
        finished, failed = stack.log.count(prefix)
    else:
        t_done = max(seen) if seen else time.monotonic()
    if missing:
        results.notes.append(f"never catalogued: {missing[:5]}")
        dlq = ctx.sqs.get_queue_url(QueueName=f"{ctx.scan_queue}-dlq")["QueueUrl"]
        depth = ctx.sqs.get_queue_attributes(
            QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        results.notes.append(f"scan dead-letter queue holds {depth} message(s)")
    elapsed = t_done - t0
    cpu = {
        "moto_server": cpu_seconds(stack.emulator_pid),
        "stack (workers + API)": cpu_seconds(stack.proc.pid if stack.proc else None),
        "scan processes": sum(cpu_seconds(pid) for pid in stack.scan_pids),
        "bench (uploads)": sum(os.times()[:2]),
    }
    wall = time.monotonic() - t0
    ours_cpu = sum(cpu[name] - cpu_before[name] for name in cpu)
    others = max(0.0, _machine_busy_seconds() - machine_before - ours_cpu)
    uploader.join(timeout=60)
    upload_seconds = max(uploaded_at.values()) - t0 if uploaded_at else float("nan")

    started = time.monotonic()
    listed, calls = api_count(ctx.api, library_id, headers=ctx.headers)
    confirm_seconds = time.monotonic() - started
    with stack.log.lock:
        latencies = [
            stack.log.finished[k][0] - uploaded_at[k]
            for k in keys
            if k in stack.log.finished and k in uploaded_at
        ]
    results.throughput = {
        "files": files,
        "preloaded": preload,
        "preload_seconds": preload_seconds,
        "per_folder": per_folder,
        "worker_threads": ctx.worker_threads,
        "upload_threads": ctx.upload_threads,
        "completion_signal": "stack log" if poll == "logs" else "API polled once a second",
        "emulator": "viewra.local.motoserver (moto behind cheroot)",
        "api_requests_while_polling": polls,
        "seconds": elapsed,
        "files_per_minute": finished / elapsed * 60,
        "complete": complete,
        "upload_seconds": upload_seconds,
        "uploads_per_minute": files / upload_seconds * 60 if upload_seconds else None,
        "failed": failed,
        "handled_twice": sum(n for k, n in stack.log.repeats.items() if k.startswith(prefix)),
        "listed_by_api": listed,
        "api_confirm_requests": calls,
        "api_confirm_seconds": confirm_seconds,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "cpu_seconds": {name: cpu[name] - cpu_before[name] for name in cpu},
        "cpu_window_seconds": wall,
        "other_processes_cpu_seconds": others,
        "load_average_after": os.getloadavg()[0],
        "stack_errors": list(stack.log.errors[errors_before : errors_before + 5]),
        "stack_error_count": len(stack.log.errors) - errors_before,
    }
    if listed != files + preload:
        results.notes.append(f"API listed {listed} of {files + preload} items for the drop library")


# -- the run ---------------------------------------------------------------------------------------
@dataclass
class Context:
    stack: Stack
    proxy: ByteCountingProxy
    worker_threads: int
    upload_threads: int

    def __post_init__(self) -> None:
        from viewra.bootstrap import Services
        from viewra.common.settings import Settings
        from viewra.storage.clients import client

        endpoint = self.stack.ready["endpoint"]
        self.api = self.stack.ready["api"]
        self.bucket = self.stack.ready["bucket"]
        # an administrator's API key for the API calls (every route but /health needs one)
        from viewra.local.launch import Stack as Launched

        admin = Launched(
            endpoint=endpoint,
            api=self.api,
            bucket=self.bucket,
            env=dict(self.stack.env),
            process=self.stack.proc,  # type: ignore[arg-type]
            endpoints=dict(self.stack.ready.get("endpoints") or {}),  # type: ignore[arg-type]
        )
        admin.sign_in_admin()
        self.headers = admin.headers
        base = {"AWS_ENDPOINT_URL": endpoint, "VIEWRA_LOG_LEVEL": "WARNING"}
        direct = Settings.from_env(base)
        via_proxy = Settings.from_env({**base, "AWS_ENDPOINT_URL_S3": self.proxy.url})
        self.services_direct = Services.from_settings(direct)
        self.services_via_proxy = Services.from_settings(via_proxy)
        self.s3 = client(direct, "s3")
        self.s3_via_proxy = client(via_proxy, "s3")
        self.sqs = client(direct, "sqs")
        self.scan_queue = direct.scan_queue
        self.queue_url = self.sqs.get_queue_url(QueueName=direct.scan_queue)["QueueUrl"]

    def wait_idle(self) -> float:
        return wait_queue_idle(self.sqs, self.queue_url)

    def unlisted_library(self, prefix: str) -> Any:
        """A library object that is not stored: the stack ignores events under its prefix."""
        from viewra.common.timestamps import now_iso
        from viewra.media.models.catalogue import Library, LibraryKind

        now = now_iso()
        return Library(
            id=f"bench{uuid.uuid4().hex[:7]}",
            name=f"bench {prefix}",
            prefix=prefix,
            kind=LibraryKind.MOVIES,
            created_at=now,
            updated_at=now,
        )


def prepare_media(workdir: Path, megabytes: float) -> tuple[dict[str, Path], bytes]:
    workdir.mkdir(parents=True, exist_ok=True)
    media = {
        "moov at start": workdir / f"fast_{megabytes:g}.mp4",
        "moov at end": workdir / f"end_{megabytes:g}.mp4",
    }
    for layout, path in media.items():
        if not path.exists():
            started = time.monotonic()
            big_mp4(path, megabytes, faststart=layout == "moov at start")
            print(f"made {path.name} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    tiny = workdir / "tiny_2s.mp4"
    if not tiny.exists():
        mp4(tiny, faststart=True)
    return media, tiny.read_bytes()


def run(args: argparse.Namespace) -> Results:
    media, tiny = prepare_media(args.workdir, args.megabytes)
    results = Results()
    state = Path(tempfile.mkdtemp(prefix="viewra-bench-scan-"))
    stack = Stack(state, args.worker_threads)
    proxy: ByteCountingProxy | None = None
    ok = False
    try:
        step("starting the stack")
        stack.start()
        proxy = ByteCountingProxy(stack.ready["endpoint"]).start()
        from viewra.common.settings import Settings

        threads = args.worker_threads or Settings.from_env({}).worker_threads
        ctx = Context(stack, proxy, threads, args.upload_threads)
        ctx.wait_idle()
        only = set(args.only or MEASUREMENTS)
        if "bytes" in only:
            step("bytes per probe (ours vs ffprobe, through the counting proxy)")
            measure_bytes(ctx, media, results, args.ffprobe_runs)
        if "per-file" in only:
            step(f"per-file scan time ({args.sample} files, in-process)")
            measure_per_file(ctx, tiny, args.sample, results)
        if "drop" in only:
            step(f"drop {args.files} files, {threads} worker threads")
            measure_throughput(
                ctx, tiny, args.files, args.poll, results, args.per_folder, args.preload
            )
        ok = results.complete
    finally:
        if proxy is not None:
            proxy.stop()
        stack.stop()
        _clean_up(state, keep=args.keep_state or not ok)
    return results


def _clean_up(state: Path, keep: bool) -> None:
    """Delete a drop's stack state, unless asked to keep it or the drop went wrong (then its
    logs are what tells why)."""
    if keep:
        print(f"stack state and logs kept in {state}", file=sys.stderr)
    else:
        shutil.rmtree(state, ignore_errors=True)


def compare_durability(args: argparse.Namespace) -> list[dict[str, Any]]:
    """``--durability N``: the drop on N plain and N durable stacks, alternating; one row per
    pair."""
    _, tiny = prepare_media(args.workdir, args.megabytes)
    pairs: list[dict[str, Any]] = []
    for n in range(args.durability):
        row: dict[str, Any] = {"pair": n + 1}
        order = (False, True) if n % 2 == 0 else (True, False)
        for durable in order:
            state = Path(tempfile.mkdtemp(prefix="viewra-bench-durable-"))
            stack = Stack(state, args.worker_threads, durable=durable)
            proxy: ByteCountingProxy | None = None
            complete = False
            try:
                step(f"pair {n + 1}: drop {args.files} files, {'durable' if durable else 'plain'}")
                stack.start()
                proxy = ByteCountingProxy(stack.ready["endpoint"]).start()
                from viewra.common.settings import Settings

                threads = args.worker_threads or Settings.from_env({}).worker_threads
                ctx = Context(stack, proxy, threads, args.upload_threads)
                ctx.wait_idle()
                results = Results()
                measure_throughput(ctx, tiny, args.files, args.poll, results, args.per_folder)
                t = results.throughput
                name = "durable" if durable else "plain"
                row[name] = t["files_per_minute"]
                row[f"{name}_uploads"] = t["uploads_per_minute"]
                row[f"{name}_emulator_cpu"] = t["cpu_seconds"]["moto_server"]
                row[f"{name}_others_cpu"] = t["other_processes_cpu_seconds"]
                journal = sorted((state / "emulator").glob("journal.*.jsonl"))
                # its records: a running journal is laid out ahead of them with zeros
                row[f"{name}_journal_bytes"] = (
                    len(journal[-1].read_bytes().rstrip(b"\0")) if journal else 0
                )
                complete = results.complete
            finally:
                if proxy is not None:
                    proxy.stop()
                stack.stop()
                _clean_up(state, keep=args.keep_state or not complete)
        row["ratio"] = row["durable"] / row["plain"]
        pairs.append(row)
    return pairs


def compare_scale(args: argparse.Namespace) -> list[dict[str, Any]]:
    """``--scale``: 1,000 files into an empty library, then ``--files`` into one holding
    ``--preload`` items, each on a fresh stack; one row per drop."""
    _, tiny = prepare_media(args.workdir, args.megabytes)
    rows: list[dict[str, Any]] = []
    for files, preload in ((1000, 0), (args.files, args.preload)):
        state = Path(tempfile.mkdtemp(prefix="viewra-bench-scale-"))
        stack = Stack(state, args.worker_threads)
        proxy: ByteCountingProxy | None = None
        complete = False
        try:
            step(f"drop {files} files into a library of {preload} items")
            stack.start()
            proxy = ByteCountingProxy(stack.ready["endpoint"]).start()
            from viewra.common.settings import Settings

            threads = args.worker_threads or Settings.from_env({}).worker_threads
            ctx = Context(stack, proxy, threads, args.upload_threads)
            ctx.wait_idle()
            results = Results()
            measure_throughput(
                ctx, tiny, files, args.poll, results, args.per_folder, preload=preload
            )
            rows.append({**results.throughput, "notes": results.notes})
            complete = results.complete
        finally:
            if proxy is not None:
                proxy.stop()
            stack.stop()
            _clean_up(state, keep=args.keep_state or not complete)
    return rows


def render_scale(rows: list[dict[str, Any]]) -> str:
    out = [
        "",
        "### Scanning as the library grows: drop to catalogued, each drop on a fresh stack",
        "",
        "| drop | library before | files/min | wall s | emulator CPU s | scan processes CPU s "
        "| stack CPU s | other processes' CPU s | p50 / p95 latency s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cpu = r["cpu_seconds"]
        out.append(
            f"| {r['files']:,} | {r['preloaded']:,} | {r['files_per_minute']:,.0f} "
            f"| {r['seconds']:.0f} | {cpu['moto_server']:.1f} | {cpu['scan processes']:.1f} "
            f"| {cpu['stack (workers + API)']:.1f} | {r['other_processes_cpu_seconds']:.1f} "
            f"| {r['latency_p50_s']:.1f} / {r['latency_p95_s']:.1f} |"
        )
    ratio = rows[-1]["files_per_minute"] / rows[0]["files_per_minute"]
    out.append(f"\nratio, last / first: **{ratio:.2f}** {_mark(ratio >= 0.90)} (goal ≥ 0.90)")
    for r in rows:
        out.extend(f"note: {n}" for n in r["notes"])
    return "\n".join(out)


def render_durability(pairs: list[dict[str, Any]], files: int) -> str:
    out = [
        "",
        f"### What durability costs: drop to catalogued, {files} files, plain (--no-snapshot: "
        "no journal, no fsync) against durable (make run's emulator)",
        "",
        "| pair | plain files/min | durable files/min | durable / plain | plain uploads/min "
        "| durable uploads/min | emulator CPU s, plain / durable | other processes' CPU s, "
        "plain / durable | journal |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in pairs:
        out.append(
            f"| {r['pair']} | {r['plain']:,.0f} | {r['durable']:,.0f} | {r['ratio']:.2f} "
            f"| {r['plain_uploads']:,.0f} | {r['durable_uploads']:,.0f} "
            f"| {r['plain_emulator_cpu']:.1f} / {r['durable_emulator_cpu']:.1f} "
            f"| {r['plain_others_cpu']:.1f} / {r['durable_others_cpu']:.1f} "
            f"| {r['durable_journal_bytes'] / 1e6:.1f} MB |"
        )
    median = statistics.median(r["ratio"] for r in pairs)
    out.append(
        f"| median | {statistics.median(r['plain'] for r in pairs):,.0f} "
        f"| {statistics.median(r['durable'] for r in pairs):,.0f} "
        f"| {median:.2f} {_mark(median >= 0.90)} | | | | | goal ≥ 0.90 |"
    )
    return "\n".join(out)


# -- output --------------------------------------------------------------------------------------
def render(results: Results) -> str:
    out: list[str] = []
    rows = {(r["layout"], r["who"]): r for r in results.bytes_rows}
    if rows:
        _render_bytes(out, rows, results)
    _render_rest(out, results)
    return "\n".join(out)


def _render_bytes(out: list[str], rows: dict[tuple[str, str], dict], results: Results) -> None:
    size_mb = next(iter(results.bytes_rows))["size"] / 1e6 if results.bytes_rows else 0
    out.append(
        f"### Bytes the store served per probe, {size_mb:.1f} MB MP4 "
        "(counted by a reverse proxy in front of the emulator)"
    )
    out.append("")
    out.append("| metric | ours (catalogue_object) | plain ffprobe (median run) | goal |")
    out.append("|---|---:|---:|---:|")
    for layout in ("moov at start", "moov at end"):
        ours, theirs = rows.get((layout, "ours")), rows.get((layout, "ffprobe"))
        if not ours or not theirs:
            continue
        goal = "≤ 0.5 %"
        runs = theirs.get("all_runs_bytes", [theirs["bytes"]])
        spread = f" (of {len(runs)}: {min(runs):,} to {max(runs):,})" if len(runs) > 1 else ""
        out.append(
            f"| {layout}: bytes served | {ours['bytes']:,} | {theirs['bytes']:,}{spread} | "
            f"≤ {int(ours['size'] * BYTES_GOAL):,} |"
        )
        ok = _mark(ours["fraction"] <= BYTES_GOAL)
        out.append(
            f"| {layout}: % of file | {ours['fraction']:.3%} {ok} | {theirs['fraction']:.2%} "
            f"| {goal} |"
        )
        out.append(
            f"| {layout}: requests (GETs, aborted) | {ours['requests']} ({ours['gets']}, "
            f"{ours['aborted']}) | {theirs['requests']} ({theirs['gets']}, {theirs['aborted']}) "
            "| |"
        )
        out.append(
            f"| {layout}: wall time | {ours['seconds'] * 1000:.0f} ms | "
            f"{theirs['seconds'] * 1000:.0f} ms | |"
        )


def _render_rest(out: list[str], results: Results) -> None:
    t = results.throughput
    if t:
        per = t["per_folder"]
        layout = f"{per} per folder" if per > 0 else "all in one folder"
        out.append("")
        out.append(
            f"### Drop to catalogued: {t['files']} files at once ({layout}), "
            f"{t['worker_threads']} worker threads, {t['emulator']}, "
            f"completion signal: {t['completion_signal']}"
        )
        out.append("")
        out.append("| metric | ours | goal |")
        out.append("|---|---:|---:|")
        rate = t["files_per_minute"]
        out.append(
            f"| files per minute, drop → catalogued | {rate:,.0f} {_mark(rate >= RATE_GOAL)} | "
            f"≥ {RATE_GOAL:,.0f} |"
        )
        out.append(f"| wall time, first upload → last catalogued | {t['seconds']:.1f} s | |")
        out.append(
            f"| upload phase ({t['upload_threads']} threads) | {t['upload_seconds']:.1f} s "
            f"({t['uploads_per_minute']:,.0f}/min) | |"
        )
        out.append(
            f"| per-file latency under load, upload → catalogued p50 / p95 | "
            f"{t['latency_p50_s']:.1f} s / {t['latency_p95_s']:.1f} s | |"
        )
        out.append(
            f"| listed by the API afterwards | {t['listed_by_api']} of {t['files']} "
            f"({t['api_confirm_requests']} requests, {t['api_confirm_seconds'] * 1000:.0f} ms) | "
            f"{t['files']} |"
        )
        out.append(f"| failed probes | {t['failed']} | 0 |")
        out.append(
            "| objects handled twice (a redelivery or a second event; skipped by ETag) | "
            f"{t['handled_twice']} | 0 |"
        )
        window = t["cpu_window_seconds"]
        cpu = ", ".join(
            f"{name} {sec:.1f} s ({sec / window:.0%})" for name, sec in t["cpu_seconds"].items()
        )
        total = sum(t["cpu_seconds"].values())
        out.append(
            f"| CPU over the {window:.1f} s window (share of one core) | {cpu}; "
            f"total {total / window:.2f} of {os.cpu_count()} cores | |"
        )
        others = t["other_processes_cpu_seconds"]
        out.append(
            f"| CPU taken by other processes on the machine meanwhile | {others:.1f} s "
            f"({others / window:.2f} cores; load average {t['load_average_after']:.1f}) | 0 |"
        )
    p = results.per_file
    if p:
        out.append("")
        out.append(f"### Per-file scan time: {p['method']}, {p['files']} tiny MP4s")
        out.append("")
        out.append("| metric | ours | goal |")
        out.append("|---|---:|---:|")
        out.append(f"| p50 | {p['p50_ms']:.1f} ms | |")
        out.append(f"| p95 | {p['p95_ms']:.1f} ms | |")
        out.append(f"| mean | {p['mean_ms']:.1f} ms | |")
        for name, ms in p["phases_mean_ms"].items():
            out.append(f"| mean: {name} | {ms:.1f} ms | |")
    if t and t.get("stack_errors"):
        out.append("\nstack warnings/errors during the drop (first 5):")
        out.extend(f"  {e}" for e in t["stack_errors"])
    for note in results.notes:
        out.append(f"\nnote: {note}")


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="files dropped at once (1000)")
    parser.add_argument("--worker-threads", type=int, default=None, help="VIEWRA_WORKER_THREADS")
    parser.add_argument("--upload-threads", type=int, default=16)
    parser.add_argument(
        "--per-folder",
        type=int,
        default=10,
        help="dropped files per folder (10, like a season or an album); 0: all in one folder, "
        "where the scan's sidecar listing of the folder makes each file cost O(folder size)",
    )
    parser.add_argument("--sample", type=int, default=None, help="files timed in-process (100)")
    parser.add_argument("--quick", action="store_true", help="100 files, 20 timed: < 1 min")
    parser.add_argument("--poll", choices=("logs", "api"), default="logs")
    parser.add_argument("--megabytes", type=float, default=50)
    parser.add_argument(
        "--ffprobe-runs", type=int, default=3, help="ffprobe runs per file; the median is shown"
    )
    parser.add_argument(
        "--only", action="append", choices=MEASUREMENTS, help="run only these (repeatable)"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/viewra-bench"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--keep-state", action="store_true", help="keep the stack's logs")
    parser.add_argument(
        "--durability",
        type=int,
        default=0,
        metavar="N",
        help="only the drop, N times plain and N times durable (alternating): what it costs",
    )
    parser.add_argument(
        "--preload",
        type=int,
        default=None,
        metavar="N",
        help="fill the drop's library with N items (Catalog.put) before the drop",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="1,000 files into an empty library against --files (10,000) into one of "
        "--preload (10,000) items, each on a fresh stack",
    )
    args = parser.parse_args(argv)
    if args.scale:
        args.files = args.files or 10000
        args.preload = 10000 if args.preload is None else args.preload
    args.preload = args.preload or 0
    if args.files is None:
        args.files = 100 if args.quick else 1000
    if args.sample is None:
        args.sample = 20 if args.quick else 100
    signal.signal(signal.SIGTERM, _terminate)  # run's finally stops the stack on SIGTERM too
    if args.scale:
        rows = compare_scale(args)
        print(render_scale(rows))
        if args.json:
            print(json.dumps(rows, indent=2, default=str))
        return 0
    if args.durability:
        pairs = compare_durability(args)
        print(render_durability(pairs, args.files))
        if args.json:
            print(json.dumps(pairs, indent=2))
        return 0
    results = run(args)
    print(render(results))
    if args.json:
        print(
            json.dumps(
                {
                    "bytes": results.bytes_rows,
                    "throughput": results.throughput,
                    "per_file": results.per_file,
                    "notes": results.notes,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by bench/transcode.py and bench/decide.py: the local stack (started with
``viewra.local.launch.start_stack``, its stdout drained so it can never block on a full pipe),
percentiles, a watcher of the processes the stack starts, and media made with ffmpeg."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

# This process talks to the emulator too (presigning, queue attributes): the stack's credentials.
for _var, _value in (
    ("AWS_ACCESS_KEY_ID", "viewra-local"),
    ("AWS_SECRET_ACCESS_KEY", "viewra-local"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
):
    os.environ.setdefault(_var, _value)
os.environ.setdefault("VIEWRA_LOG_LEVEL", "WARNING")

from viewra.local.launch import Stack, start_stack  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def step(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation), as bench/scan.py."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def cpu_seconds(pid: int | None, *, children: bool = False) -> float:
    """User + system CPU of ``pid`` (all its threads) so far; with ``children``, that of its
    exited-and-waited children instead (cutime + cstime: the stack's ffmpeg and ffprobe runs)."""
    if pid is None:
        return 0.0
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    first = 13 if children else 11
    return (int(fields_[first]) + int(fields_[first + 1])) / CLK_TCK


@dataclass
class RunningStack:
    """A started stack, its stdout drained into a ring buffer (the last lines, for errors)."""

    stack: Stack
    log_path: Path | None = None
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200))
    reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.stack.process.pid

    def drain(self) -> RunningStack:
        def read() -> None:
            out = self.stack.process.stdout
            if out is None:
                return
            saved = self.log_path.open("w") if self.log_path else None
            try:
                for line in out:
                    self.tail.append(line.rstrip())
                    if saved:
                        saved.write(line)
                        saved.flush()
            finally:
                if saved:
                    saved.close()

        self.reader = threading.Thread(target=read, name="stack-stdout", daemon=True)
        self.reader.start()
        return self

    @property
    def emulator_pid(self) -> int | None:
        """moto_server, the stack's long-lived child (its first)."""
        children = child_pids(self.pid)
        return children[0] if children else None

    @property
    def worker_pids(self) -> list[int]:
        """The stack's other long-lived Python children: the process running the scan, enrich
        and events workers (``viewra.local.worker``), not the emulator, not ffmpeg/ffprobe."""
        return [pid for pid in child_pids(self.pid)[1:] if b"viewra.local.worker" in _cmdline(pid)]

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of the stack process (API + the transcode worker), its worker
        process (scan, enrich, events), moto_server and this one."""
        times = os.times()
        return {
            "stack": cpu_seconds(self.pid),
            "stack's worker process": sum(cpu_seconds(pid) for pid in self.worker_pids),
            "stack's ffmpeg/ffprobe": cpu_seconds(self.pid, children=True),
            "moto_server": cpu_seconds(self.emulator_pid),
            "bench": times.user + times.system,
            "bench's children": times.children_user + times.children_system,
        }

    def settings(self) -> Any:
        """The stack's Settings as this process sees them (same env, the emulator's endpoint)."""
        from viewra.common.settings import Settings

        return Settings.from_env({**self.stack.env, "AWS_ENDPOINT_URL": self.stack.endpoint})

    def stop(self) -> None:
        self.stack.stop()
        if self.reader is not None:
            self.reader.join(timeout=5)


def launch(state_dir: Path, env_extra: dict[str, str] | None = None) -> RunningStack:
    stack = start_stack(state_dir, "--no-snapshot", env_extra=env_extra)
    return RunningStack(stack, log_path=state_dir / "stack.log").drain()


def errors_logged(running: RunningStack) -> list[str]:
    """ERROR/CRITICAL lines the stack logged so far (JSON lines), with their exception."""
    found = []
    for line in list(running.tail):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") in {"ERROR", "CRITICAL"}:
            found.append(f"{record.get('message')}: {str(record.get('exception', ''))[-300:]}")
    return found


def wait_queue_empty(sqs: Any, queue_url: str, timeout: float = 300.0) -> float:
    """Wait until a queue has no visible and no in-flight message; the seconds it took."""
    started = time.monotonic()
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    quiet = 0
    while time.monotonic() - started < timeout:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        if all(int(attrs.get(n, 0)) == 0 for n in names):
            quiet += 1
            if quiet >= 2:
                return time.monotonic() - started
        else:
            quiet = 0
        time.sleep(0.5)
    raise TimeoutError(f"queue {queue_url} not empty after {timeout:.0f}s")


# -- which processes the stack starts -----------------------------------------------------------
@dataclass
class Spawned:
    pid: int
    name: str
    seen_at: float
    argv: list[str]
    exited_at: float | None = None


class ProcessWatcher:
    """Records the ffmpeg/ffprobe processes that ``parent`` (the stack) starts while it runs.

    Cheap enough to leave on during a transcode: each pass reads only the ``children`` files of
    the parent's threads (a few dozen tiny reads), every ``interval`` seconds. A child seen still
    as python (forked, not yet exec'd) is looked at again on later passes. A process that starts
    and exits between two passes (a few ms) can be missed; ffmpeg's own start-up alone is longer.
    """

    def __init__(
        self,
        parent: int,
        names: tuple[str, ...] = ("ffmpeg", "ffprobe"),
        interval: float = 0.005,
        expect: int | None = None,
    ) -> None:
        """``expect``: once that many processes are found, stop looking for new ones and only
        time their exits (each pass then reads one small file per process: the watch costs the
        cores the job's ffmpeg uses next to nothing)."""
        self.parent, self.names, self.interval, self.expect = parent, names, interval, expect
        self.found: list[Spawned] = []
        self.passes = 0
        self._known: set[int] = set()
        self._pending: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="proc-watch", daemon=True)

    def __enter__(self) -> ProcessWatcher:
        self._known = set(self._children())  # already there (moto_server): not ours to count
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def count(self, name: str) -> int:
        return sum(1 for s in self.found if s.name == name)

    def _children(self) -> list[int]:
        pids: list[int] = []
        try:
            tasks = os.listdir(f"/proc/{self.parent}/task")
        except OSError:
            return pids
        for tid in tasks:
            with contextlib.suppress(OSError, ValueError):
                text = Path(f"/proc/{self.parent}/task/{tid}/children").read_text()
                pids += [int(p) for p in text.split()]
        return pids

    def _identify(self, pid: int) -> str | None:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            self.passes += 1
            looking = self.expect is None or len(self.found) < self.expect
            for pid in self._children() if looking else ():
                if pid in self._known:
                    continue
                if pid not in self._pending:
                    self._pending[pid] = now
            for pid, first in list(self._pending.items()):
                name = self._identify(pid)
                if name in self.names:
                    argv: list[str] = []
                    with contextlib.suppress(OSError):
                        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                        argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
                    self.found.append(Spawned(pid, name, first, argv))
                    self._known.add(pid)
                    del self._pending[pid]
                elif name is None or now - first > 2.0:  # gone, or a child that is not ffmpeg
                    self._known.add(pid)
                    del self._pending[pid]
            for spawned in self.found:
                if spawned.exited_at is None and not running(spawned.pid):
                    spawned.exited_at = now
            self._stop.wait(self.interval)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def child_pids(pid: int) -> list[int]:
    """The children of ``pid``'s main thread, oldest first (empty once it is gone)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

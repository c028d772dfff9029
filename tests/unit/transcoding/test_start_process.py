"""The worker's ffmpeg dies with the worker: no orphan keeps encoding after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from viewra.transcoding import worker

SHARED = Path(__file__).resolve().parents[3] / "shared"
# a worker stand-in: starts `sleep` the way the worker starts ffmpeg, says its pid, then waits
CHILD = """
import sys, time
from viewra.transcoding import worker
if sys.argv[1] == "preexec":
    worker.SETPRIV = None
proc = worker.start_process(["sleep", "60"])
print(proc.pid, flush=True)
time.sleep(60)
"""


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("way", ["setpriv", "preexec"])
def test_the_process_is_killed_when_the_worker_dies(way: str) -> None:
    if way == "setpriv" and worker.SETPRIV is None:
        pytest.skip("no setpriv here")
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, way],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SHARED)},
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    assert _alive(pid)
    # setpriv sets the death signal and then execs the command: wait for the exec (a worker that
    # dies in that first millisecond leaves its ffmpeg running; no encode has started yet)
    deadline = time.monotonic() + 5
    while _command(pid) != "sleep" and time.monotonic() < deadline:
        time.sleep(0.01)

    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not _alive(pid)

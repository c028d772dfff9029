"""The job loop's waker: woken by a file renamed into the output dir and by the process exiting,
not by a file still being written; asleep until its timeout otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from viewra.transcoding.wake import Waker

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify, pidfd")


def _later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_rename_into_the_dir_wakes_it_at_once(tmp_path: Path) -> None:
    waker = Waker.open(tmp_path)
    assert waker is not None
    tmp = tmp_path / "seg_00000.ts.tmp"
    tmp.write_bytes(b"x")
    waker.wait(0)  # the write above, before the timing starts
    thread = _later(0.2, lambda: os.rename(tmp, tmp_path / "seg_00000.ts"))
    t0 = time.monotonic()
    assert waker.wait(5.0) is True
    waited = time.monotonic() - t0
    thread.join()
    waker.close()
    assert 0.15 < waited < 1.0  # the rename, not the 5 s timeout


def test_without_events_it_sleeps_until_the_timeout_and_writes_alone_do_not_wake_it(
    tmp_path: Path,
) -> None:
    waker = Waker.open(tmp_path)
    assert waker is not None
    with (tmp_path / "growing.tmp").open("wb") as f:  # open, not yet closed: no wake
        f.write(b"a" * 1000)
        f.flush()
        t0 = time.monotonic()
        assert waker.wait(0.3) is False
        assert time.monotonic() - t0 >= 0.29
    waker.close()


@pytest.mark.parametrize("watch_dir", [True, False], ids=["with-dir", "process-alone"])
def test_the_process_exiting_wakes_it(tmp_path: Path, watch_dir: bool) -> None:
    waker = Waker.open(tmp_path if watch_dir else None)
    assert waker is not None
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    assert waker.add_process(proc.pid)
    t0 = time.monotonic()
    assert waker.wait(5.0) is True
    assert time.monotonic() - t0 < 2.0
    assert proc.wait(timeout=1) == 0
    waker.close()

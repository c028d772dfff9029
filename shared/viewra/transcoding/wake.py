"""Waking the job loop the moment ffmpeg finishes a file or exits, instead of looking every few
milliseconds.

ffmpeg renames each finished segment and each new playlist into the output dir (``temp_file``),
so an inotify watch for renames (and closes after writing) on that dir says when there is
something to upload, and a pidfd says when ffmpeg has exited. The loop waits on both with a
timeout (its record keeping still runs a few times a second). A waiting player's first segment
is then uploaded as soon as it exists, not up to a polling tick later, and the worker spends no
CPU looking meanwhile: the CPU is ffmpeg's.

Linux only (inotify and ``pidfd_open``: Lambda's kernels have both); elsewhere :meth:`Waker.open`
answers None and the loop polls as before. The inotify calls go through ctypes: the loop only
needs to be woken, never which file changed, so there is nothing for a wrapper library to parse.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
from pathlib import Path

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
_EVENTS = IN_MOVED_TO | IN_CLOSE_WRITE


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6", use_errno=True)
    except OSError:
        return None
    if not hasattr(libc, "inotify_init1"):
        return None
    return libc


class Waker:
    """Wakes :meth:`wait` when a file is renamed into (or closed after writing in) ``directory``,
    or when the added process exits."""

    def __init__(self, inotify_fd: int | None) -> None:
        self._inotify = inotify_fd
        self._fds = [] if inotify_fd is None else [inotify_fd]

    @classmethod
    def open(cls, directory: Path | None) -> Waker | None:
        """A watch on ``directory`` (made before ffmpeg starts, so no rename is missed; None: the
        process alone), or None where inotify or pidfds are not available."""
        if not hasattr(os, "pidfd_open"):
            return None
        if directory is None:
            return cls(None)
        libc = _libc()
        if libc is None:
            return None
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        if libc.inotify_add_watch(fd, os.fsencode(directory), _EVENTS) < 0:
            os.close(fd)
            return None
        return cls(fd)

    def add_process(self, pid: int) -> bool:
        """Also wake when ``pid`` exits; False if it cannot be watched (the caller then polls)."""
        try:
            self._fds.append(os.pidfd_open(pid))
        except OSError:
            return False
        return True

    def wait(self, timeout: float) -> bool:
        """Block until something happened or ``timeout`` s passed; True if woken."""
        ready, _, _ = select.select(self._fds, [], [], timeout)
        if self._inotify is not None and self._inotify in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(self._inotify, 4096):  # drain: the events themselves are not needed
                    pass
        return bool(ready)

    def close(self) -> None:
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = []

"""The embedded emulator's write-ahead journal: checksummed JSON lines, fsynced by group commit.

A request that changed state is answered only once every record it appended is on disk
(:meth:`Journal.commit`). Concurrent requests share fsyncs: the first to find the journal unsynced
flushes everything written so far while the others wait for it (group commit), so a burst of n
writes costs far fewer than n fsyncs. A record torn by a crash (short, or its CRC wrong) ends the
replay: nothing after it was acknowledged. Imports only the standard library.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def encode(record: dict[str, Any]) -> bytes:
    payload = json.dumps(record, separators=(",", ":")).encode()
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a journal or snapshot file, up to the first torn or damaged one."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
                return
            payload = line[9:-1]
            try:
                if int(line[:8], 16) != zlib.crc32(payload):
                    return
                yield json.loads(payload)
            except ValueError:
                return


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """An append-only file; ``commit(seq)`` returns once record ``seq`` is durable."""

    def __init__(self, path: Path, fsync: bool = True) -> None:
        self.path = path
        self.fsync = fsync
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._cond = threading.Condition(threading.Lock())
        self._written = 0
        self._synced = 0
        self._syncing = False
        self._dirty_dirs: set[Path] = set()
        self._sealed = False
        self.size = 0  # bytes appended (what live compaction watches)
        self.fsyncs = 0  # how many the group commit needed (for the bench and tests)

    def append(self, record: dict[str, Any]) -> int:
        """Write one record (not yet durable); returns its sequence number."""
        line = encode(record)
        with self._cond:
            if self._sealed:
                raise RuntimeError(f"{self.path.name} is sealed: append to the next journal")
            os.write(self._fd, line)  # one write of the whole line, O_APPEND
            self._written += 1
            self.size += len(line)
            return self._written

    def dir_changed(self, path: Path) -> None:
        """A file was created in ``path``: its entry is made durable with the next commit."""
        with self._cond:
            self._dirty_dirs.add(path)

    def commit(self, seq: int) -> None:
        """Block until records up to ``seq`` (and the directories they name) are on disk."""
        if not self.fsync:
            return
        with self._cond:
            while self._synced < seq:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                target, dirs = self._written, self._dirty_dirs
                self._dirty_dirs = set()
                self._cond.release()
                try:
                    for d in dirs:
                        fsync_dir(d)
                    os.fsync(self._fd)
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._synced = max(self._synced, target)
                self.fsyncs += 1

    def seal(self) -> None:
        """Make everything appended durable and close the file: a commit still waiting on it
        (its request appended before the switch to the next journal) returns at once."""
        with self._cond:
            while self._syncing:
                self._cond.wait()
            if self._sealed:
                return
            if self.fsync:
                for d in self._dirty_dirs:
                    fsync_dir(d)
                os.fsync(self._fd)
                self.fsyncs += 1
            self._dirty_dirs = set()
            self._synced = self._written
            self._sealed = True
            os.close(self._fd)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            if not self._sealed:
                self._sealed = True
                os.close(self._fd)

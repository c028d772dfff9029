"""Bounded range reading: a seekable file over an object that is never downloaded whole.

The scan probes objects in S3 through ranged GETs only. ``RangeSource`` is the one operation the
store has to offer (one bounded ranged read); ``BlockReader`` turns it into the seekable binary file
MediaInfo and mutagen expect, fetching aligned blocks, caching them, and counting what it fetched
so a probe can be held to a byte budget and its cost reported.

Block size and readahead are the two knobs. Parsers jump (to the moov at the end, into the first
frames of the media data, to a trailing tag), so every jump costs at least one block: small blocks
keep that waste low. Long sequential reads (a 200 KB moov box) would then cost one request per
small block, so on a sequential run the fetch size doubles, up to ``max_readahead``: a jump costs
one small block, a long run costs a handful of requests, and the overshoot at the end of a run is
bounded by the last (capped) fetch.
"""

from __future__ import annotations

import bisect
import io
import itertools
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from viewra.common.settings import get_settings
from viewra.media.models.items import CoverLocation

# The largest single fetch on a sequential run. Measured (bench/probe_bytes.py): beyond 128 KiB
# requests barely drop while the overshoot at the end of a run (e.g. past a Matroska header into
# clusters MediaInfo never reads) grows.
DEFAULT_MAX_READAHEAD = 128 * 1024


class ProbeError(Exception):
    """The object cannot be probed; ``str(exc)`` is the human reason stored on the failed item.

    Only problems with the object itself (empty, not media, corrupt, too costly to read) raise
    this; errors of the store (network, permissions) propagate unchanged so the scan can retry.
    """


@runtime_checkable
class RangeSource(Protocol):
    """An object that can be read by byte ranges: its size and one bounded read."""

    @property
    def size(self) -> int: ...

    def read_range(self, start: int, length: int) -> bytes:
        """Bytes ``[start, start + length)``, one request; shorter only at the end of the object."""
        ...


class FileRangeSource:
    """A local file as a :class:`RangeSource`, for tests, benchmarks and local libraries."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size

    def read_range(self, start: int, length: int) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(start)
            return handle.read(length)

    def __repr__(self) -> str:
        return f"FileRangeSource({str(self.path)!r}, size={self.size})"


@dataclass(frozen=True)
class Patch:
    """Bytes served in place of ``[offset, offset + len(data))`` of the object, never fetched.

    The probe hands parsers a stand-in for what it must not pay for (a sample table of millions of
    entries, a 2 MB cover picture) with the same length, so every offset after it stays true.
    """

    offset: int
    data: bytes

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


@dataclass
class StandIns:
    """What a container walk found to feed instead of the object's bytes, and the cover's place."""

    patches: list[Patch] = field(default_factory=list)
    cover: CoverLocation | None = None
    estimated: bool = False  # a sample size table was replaced by an average


class BudgetExceeded(ProbeError):
    """Reading on would fetch more than the probe's byte budget allows."""


class BlockReader(io.RawIOBase):
    """A seekable, read-only binary file over a :class:`RangeSource`, fetched in aligned blocks.

    ``bytes_fetched`` and ``requests`` count what the source was asked for (the store's bill);
    ``max_bytes`` caps ``bytes_fetched`` and a read that would pass it raises
    :class:`BudgetExceeded`. ``read(n)`` returns ``n`` bytes unless the object ends (parsers such
    as mutagen treat a short read as truncation); ``read_chunk(n)`` stops at the end of the current
    block, for feeders that can jump after every chunk (MediaInfo).
    """

    def __init__(
        self,
        source: RangeSource,
        *,
        block_size: int | None = None,
        max_bytes: int | None = None,
        max_readahead: int | None = None,
        cache_blocks: int = 256,
    ) -> None:
        super().__init__()
        settings = get_settings()
        self.source = source
        self.size = int(source.size)
        self.block_size = block_size or settings.probe_block_size
        self.max_bytes = settings.probe_max_bytes if max_bytes is None else max_bytes
        readahead = DEFAULT_MAX_READAHEAD if max_readahead is None else max_readahead
        self.max_readahead_blocks = max(1, readahead // self.block_size)
        self.cache_blocks = max(cache_blocks, self.max_readahead_blocks)
        if self.block_size <= 0:
            raise ValueError("block_size must be positive")
        self.bytes_fetched = 0
        self.requests = 0
        self._pos = 0
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._last_fetched_block = -2
        self._run_blocks = 0
        self._patches: list[Patch] = []
        self._patch_starts: list[int] = []

    def overlay(self, patches: list[Patch]) -> None:
        """Serve ``patches`` instead of the object's bytes there, from now on (see :class:`Patch`).

        Patches must not overlap each other; a read that reaches one returns its bytes and fetches
        nothing of that range.
        """
        merged = sorted([*self._patches, *patches], key=lambda p: p.offset)
        for before, after in itertools.pairwise(merged):
            if after.offset < before.end:
                raise ValueError(f"overlapping patches at {before.offset} and {after.offset}")
        self._patches = merged
        self._patch_starts = [p.offset for p in merged]

    # -- io.RawIOBase ----------------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise OSError(f"negative seek position {target}")
        self._pos = target
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all that remain if ``size`` < 0)."""
        remaining = self.size - self._pos
        want = remaining if size is None or size < 0 else min(size, remaining)
        parts: list[bytes] = []
        while want > 0:
            chunk = self.read_chunk(want)
            if not chunk:
                break
            parts.append(chunk)
            want -= len(chunk)
        return b"".join(parts)

    def readall(self) -> bytes:
        return self.read(-1)

    # -- block reading ---------------------------------------------------------------------------

    def read_chunk(self, size: int, *, fetch_until: int | None = None) -> bytes:
        """At most ``size`` bytes, never past the end of the block the position is in.

        ``fetch_until`` bounds the readahead of a fetch this read causes (an offset the caller will
        not read past in this run), so a capped run does not pay for blocks after its cap.
        """
        if size <= 0 or self._pos >= self.size:
            return b""
        if self._patches:
            at = bisect.bisect_right(self._patch_starts, self._pos) - 1
            if at >= 0 and self._pos < self._patches[at].end:
                patch = self._patches[at]
                chunk = patch.data[self._pos - patch.offset : self._pos - patch.offset + size]
                self._pos += len(chunk)
                return chunk
            if at + 1 < len(self._patches):  # stop before the next patch, and fetch nothing of it
                following = self._patches[at + 1].offset
                size = min(size, following - self._pos)
                fetch_until = following if fetch_until is None else min(fetch_until, following)
        index, offset = divmod(self._pos, self.block_size)
        block = self._block(index, fetch_until)
        chunk = block[offset : offset + size]
        self._pos += len(chunk)
        return chunk

    def _block(self, index: int, fetch_until: int | None = None) -> bytes:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        self._fetch_from(index, fetch_until)
        return self._cache[index]

    def _fetch_from(self, index: int, fetch_until: int | None = None) -> None:
        """Fetch block ``index`` and, on a sequential run, the blocks after it in one request."""
        count = self._readahead_for(index)
        if fetch_until is not None:
            last = max(index, -(-fetch_until // self.block_size) - 1)
            count = min(count, last - index + 1)
        start = index * self.block_size
        length = min(count * self.block_size, self.size - start)
        length = self._within_budget(start, length)
        data = self.source.read_range(start, length)
        if len(data) < length:
            raise OSError(f"short read at {start}: wanted {length}, got {len(data)}")
        self.bytes_fetched += len(data)
        self.requests += 1
        fetched_blocks = -(-len(data) // self.block_size)
        for i in range(fetched_blocks):
            self._remember(index + i, data[i * self.block_size : (i + 1) * self.block_size])
        self._last_fetched_block = index + fetched_blocks - 1

    def _readahead_for(self, index: int) -> int:
        """Blocks to fetch: one after a jump, doubling on each contiguous fetch up to the cap."""
        if index == self._last_fetched_block + 1:
            self._run_blocks = min(max(1, self._run_blocks * 2), self.max_readahead_blocks)
        else:
            self._run_blocks = 1
        # Never re-fetch blocks that are already cached: stop the run at the first cached one.
        count = 1
        while count < self._run_blocks and (index + count) not in self._cache:
            count += 1
        return count

    def _within_budget(self, start: int, length: int) -> int:
        """Shrink a readahead to what the budget allows; raise if not even one block fits."""
        allowed = self.max_bytes - self.bytes_fetched
        needed = min(self.block_size, self.size - start)
        if allowed < needed:
            raise BudgetExceeded(
                f"probe read budget exceeded: reading {needed} bytes at offset {start} would pass "
                f"{self.max_bytes} bytes fetched ({self.bytes_fetched} so far, object is "
                f"{self.size} bytes)"
            )
        if length <= allowed:
            return length
        return max(needed, (allowed // self.block_size) * self.block_size)

    def _remember(self, index: int, data: bytes) -> None:
        self._cache[index] = data
        self._cache.move_to_end(index)
        while len(self._cache) > self.cache_blocks:
            self._cache.popitem(last=False)

    def __repr__(self) -> str:
        return (
            f"BlockReader({self.source!r}, block_size={self.block_size}, "
            f"fetched={self.bytes_fetched}, requests={self.requests})"
        )

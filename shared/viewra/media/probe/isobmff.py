"""ISO BMFF (MP4, MOV, M4A): the moov's large per-sample tables and cover art, and their stand-ins.

MediaInfo reads the whole ``moov``. Most of it is small, but a sample table grows with the length:
3.5 h of AAC has a 2.2 MB ``stsz`` (one 4-byte size per 1024-sample frame), 3 h of video a 1 MB
one, plus ``stco``/``stts``/``ctts``/``stss`` entries. None of what Viewra records needs the
entries: duration is in ``mvhd``/``mdhd``, codec, size, channels and language in ``stsd``/``mdhd``,
a constant frame rate in a one-entry ``stts``. So the probe walks the box headers itself (cheap:
a few blocks) and, for each table over :data:`TABLE_THRESHOLD`, hands MediaInfo a stand-in of the
same length through the reader's :class:`~viewra.media.probe.reader.Patch`: a short box of the
same meaning followed by a ``free`` box filling the rest, so no box size and no offset changes.

- ``stsz``/``stz2`` → ``stsz`` with a constant ``sample_size``: the track's average, from the
  ``esds``/``btrt`` average bitrate, else the ``mdat`` bytes the other tracks leave.
- ``stts`` → one entry, every sample the track's mean duration (in whole ticks): a variable-rate
  video's average frame rate, within half a tick per frame of MediaInfo's from the real table
  (10.151 for 10.152 fps; a constant rate has a one-entry stts, never stood in).
- ``stco``/``co64`` and ``stsc`` (an interleaved track's changes of samples per chunk: 12 bytes
  each, 3 MB for 3 h of AAC beside video) → together, one chunk at the first offset holding every
  sample; ``ctts``, ``stss``, ``stps``, ``sdtp``, ``sbgp`` → ``free`` (no reordering, every sample
  a sync sample, no sample groups: nothing recorded depends on them).

What it costs: MediaInfo then calls that track's bitrate constant and its stream size is the
estimate above (:attr:`StandIns.estimated`), so a substituted track's bitrate is the container's
declared average, not a measured one. A fragmented MP4 (``mvex``) has empty tables and is left
alone. A ``covr`` cover picture is located (offset, length) and replaced by ``free`` too; the scan
fetches it with one exact ranged read. Imports only the reader.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from viewra.media.models.items import CoverLocation
from viewra.media.probe.reader import BlockReader, Patch, StandIns

TABLE_THRESHOLD = 64 * 1024  # a table this large is not fed: 16k entries (~6 min of 48 kHz AAC)
MAX_BOXES = 4096  # boxes walked in all (a hostile file could nest or repeat without end)
MAX_TOP_LEVEL = 64  # top-level boxes walked (a fragmented file is not walked past its moov)
MAX_SMALL_READ = 64 * 1024  # a stsd, mdhd or small stsz read whole at most this size
_CONTAINERS = frozenset({b"trak", b"mdia", b"minf", b"stbl", b"udta", b"ilst", b"edts"})
_FREE_TABLES = frozenset({b"ctts", b"stss", b"stps", b"sdtp", b"sbgp"})
_CHUNK_TABLES = frozenset({b"stco", b"co64", b"stsc"})  # stood in together, or not at all
MAX_READ_THROUGH = 2 * 1024 * 1024  # within the reader's block cache, so MediaInfo fetches none
_COVER_TYPES = {13: "image/jpeg", 14: "image/png", 27: "image/bmp"}


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int
    size: int
    header: int

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def payload(self) -> int:
        return self.start + self.header


@dataclass
class _Track:
    timescale: int = 0
    duration: int = 0
    sample_count: int = 0
    avg_bitrate: int = 0
    table_bytes: int | None = None  # the sum of its sample sizes, when its stsz was read
    stsz: Box | None = None
    big: list[Box] = field(default_factory=list)
    chunks: list[Box] = field(default_factory=list)  # its stco/co64 and stsc


class _Walk:
    """Box headers through the reader; inside the moov every box under ``through`` bytes is read
    whole as it is passed, so the walk is one sequential run (a few requests, not one per jump)
    and MediaInfo finds those blocks cached."""

    def __init__(self, reader: BlockReader, through: int = 0) -> None:
        self.reader = reader
        self.through = through
        self.through_left = MAX_READ_THROUGH
        self.left = MAX_BOXES

    def read(self, pos: int, length: int) -> bytes:
        """``length`` bytes at ``pos``, fetching nothing past them (readahead stops there)."""
        self.reader.seek(pos)
        parts: list[bytes] = []
        while length > 0:
            chunk = self.reader.read_chunk(length, fetch_until=pos + length)
            if not chunk:
                break
            parts.append(chunk)
            pos += len(chunk)
            length -= len(chunk)
        return b"".join(parts)

    def children(self, start: int, end: int, *, top: bool = False) -> Iterator[Box]:
        """The boxes in ``[start, end)``, lazily: a caller descending into one reads it before
        the next sibling's header (file order)."""
        pos = start
        while pos + 8 <= end and self.left > 0:
            self.left -= 1
            head = self.read(pos, 16)
            if len(head) < 8:
                break
            size, kind = struct.unpack(">I4s", head[:8])
            header = 8
            if size == 1 and len(head) == 16:
                size, header = struct.unpack(">Q", head[8:16])[0], 16
            elif size == 0:
                size = end - pos
            if size < header or pos + size > end:
                break  # not a box (or cut short): what follows is not ours to walk
            if not top and size <= min(self.through, self.through_left):
                self.through_left -= size
                self.read(pos, size)
            yield Box(kind, pos, size, header)
            pos += size


def stand_ins(reader: BlockReader, threshold: int | None = None) -> StandIns:
    """Stand-ins for the sample tables over ``threshold`` bytes (default :data:`TABLE_THRESHOLD`)
    and for the cover, if any."""
    threshold = TABLE_THRESHOLD if threshold is None else threshold
    walk = _Walk(reader, through=threshold)
    top = list(itertools.islice(walk.children(0, reader.size, top=True), MAX_TOP_LEVEL))
    moov = next((b for b in top if b.kind == b"moov"), None)
    found = StandIns()
    if moov is None:
        return found
    tracks: list[_Track] = []
    fragmented = False
    for parent, box in _depth_first(walk, moov):
        if box.kind == b"trak":
            tracks.append(_Track())
        elif box.kind == b"mvex":
            fragmented = True
        elif parent == b"ilst" and box.kind == b"covr" and found.cover is None:
            found.cover = _cover(walk, box, found.patches)
        elif tracks and parent in {b"mdia", b"stbl"}:
            _track_box(walk, tracks[-1], box, threshold)
    if fragmented:
        return found
    if any(t.stsz is not None for t in tracks):
        _estimate_sizes(tracks, [b for b in top if b.kind == b"mdat"])
    for track in tracks:
        if len(track.chunks) == 2 and any(b.size > threshold for b in track.chunks):
            track.big.extend(track.chunks)  # one chunk holding every sample: both tables agree
        found.estimated |= track.stsz is not None
        found.patches.extend(_track_patches(walk, track))
    return found


def _depth_first(walk: _Walk, box: Box, depth: int = 0) -> Iterator[tuple[bytes, Box]]:
    """(parent kind, box) for every box under ``box``, in file order: one sequential walk."""
    start = box.payload
    if box.kind == b"meta":
        # ISO meta is a full box (4 bytes of version and flags before its children); QuickTime's
        # is not: a zero word there is the full box's
        start += 4 if walk.read(box.payload, 4) == b"\0\0\0\0" else 0
    for child in walk.children(start, box.end):
        yield box.kind, child
        if depth < 8 and (child.kind in _CONTAINERS or child.kind == b"meta"):
            yield from _depth_first(walk, child, depth + 1)


def _track_box(walk: _Walk, track: _Track, box: Box, threshold: int) -> None:
    if box.kind == b"mdhd":
        track.timescale, track.duration = _mdhd(walk.read(box.payload, 32))
    elif box.kind == b"stsd" and box.size <= MAX_SMALL_READ:
        track.avg_bitrate = _avg_bitrate(walk.read(box.payload, box.size - box.header))
    elif box.kind in {b"stsz", b"stz2"}:
        _sizes(walk, box, track, threshold)
    elif box.kind in _CHUNK_TABLES:
        track.chunks.append(box)
    elif box.size > threshold and box.kind in {b"stts", *_FREE_TABLES}:
        track.big.append(box)


def _mdhd(data: bytes) -> tuple[int, int]:
    if len(data) < 24:
        return 0, 0
    if data[0] == 1:  # version 1: 64-bit times
        return struct.unpack(">I", data[20:24])[0], struct.unpack(">Q", data[24:32])[0]
    return struct.unpack(">II", data[12:20])


def _sizes(walk: _Walk, box: Box, track: _Track, threshold: int) -> None:
    """The track's sample count; the box to replace when it is large, else its byte total."""
    head = walk.read(box.payload, 12)
    if len(head) < 12:
        return
    track.sample_count = struct.unpack(">I", head[8:12])[0]
    constant = struct.unpack(">I", head[4:8])[0] if box.kind == b"stsz" else 0
    if constant:
        track.table_bytes = constant * track.sample_count
    elif box.size > threshold:
        track.stsz = box
    elif box.kind == b"stsz":
        count = min(track.sample_count, (box.size - box.header - 12) // 4)
        entries = walk.read(box.payload + 12, count * 4)
        track.table_bytes = sum(struct.unpack(f">{len(entries) // 4}I", entries))


def _avg_bitrate(stsd: bytes) -> int:
    """The average bitrate a sample entry declares (``btrt``, or the ``esds`` decoder config)."""
    at = stsd.find(b"btrt")
    if at >= 4 and len(stsd) >= at + 16:
        avg = struct.unpack(">I", stsd[at + 12 : at + 16])[0]
        if avg:
            return avg
    at = stsd.find(b"esds")
    return _esds_avg_bitrate(stsd[at + 8 :]) if at >= 4 else 0


def _descriptor(data: bytes, at: int) -> tuple[int, int, int] | None:
    """An MPEG-4 descriptor at ``at``: (tag, payload start, payload length)."""
    if at >= len(data):
        return None
    tag, length, pos = data[at], 0, at + 1
    for _ in range(4):
        if pos >= len(data):
            return None
        byte = data[pos]
        pos += 1
        length = length << 7 | byte & 0x7F
        if not byte & 0x80:
            break
    return tag, pos, length


def _esds_avg_bitrate(esds: bytes) -> int:
    """DecoderConfigDescriptor.avgBitrate inside the ES_Descriptor (after version/flags)."""
    es = _descriptor(esds, 0)
    if es is None or es[0] != 0x03:
        return 0
    pos = es[1] + 2  # ES_ID
    if pos >= len(esds):
        return 0
    flags = esds[pos]
    pos += 1
    if flags & 0x80:  # streamDependenceFlag
        pos += 2
    if flags & 0x40 and pos < len(esds):  # URL_Flag
        pos += 1 + esds[pos]
    if flags & 0x20:  # OCRstreamFlag
        pos += 2
    config = _descriptor(esds, pos)
    if config is None or config[0] != 0x04 or len(esds) < config[1] + 13:
        return 0
    return int(struct.unpack(">I", esds[config[1] + 9 : config[1] + 13])[0])


def _estimate_sizes(tracks: list[_Track], mdats: list[Box]) -> None:
    """Each replaced table's total bytes: from its declared bitrate, else the mdat's remainder."""
    unknown: list[_Track] = []
    for track in tracks:
        if track.stsz is None:
            continue
        if track.avg_bitrate and track.timescale:
            seconds = track.duration / track.timescale
            track.table_bytes = int(track.avg_bitrate * seconds / 8)
        else:
            unknown.append(track)
    if not unknown:
        return
    media = sum(b.size - b.header for b in mdats)
    known = sum(t.table_bytes or 0 for t in tracks if t not in unknown)
    rest = max(0, media - known)
    samples = sum(t.sample_count for t in unknown) or 1
    for track in unknown:
        track.table_bytes = rest * track.sample_count // samples


def _free(size: int) -> bytes:
    """A ``free`` box of ``size`` bytes (at least 8): what a stand-in leaves of the real length."""
    return struct.pack(">I4s", size, b"free") + bytes(size - 8)


def _shorter(box: Box, replacement: bytes) -> Patch | None:
    """``replacement`` (a whole box) then a ``free`` box to the end of ``box``; None when it
    does not fit (a table already that short: kept as it is)."""
    if box.size == len(replacement):
        return Patch(box.start, replacement)
    if box.size < len(replacement) + 8:
        return None
    return Patch(box.start, replacement + _free(box.size - len(replacement)))


def _track_patches(walk: _Walk, track: _Track) -> list[Patch]:
    patches: list[Patch | None] = []
    if track.stsz is not None and track.sample_count:
        size = max(1, round((track.table_bytes or 0) / track.sample_count))
        stsz = struct.pack(">I4sIII", 20, b"stsz", 0, size, track.sample_count)
        patches.append(_shorter(track.stsz, stsz))
    for box in track.big:
        if box.kind in _FREE_TABLES:
            patches.append(Patch(box.start, _free(box.size)))
        elif box.kind == b"stts" and track.sample_count and track.duration:
            delta = max(1, round(track.duration / track.sample_count))
            stts = struct.pack(">I4sIIII", 24, b"stts", 0, 1, track.sample_count, delta)
            patches.append(_shorter(box, stts))
        elif box.kind in {b"stco", b"co64"}:
            width = 8 if box.kind == b"co64" else 4
            first = walk.read(box.payload + 8, width)
            table = struct.pack(">I4sII", 16 + width, box.kind, 0, 1) + first
            patches.append(_shorter(box, table))
        elif box.kind == b"stsc" and track.sample_count:
            description = walk.read(box.payload + 16, 4)  # the first entry's sample description
            entry = struct.pack(">II", 1, track.sample_count) + description
            patches.append(_shorter(box, struct.pack(">I4sII", 28, b"stsc", 0, 1) + entry))
    return [p for p in patches if p is not None]


def _cover(walk: _Walk, covr: Box, patches: list[Patch]) -> CoverLocation | None:
    """Where a ``covr`` item's picture is (its first ``data`` box); the item becomes ``free``."""
    head = walk.read(covr.payload, 16)
    if len(head) < 16 or head[4:8] != b"data":
        return None
    data_size = struct.unpack(">I", head[:4])[0]
    start = covr.payload + 16  # the data box's header, type indicator and locale
    length = min(data_size, covr.end - covr.payload) - 16
    if length <= 0:
        return None
    patches.append(Patch(covr.start, _free(covr.size)))
    kind = struct.unpack(">I", head[8:12])[0] & 0xFFFFFF
    return CoverLocation(offset=start, length=length, mime=_COVER_TYPES.get(kind))

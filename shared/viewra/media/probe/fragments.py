"""A fragmented MP4's length, from its index rather than its fragments.

A fragmented MP4 (``moov`` with ``mvex``: recorders, DASH and CMAF downloads) has empty sample
tables: MediaInfo, reading the ``moov`` and the first fragment, reports that fragment's length
(1 s of an 8 s file). Players take the length from elsewhere, and so does this module, reading
only a few small boxes:

1. ``mvex/mehd``, the whole fragment duration, when the writer knew it;
2. else the ``mfra`` at the end (found by the ``mfro`` in the last 16 bytes): each track's last
   ``tfra`` entry points at its last random-access ``moof``; from there to the ``mfra`` each
   ``moof``'s ``tfdt`` start plus its ``trun`` sample durations is where its tracks end;
3. else the ``sidx`` boxes after the ``moov``: earliest time plus every subsegment's duration;
4. else the last ``moof`` found in the file's last 256 KB (or 2 MB): a writer that left no
   index (``skip_trailer``, a recording cut short) still has its last fragment near the end.

Pure reads through the :class:`~viewra.media.probe.reader.BlockReader`; imports only the reader.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from viewra.media.probe.reader import BlockReader

MAX_TOP_LEVEL = 64  # top-level boxes looked at for the moov and the sidx boxes after it
MAX_BOX = 4 * 1024 * 1024  # a moov, mfra or moof read whole at most this large
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"mvex", b"moof", b"traf", b"mfra"})


@dataclass
class _Track:
    timescale: int = 0
    default_duration: int = 0  # trex's default_sample_duration
    video: bool = False  # hdlr "vide"


@dataclass
class _Movie:
    timescale: int = 0
    fragmented: bool = False
    whole: int = 0  # mehd's fragment_duration, in the movie's timescale
    tracks: dict[int, _Track] = field(default_factory=dict)


def _read(reader: BlockReader, start: int, length: int) -> bytes:
    reader.seek(start)
    return reader.read(length)


def _header(reader: BlockReader, at: int) -> tuple[bytes, int, int] | None:
    """(type, size, header length) of the box at ``at``; None past the end or when broken."""
    if at + 8 > reader.size:
        return None
    head = _read(reader, at, 16)
    size, kind = struct.unpack(">I4s", head[:8])
    header = 8
    if size == 1 and len(head) >= 16:
        size, header = struct.unpack(">Q", head[8:16])[0], 16
    elif size == 0:
        size = reader.size - at
    if size < header or at + size > reader.size:
        return None
    return kind, size, header


def _children(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``."""
    found = []
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        header = 8
        if size == 1 and start + 16 <= end:
            size, header = struct.unpack(">Q", data[start + 8 : start + 16])[0], 16
        if size < header or start + size > end:
            break
        found.append((kind, start + header, start + size))
        start += size
    return found


def _walk(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """Every box under ``data[start:end]``, depth first, descending into containers."""
    out = []
    for kind, a, b in _children(data, start, end):
        out.append((kind, a, b))
        if kind in _CONTAINERS:
            out += _walk(data, a, b)
    return out


def _version(data: bytes, at: int) -> int:
    return data[at]


def _movie(moov: bytes) -> _Movie:
    movie = _Movie()
    track_id = 0
    for kind, a, _ in _walk(moov, 0, len(moov)):
        v = _version(moov, a)
        if kind == b"mvhd":
            movie.timescale = struct.unpack_from(">I", moov, a + (20 if v else 12))[0]
        elif kind == b"mvex":
            movie.fragmented = True
        elif kind == b"mehd":
            movie.whole = struct.unpack_from(">Q" if v else ">I", moov, a + 4)[0]
        elif kind == b"tkhd":
            track_id = struct.unpack_from(">I", moov, a + (20 if v else 12))[0]
        elif kind == b"mdhd":
            scale = struct.unpack_from(">I", moov, a + (20 if v else 12))[0]
            movie.tracks.setdefault(track_id, _Track()).timescale = scale
        elif kind == b"hdlr":
            movie.tracks.setdefault(track_id, _Track()).video = moov[a + 8 : a + 12] == b"vide"
        elif kind == b"trex":
            tid, _, duration = struct.unpack_from(">III", moov, a + 4)
            movie.tracks.setdefault(tid, _Track()).default_duration = duration
    return movie


def _find_movie(reader: BlockReader) -> tuple[_Movie, int] | None:
    """The moov's facts and where the moov ends; None for a file that is not fragmented."""
    at = 0
    for _ in range(MAX_TOP_LEVEL):
        box = _header(reader, at)
        if box is None:
            return None
        kind, size, header = box
        if kind == b"moov":
            if size > MAX_BOX:
                return None
            movie = _movie(_read(reader, at + header, size - header))
            return (movie, at + size) if movie.fragmented else None
        at += size
    return None


def fragmented_duration(reader: BlockReader) -> float | None:
    """The length of a fragmented MP4 in seconds; None when the file is not fragmented or its
    index does not say (then what MediaInfo found stands)."""
    found = _find_movie(reader)
    if found is None:
        return None
    movie, moov_end = found
    if movie.whole and movie.timescale:
        return movie.whole / movie.timescale
    return _from_mfra(reader, movie) or _from_sidx(reader, moov_end) or _from_tail(reader, movie)


def fragmented_frame_rate(reader: BlockReader) -> float | None:
    """A fragmented MP4's constant video frame rate: the track's timescale over the sample
    duration of nine in ten frames of its first fragment (MediaInfo divides the first
    fragment's frames by its length, 24.947 for 25 fps); None when not fragmented, or the
    durations vary (a variable rate: MediaInfo's answer stands)."""
    found = _find_movie(reader)
    if found is None:
        return None
    movie, at = found
    for _ in range(MAX_TOP_LEVEL):
        box = _header(reader, at)
        if box is None:
            return None
        if box[0] == b"moof":
            break
        at += box[1]
    else:
        return None
    if box[1] > MAX_BOX:
        return None
    moof = _read(reader, at, box[1])
    for tid, durations in _sample_durations(moof, box[2], movie).items():
        track = movie.tracks.get(tid)
        if not (track and track.video and track.timescale and durations):
            continue
        duration, count = durations.most_common(1)[0]
        # one duration for nearly every frame (a muxer may stretch a fragment's last one)
        if duration and count >= 0.9 * sum(durations.values()):
            return track.timescale / duration
    return None


def _from_mfra(reader: BlockReader, movie: _Movie) -> float | None:
    if reader.size < 16:
        return None
    tail = _read(reader, reader.size - 16, 16)
    if tail[4:8] != b"mfro":
        return None
    length = struct.unpack_from(">I", tail, 12)[0]
    start = reader.size - length
    if not 16 <= length <= MAX_BOX or start < 0:
        return None
    mfra = _read(reader, start, length)
    if mfra[4:8] != b"mfra":
        return None
    last: dict[int, int] = {}  # track id → offset of its last moof with a random access point
    for kind, a, _ in _walk(mfra, 8, len(mfra)):
        if kind != b"tfra":
            continue
        v = _version(mfra, a)
        tid, sizes, count = struct.unpack_from(">III", mfra, a + 4)
        if not count:
            continue
        each = (16 if v else 8) + sum(((sizes >> s) & 3) + 1 for s in (4, 2, 0))
        entry = a + 16 + (count - 1) * each
        last[tid] = struct.unpack_from(">Q" if v else ">I", mfra, entry + (8 if v else 4))[0]
    if not last:
        return None
    # from the earliest of the tracks' last random-access fragments to the mfra: a fragment
    # after it (no random access point of its own) still has samples
    ends: dict[int, int] = {}
    at = min(last.values())
    for _ in range(MAX_TOP_LEVEL):
        box = _header(reader, at)
        if box is None or box[0] == b"mfra":
            break
        if box[0] == b"moof":
            for tid, end in _track_ends(reader, at, movie).items():
                ends[tid] = max(ends.get(tid, 0), end)
        at += box[1]
    return _seconds(ends, movie)


def _seconds(ends: dict[int, int], movie: _Movie) -> float | None:
    """The latest of the tracks' ends, each in its own timescale."""
    seconds = [
        ticks / movie.tracks[tid].timescale
        for tid, ticks in ends.items()
        if tid in movie.tracks and movie.tracks[tid].timescale
    ]
    return max(seconds) if seconds else None


def _trafs(moof: bytes, start: int, movie: _Movie) -> Iterator[tuple[int, int | None, list[int]]]:
    """(track id, tfdt start or None, sample durations) of each traf of a moof."""
    for kind, a, b in _children(moof, start, len(moof)):
        if kind != b"traf":
            continue
        tid, default, base, durations = 0, 0, None, []
        for sub, c, _ in _children(moof, a, b):
            flags = int.from_bytes(moof[c + 1 : c + 4], "big")
            if sub == b"tfhd":
                tid = struct.unpack_from(">I", moof, c + 4)[0]
                track = movie.tracks.get(tid)
                default = track.default_duration if track else 0
                if flags & 0x08:
                    skip = (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
                    default = struct.unpack_from(">I", moof, c + 8 + skip)[0]
            elif sub == b"tfdt":
                base = struct.unpack_from(">Q" if _version(moof, c) else ">I", moof, c + 4)[0]
            elif sub == b"trun":
                durations += _trun_durations(moof, c, flags, default)
        if tid:
            yield tid, base, durations


def _track_ends(reader: BlockReader, at: int, movie: _Movie) -> dict[int, int]:
    """Where each track of the ``moof`` at ``at`` ends: its tfdt plus its samples' durations."""
    box = _header(reader, at)
    if box is None or box[0] != b"moof" or box[1] > MAX_BOX:
        return {}
    moof = _read(reader, at, box[1])
    ends: dict[int, int] = {}
    for tid, base, durations in _trafs(moof, box[2], movie):
        if base is not None:
            ends[tid] = max(ends.get(tid, 0), base + sum(durations))
    return ends


def _sample_durations(moof: bytes, start: int, movie: _Movie) -> dict[int, Counter[int]]:
    found: dict[int, Counter[int]] = {}
    for tid, _, durations in _trafs(moof, start, movie):
        found.setdefault(tid, Counter()).update(durations)
    return found


def _trun_durations(moof: bytes, at: int, flags: int, default: int) -> list[int]:
    count = struct.unpack_from(">I", moof, at + 4)[0]
    if count > len(moof):
        raise ValueError("a trun with more samples than its moof has bytes")
    if not flags & 0x100:
        return [default] * count
    pos = at + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
    each = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    if pos + count * each > len(moof):
        raise ValueError("a trun longer than its moof")
    return [struct.unpack_from(">I", moof, pos + i * each)[0] for i in range(count)]


def _from_sidx(reader: BlockReader, at: int) -> float | None:
    longest = None
    for _ in range(MAX_TOP_LEVEL):
        box = _header(reader, at)
        if box is None or box[0] != b"sidx":
            return longest
        _, size, header = box
        sidx = _read(reader, at + header, min(size - header, MAX_BOX))
        v = _version(sidx, 0)
        scale = struct.unpack_from(">I", sidx, 8)[0]
        earliest = struct.unpack_from(">Q" if v else ">I", sidx, 12)[0]
        refs_at = 12 + (16 if v else 8) + 2
        count = struct.unpack_from(">H", sidx, refs_at)[0]
        durations = sum(
            struct.unpack_from(">I", sidx, refs_at + 2 + 12 * i + 4)[0] for i in range(count)
        )
        if scale:
            seconds = (earliest + durations) / scale
            longest = seconds if longest is None else max(longest, seconds)
        at += size
    return longest


TAIL_WINDOWS = (256 * 1024, 2 * 1024 * 1024)


def _from_tail(reader: BlockReader, movie: _Movie) -> float | None:
    for window in TAIL_WINDOWS:
        start = max(0, reader.size - window)
        data = _read(reader, start, reader.size - start)
        at = len(data)
        while (at := data.rfind(b"moof", 0, at)) >= 4:
            if data[at + 8 : at + 12] == b"mfhd":  # a moof opens with its mfhd
                seconds = _seconds(_track_ends(reader, start + at - 4, movie), movie)
                if seconds:
                    return seconds
        if start == 0:
            break
    return None

"""Timestamps of MPEG transport and program streams, read from a head and a tail of the file.

Neither container says how long it is: a player (and ffprobe) takes the first timestamps at the
start and the last ones at the end. :func:`scan` reads the PES headers (and a TS's PCRs) in a
chunk of bytes, so the probe can compute the duration from the first and last few hundred KB
instead of reading the file, and a frame rate from the spacing of the video's timestamps where
the stream's own headers do not say it (MediaInfo reports none for H.264 in TS without VUI
timing). Pure functions over bytes: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

CLOCK = 90_000  # PTS/DTS and PCR base ticks per second
WRAP = 1 << 33  # PTS and PCR base are 33-bit counters
TS_PACKET = 188
M2TS_PACKET = 192  # 4-byte arrival timecode + a 188-byte TS packet

# Rates ffprobe reports as fractions; a measured rate within 0.1 % of one is that rate.
STANDARD_RATES = (
    24000 / 1001,
    24.0,
    25.0,
    30000 / 1001,
    30.0,
    48.0,
    50.0,
    60000 / 1001,
    60.0,
    100.0,
    120.0,
)


@dataclass
class StreamTimes:
    """Timestamps seen for one stream (TS: a PID; PS: a stream id), in 90 kHz ticks."""

    video: bool = False
    pts: list[int] = field(default_factory=list)


@dataclass
class Scan:
    """What one chunk held: PES timestamps per stream and the PCRs (TS only)."""

    streams: dict[int, StreamTimes] = field(default_factory=dict)
    pcrs: list[int] = field(default_factory=list)

    def add_pts(self, key: int, pts: int, *, video: bool) -> None:
        times = self.streams.setdefault(key, StreamTimes(video=video))
        times.pts.append(pts)

    @property
    def video_count(self) -> int:
        """How many video timestamps were seen (frames, when each frame is one PES packet)."""
        return sum(len(t.pts) for t in self.streams.values() if t.video)

    @property
    def first(self) -> int | None:
        """The earliest timestamp of any stream (what ffprobe calls the start time)."""
        firsts = [min(t.pts) for t in self.streams.values() if t.pts]
        return min(firsts) if firsts else None

    @property
    def last(self) -> int | None:
        lasts = [max(t.pts) for t in self.streams.values() if t.pts]
        return max(lasts) if lasts else None


def pts_value(b: bytes | memoryview) -> int:
    """The 33-bit timestamp in the 5-byte PTS/DTS field of a PES header."""
    return ((b[0] >> 1) & 0x07) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1


def _pes_pts(payload: bytes | memoryview) -> int | None:
    """The PTS of a PES packet starting at ``payload`` (MPEG-2 or MPEG-1 header), if it has one."""
    if len(payload) < 14 or payload[0:3] != b"\x00\x00\x01":
        return None
    if payload[6] & 0xC0 == 0x80:  # MPEG-2 PES header
        if payload[7] & 0x80:
            return pts_value(payload[9:14])
        return None
    i = 6  # MPEG-1: stuffing, an optional STD buffer field, then the timestamps
    while i < min(len(payload), 6 + 16) and payload[i] == 0xFF:
        i += 1
    if i + 1 < len(payload) and payload[i] & 0xC0 == 0x40:
        i += 2
    if i + 5 <= len(payload) and payload[i] & 0xE0 == 0x20:
        return pts_value(payload[i : i + 5])
    return None


def _is_video(stream_id: int) -> bool:
    return 0xE0 <= stream_id <= 0xEF


def _is_pes(stream_id: int) -> bool:
    return stream_id == 0xBD or 0xC0 <= stream_id <= 0xEF


def _packets(data: bytes, size: int) -> Iterator[memoryview]:
    """The 188-byte TS packets in ``data``, from the first position where the sync repeats."""
    skip = size - TS_PACKET
    view = memoryview(data)
    start = next(
        (
            p
            for p in range(min(len(data), size * 2))
            if all(
                p + skip + k * size < len(data) and data[p + skip + k * size] == 0x47
                for k in range(3)
            )
        ),
        None,
    )
    if start is None:
        return
    for p in range(start + skip, len(data) - TS_PACKET + 1, size):
        if data[p] != 0x47:
            continue  # a damaged packet: the next one may be in place again
        yield view[p : p + TS_PACKET]


def scan_ts(data: bytes, packet_size: int = TS_PACKET) -> Scan:
    """PES timestamps per PID and the PCRs of a chunk of MPEG-TS (or M2TS) packets."""
    result = Scan()
    for packet in _packets(data, packet_size):
        pid = ((packet[1] & 0x1F) << 8) | packet[2]
        control = (packet[3] >> 4) & 0x03
        offset = 4
        if control & 0x02:
            length = packet[4]
            if length and packet[5] & 0x10 and length >= 7:
                base = packet[6] << 25 | packet[7] << 17 | packet[8] << 9 | packet[9] << 1
                result.pcrs.append(base | packet[10] >> 7)
            offset = 5 + length
        if not control & 0x01 or not packet[1] & 0x40 or offset >= TS_PACKET:
            continue
        payload = packet[offset:]
        if len(payload) < 4 or payload[0:3] != b"\x00\x00\x01" or not _is_pes(payload[3]):
            continue
        pts = _pes_pts(payload)
        if pts is not None:
            result.add_pts(pid, pts, video=_is_video(payload[3]))
    return result


# stream_type values of video in a PMT (ISO/IEC 13818-1 table 2-34 and registered ones):
# MPEG-1/2 video, MPEG-4 Part 2, H.264, MVC, HEVC, VVC, AVS, AVS2, VC-1
VIDEO_STREAM_TYPES = frozenset({0x01, 0x02, 0x10, 0x1B, 0x20, 0x24, 0x33, 0x42, 0xD2, 0xEA})


def _sections(data: bytes, size: int, pids: set[int] | None) -> Iterator[tuple[int, memoryview]]:
    """(PID, section) of each PSI section that starts in a packet of ``pids`` (None: PID 0)."""
    for packet in _packets(data, size):
        pid = ((packet[1] & 0x1F) << 8) | packet[2]
        if not packet[1] & 0x40 or pid not in (pids if pids is not None else {0}):
            continue
        offset = 4 + (1 + packet[4] if packet[3] & 0x20 else 0)
        if offset >= TS_PACKET:
            continue
        start = offset + 1 + packet[offset]  # the pointer field
        if start + 3 <= TS_PACKET:
            yield pid, packet[start:]


def declares_video(data: bytes, packet_size: int = TS_PACKET) -> bool | None:
    """Whether the first program map in ``data`` lists a video stream; None when ``data`` holds
    no program map (a head too short to tell). Sections longer than a packet are read as far as
    the packet goes, which the streams of a recording fit."""
    programs: set[int] = set()
    for _, pat in _sections(data, packet_size, None):
        if pat[0] != 0x00:
            continue
        end = min(len(pat), 3 + (((pat[1] & 0x0F) << 8) | pat[2]) - 4)
        for i in range(8, end - 3, 4):
            if (pat[i] << 8 | pat[i + 1]) != 0:  # program 0 is the network PID
                programs.add(((pat[i + 2] & 0x1F) << 8) | pat[i + 3])
        break
    if not programs:
        return None
    for _, pmt in _sections(data, packet_size, programs):
        if pmt[0] != 0x02 or len(pmt) < 12:
            continue
        end = min(len(pmt), 3 + (((pmt[1] & 0x0F) << 8) | pmt[2]) - 4)
        i = 12 + (((pmt[10] & 0x0F) << 8) | pmt[11])
        while i + 5 <= end:
            if pmt[i] in VIDEO_STREAM_TYPES:
                return True
            i += 5 + (((pmt[i + 3] & 0x0F) << 8) | pmt[i + 4])
        return False
    return None


def scan_ps(data: bytes) -> Scan:
    """PES timestamps per stream id in a chunk of an MPEG program stream."""
    result = Scan()
    view = memoryview(data)
    at = data.find(b"\x00\x00\x01")
    while 0 <= at < len(data) - 4:
        stream_id = data[at + 3]
        if _is_pes(stream_id):
            pts = _pes_pts(view[at : at + 32])
            if pts is not None:
                result.add_pts(stream_id, pts, video=_is_video(stream_id))
        at = data.find(b"\x00\x00\x01", at + 4)
    return result


def elapsed(first: int, last: int) -> int:
    """Ticks from ``first`` to ``last`` across one wrap of the 33-bit counter."""
    return (last - first) % WRAP


def duration(head: Scan, tail: Scan) -> float | None:
    """Seconds from the first timestamp of the head to the end of the last frame of the tail.

    As ffprobe: the end is the last timestamp plus that stream's frame duration, measured as the
    spacing of its last timestamps.
    """
    first = head.first
    if first is None:
        return None
    ends = []
    for times in tail.streams.values():
        if not times.pts:
            continue
        ordered = sorted(times.pts)
        step = _typical_step(ordered) or 0
        ends.append(elapsed(first, ordered[-1]) + step)
    if not ends:
        return None
    return round(max(ends) / CLOCK, 3)


def _typical_step(ordered: list[int]) -> int | None:
    """The most common spacing of sorted timestamps (a frame's duration), if there are any."""
    steps = [b - a for a, b in pairwise(ordered) if 0 < b - a < CLOCK]
    if not steps:
        return None
    return max(set(steps), key=steps.count)


def frame_rate(*scans: Scan) -> float | None:
    """The video's frame rate from the spacing of its timestamps, snapped to a standard rate.

    Each scan (the head, the tail) is a separate run of frames: steps are taken within a run. The
    first frames of a file are its biggest (an intra frame), so the head alone may hold only two.
    """
    steps: list[int] = []
    for scan in scans:
        video = [t for t in scan.streams.values() if t.video and t.pts]
        if video:
            ordered = sorted(set(video[0].pts))
            steps += [b - a for a, b in pairwise(ordered) if 0 < b - a < CLOCK]
    if not steps:
        return None
    typical = max(set(steps), key=steps.count)
    # the average over the regular steps: 23.976 alternates 3753 and 3754 ticks
    regular = [s for s in steps if abs(s - typical) <= 1]
    rate = CLOCK * len(regular) / sum(regular)
    for standard in STANDARD_RATES:
        if abs(rate - standard) / standard < 0.001:
            return round(standard, 3)
    return round(rate, 3)

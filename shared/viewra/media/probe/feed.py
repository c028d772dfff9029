"""Feeding MediaInfo a head and a tail: our own buffer loop, so a parser's sequential run is capped.

MediaInfo reads some containers straight through: an MPEG-PS file for 8 MB from each end, an ASF
file for its first few MB of packets, an AVI's first frames past its index, an MPEG-TS file for
16 MB from each end (``MpegTs_MaximumOffset``). pymediainfo's own loop honours the seeks MediaInfo
asks for but cannot stop a run, so this module drives libmediainfo's buffer API itself:

- a seek MediaInfo asks for is honoured (the moov at the end, an AVI's ``idx1``, an FLV's last tag);
- a contiguous run is capped (:attr:`ReadPlan.run_cap`); when it is reached, MediaInfo is moved
  (``Open_Buffer_Init`` with the new offset, as after a seek it asked for) to the last
  :attr:`ReadPlan.tail` bytes, once; a second capped run ends the parse (end of file, so MediaInfo
  still finalises and frees its handle).

Which plan a container gets is decided from its first bytes (:func:`sniff`), before MediaInfo runs.
What MediaInfo then misses (a PS duration, which it takes from its own jump to the end; a TS frame
rate) is read from the same head and tail by :mod:`viewra.media.probe.timestamps`.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pymediainfo import MediaInfo

from viewra.media.probe.reader import BlockReader, BudgetExceeded

_NO_SEEK = ctypes.c_uint64(-1).value
_FINISHED = 0x08  # Open_Buffer_Continue's "finished" bit (File__Analyze.h)


class Family(StrEnum):
    """Container families by their first bytes: what decides the read plan."""

    ISO_BMFF = "iso"
    MATROSKA = "matroska"
    MPEG_TS = "ts"
    M2TS = "m2ts"  # MPEG-TS with a 4-byte timecode before each 188-byte packet (192 bytes)
    MPEG_PS = "ps"
    AVI = "avi"
    ASF = "asf"
    FLV = "flv"
    OGG = "ogg"
    WAV = "wav"
    OTHER = "other"


_ISO_BMFF_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})
_ASF_HEADER_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def _sync_at(head: bytes, offset: int, stride: int, count: int = 4) -> bool:
    """Whether MPEG-TS sync bytes (0x47) repeat ``count`` times every ``stride`` bytes."""
    positions = [offset + i * stride for i in range(count)]
    return len(head) > positions[-1] and all(head[p] == 0x47 for p in positions)


def sniff(head: bytes) -> Family:
    """The container family of an object from its first bytes (a few KB are plenty)."""
    if head[4:8] in _ISO_BMFF_FIRST_BOXES:
        return Family.ISO_BMFF
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Family.MATROSKA
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Family.AVI
    if head[:16] == _ASF_HEADER_GUID:
        return Family.ASF
    if head[:3] == b"FLV":
        return Family.FLV
    if head[:4] == b"OggS":
        return Family.OGG
    if head[:4] in {b"RIFF", b"RF64"} and head[8:12] == b"WAVE":
        return Family.WAV
    if head[:4] == b"\x00\x00\x01\xba":
        return Family.MPEG_PS
    if _sync_at(head, 0, 188):
        return Family.MPEG_TS
    if _sync_at(head, 4, 192):
        return Family.M2TS
    return Family.OTHER


@dataclass(frozen=True)
class ReadPlan:
    """How MediaInfo may read one family: its parse speed, options, run cap and tail."""

    parse_speed: float
    run_cap: int | None = None  # longest contiguous run fed to MediaInfo; None: no cap
    tail: int = 0  # bytes at the end MediaInfo is moved to when a run is capped
    ts_offset: int = 0  # MpegTs_MaximumOffset, set for every parse (the library keeps it)
    clamp_window: int = 0  # a seek into the last ``clamp_window`` bytes goes to the last ``tail``

    @property
    def settings(self) -> tuple[float, int]:
        """What libmediainfo keeps across handles: parses may overlap only when these agree."""
        return (self.parse_speed, self.ts_offset)


# Sizes measured with bench/probe_bytes.py. 256 KB of head holds the program tables and the first
# frames' headers of every generated and recorded file we tried; a TS or PS packet with a PCR or
# PTS is found in the last 128 KB of any stream over ~10 kbit/s.
HEAD_RUN = 128 * 1024
TAIL = 64 * 1024
TS_OFFSET = 64 * 1024  # MpegTs_MaximumOffset: how far MediaInfo looks from each end of a TS
FEED_LIMIT_FACTOR = 4  # bytes fed to MediaInfo, as a multiple of the probe's byte budget
FLV_FRAMES = 64 * 1024  # of tags after an FLV's onMetaData, for the codec headers
ASF_PACKETS = 32 * 1024  # of data packets after an ASF header, for the first frames' headers
# Again, wider, while the head held no video frame header (a recording cut mid-GOP): MediaInfo
# looks further, its run from the start capped at 2 MB, then at 8 MB (a long GOP at a high
# bitrate: 4 s at 16 Mbit/s); the blocks already read are not fetched again.
TS_HEAD_RETRIES = (2 * 1024 * 1024, 8 * 1024 * 1024)

_TS = ReadPlan(parse_speed=0.0, run_cap=TS_OFFSET + HEAD_RUN, tail=TS_OFFSET)
_CAPPED = ReadPlan(parse_speed=0.0, run_cap=HEAD_RUN, tail=TAIL)

PLANS: dict[Family, ReadPlan] = {
    # the moov only, its large sample tables as stand-ins (see viewra.media.probe's docstring)
    Family.ISO_BMFF: ReadPlan(parse_speed=-1.0),
    # Matroska holds all we record before its first cluster (Tracks with the codec private data,
    # Info, Tags or a SeekHead to them, which are honoured seeks); MediaInfo would go on through
    # the first frames (~400 KB of a 50 MB file). Capped, the run stops: no tail to move to.
    Family.MATROSKA: ReadPlan(parse_speed=0.0, run_cap=HEAD_RUN),
    # FLV: the onMetaData tag (duration, sizes, rates) and the codec headers are the first tags;
    # MediaInfo would read on through the first frames and then jump to the last tag. A run past
    # the head is stopped; a file without a metadata duration is timed by its last tag instead
    Family.FLV: ReadPlan(parse_speed=0.0, run_cap=FLV_FRAMES),
    Family.MPEG_TS: _TS,
    Family.M2TS: _TS,
    Family.MPEG_PS: _CAPPED,
    Family.AVI: _CAPPED,
    Family.ASF: _CAPPED,
    # Ogg: MediaInfo seeks to the last ~250 KB for the last granule position; that seek is moved
    # to the last 64 KB (a page is at most ~64 KB, so the last one starts there)
    Family.OGG: ReadPlan(parse_speed=0.0, tail=TAIL, clamp_window=8 * TAIL),
    # WAV: the format chunk is in the first bytes; MediaInfo would read on into the samples
    # (~380 KB, looking for a compressed stream in them); a run past the head is stopped
    Family.WAV: ReadPlan(parse_speed=0.0, run_cap=HEAD_RUN // 2),
    Family.OTHER: ReadPlan(parse_speed=0.0),
}


def plan_for(family: Family, head: bytes = b"", *, wider: int = 0) -> ReadPlan:
    """The family's plan; ``wider`` (bytes) is a TS retry's head when the head held no video
    frame header.

    An ASF header object (codecs, sizes, tags, a WMA's cover art) and an FLV's onMetaData tag (with
    a keyframe index it grows with the length) must be read whole, and their sizes are in the first
    bytes: the run is capped a little past their end.
    """
    plan = replace(PLANS[family], ts_offset=TS_OFFSET)
    if family is Family.FLV and len(head) >= 17 and head[13] == 18:  # a script data tag first
        metadata = (
            13 + 11 + int.from_bytes(head[14:17], "big") + 4
        )  # onMetaData may index keyframes
        return replace(plan, run_cap=min(metadata, 64 << 20) + FLV_FRAMES)
    if family is Family.ASF and len(head) >= 24:
        header_size = int.from_bytes(head[16:24], "little")
        return replace(plan, run_cap=min(header_size, 64 << 20) + ASF_PACKETS)
    if wider and family in {Family.MPEG_TS, Family.M2TS}:
        # MediaInfo's look back from the end (only for the duration, which the timestamps give)
        # is moved to the last TS_OFFSET bytes, so the retry costs the wider head only
        return replace(plan, run_cap=wider, ts_offset=2 * wider, clamp_window=4 * wider)
    return plan


class _Run:
    """Where the current contiguous run started, and whether the tail was visited."""

    def __init__(self) -> None:
        self.start = 0
        self.tail_visited = False


def parse(reader: BlockReader, plan: ReadPlan) -> MediaInfo:
    """Run MediaInfo over ``reader`` following ``plan``; raise what the reader raised.

    A budget overrun ends the parse like an end of file (MediaInfo must still finalise and free
    its handle) and is re-raised afterwards.
    """
    lib, handle, _, _ = MediaInfo._get_library()  # noqa: SLF001: pymediainfo's loaded library
    options = {
        "CharSet": "UTF-8",
        "Inform": "OLDXML",
        "Complete": "1",
        "Cover_Data": "base64",
        "LegacyStreamDisplay": "",
        "ParseSpeed": str(plan.parse_speed),
        "MpegTs_MaximumOffset": str(plan.ts_offset),
    }
    error: BudgetExceeded | None = None
    try:
        for name, value in options.items():
            lib.MediaInfo_Option(handle, name, value)
        error = _feed(lib, handle, reader, plan)
        lib.MediaInfo_Open_Buffer_Finalize(handle)
        xml = lib.MediaInfo_Inform(handle, 0)
    finally:
        lib.MediaInfo_Close(handle)
        lib.MediaInfo_Delete(handle)
    if error is not None:
        raise error
    return MediaInfo(xml)


def _feed(lib: Any, handle: Any, reader: BlockReader, plan: ReadPlan) -> BudgetExceeded | None:
    size = reader.size
    tail_start = max(0, size - plan.tail)
    run = _Run()
    pos = fed = 0
    # Seeks back into cached blocks cost no fetch, so the byte budget cannot stop a parser that
    # keeps asking for them (a hostile or broken file): what is fed to it is bounded as well.
    feed_limit = FEED_LIMIT_FACTOR * reader.max_bytes if reader.max_bytes else None
    lib.MediaInfo_Open_Buffer_Init(handle, size, 0)
    while pos < size:
        if feed_limit is not None and fed > feed_limit:
            return BudgetExceeded(
                f"probe read budget exceeded: the parser was fed {fed} bytes of a {size}-byte "
                "object without finishing"
            )
        if plan.run_cap is not None and pos - run.start >= plan.run_cap and pos < tail_start:
            if run.tail_visited or plan.tail == 0:
                break
            pos = run.start = tail_start
            run.tail_visited = True
            lib.MediaInfo_Open_Buffer_Init(handle, size, pos)
            continue
        reader.seek(pos)
        capped = plan.run_cap is not None and pos < tail_start
        fetch_until = run.start + plan.run_cap if capped and plan.run_cap else None
        try:
            data = reader.read_chunk(reader.block_size, fetch_until=fetch_until)
        except BudgetExceeded as exc:
            return exc
        if not data:
            break
        pos += len(data)
        fed += len(data)
        if lib.MediaInfo_Open_Buffer_Continue(handle, data, len(data)) & _FINISHED:
            break
        seek = lib.MediaInfo_Open_Buffer_Continue_GoTo_Get(handle)
        if seek != _NO_SEEK:
            if seek == run.start and pos >= size:
                break  # asked again for the end it was just given (an ID3v1/APE tag look-up)
            pos = run.start = min(int(seek), size)
            if tail_start > pos >= size - plan.clamp_window:
                pos = run.start = tail_start  # a look at the end: the last bytes are enough
            run.tail_visited = run.tail_visited or pos >= tail_start
            lib.MediaInfo_Open_Buffer_Init(handle, size, pos)
    return None

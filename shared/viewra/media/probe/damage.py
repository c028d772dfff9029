"""Damaged media: a file whose own structure points past its end, told from that and its size.

A file cut short (an interrupted upload or copy, a recording that stopped) keeps the header or
index written for the whole file. The store tells us the object's size, so comparing the sizes the
container declares with it finds the cut without reading the media data:

- ISO BMFF (MP4, MOV, M4A): a top-level box (the ``mdat`` with the samples, or the ``moov``) that
  ends past the object. The ``moov``'s sample table then lists samples that are not there: a
  player shows the full duration, and seeking past the cut (or transcoding) fails. The item is
  **failed** with the reason: what plays is undefined, and the fix is to upload the file again.
- Matroska / WebM: a Segment whose declared size ends past the object. Matroska is streamable,
  cluster by cluster: players and ffmpeg play every whole block up to the cut, with or without the
  Cues (written at the end, so lost). The item is **ready**, flagged damaged, with the duration
  that plays: the timestamp of the last block in the last cluster that starts before the cut,
  read from that cluster's headers (the only read past the index, and only for a damaged file).
- MPEG-TS / M2TS: no index and no declared size; a cut leaves the last packet short. What plays is
  what is there and the duration from the last timestamps is already that: **ready**, flagged.

Pure logic over a seekable reader; no I/O of its own.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from viewra.media.probe.feed import Family
from viewra.media.probe.reader import BlockReader

MAX_TOP_LEVEL_BOXES = 64  # a plain MP4 has a handful; a fragmented one is not walked past moof
CLUSTER_ID = b"\x1f\x43\xb6\x75"
CLUSTER_ID_INT = int.from_bytes(CLUSTER_ID, "big")
SEGMENT_ID = b"\x18\x53\x80\x67"
EBML_ID = b"\x1a\x45\xdf\xa3"
CLUSTER_SEARCH = (256 * 1024, 1024 * 1024, 8 * 1024 * 1024)  # ffmpeg's clusters are ≤ 5 MiB
DEFAULT_TIMESTAMP_SCALE = 1_000_000  # ns per Matroska tick, as ffmpeg and mkvmerge write


@dataclass(frozen=True)
class Damage:
    """What is wrong, and whether the item can still be played (with which duration)."""

    reason: str
    playable: bool
    duration: float | None = None


def check(reader: BlockReader, family: Family) -> Damage | None:
    """The damage of a file of ``family``, or None when its structure fits its size."""
    if family is Family.ISO_BMFF:
        return _iso_bmff(reader)
    if family is Family.MATROSKA:
        return _matroska(reader)
    if family in {Family.MPEG_TS, Family.M2TS}:
        packet = 192 if family is Family.M2TS else 188
        short = reader.size % packet
        if short:
            return Damage(
                f"truncated: the last transport packet holds {short} of {packet} bytes "
                f"(the file was cut short)",
                playable=True,
            )
    return None


def _iso_bmff(reader: BlockReader) -> Damage | None:
    pos, size = 0, reader.size
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if pos >= size:
            return None
        reader.seek(pos)
        header = reader.read(16)
        if len(header) < 8:
            return Damage(f"truncated: a box header at byte {pos:,} is cut off", playable=False)
        box_size, kind = struct.unpack(">I4s", header[:8])
        if box_size == 1 and len(header) == 16:
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            return None  # "to the end of the file": nothing declared to compare
        if box_size < 8 or kind == b"moof" or not all(32 <= c < 127 for c in kind):
            return None  # not a box (garbage), or fragmented: not ours to judge
        end = pos + box_size
        if end > size:
            name = kind.decode("latin-1", "replace")
            return Damage(
                f"truncated: the '{name}' box ends at byte {end:,} but the object holds "
                f"{size:,} bytes ({size / end:.0%} of it)",
                playable=False,
            )
        pos = end
    return None


def _vint(data: bytes, at: int) -> tuple[int, int] | None:
    """An EBML variable-size integer at ``at``: (value, length), or None if cut or invalid."""
    if at >= len(data) or data[at] == 0:
        return None
    first = data[at]
    length = 8 - first.bit_length() + 1
    if at + length > len(data):
        return None
    value = first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = value << 8 | byte
    return value, length


def _unknown(value: int, length: int) -> bool:
    return value == (1 << (7 * length)) - 1


def _matroska(reader: BlockReader) -> Damage | None:
    reader.seek(0)
    head = reader.read(min(reader.size, 4096))
    if head[:4] != EBML_ID:
        return None
    header = _vint(head, 4)
    if header is None:
        return None
    at = 4 + header[1] + header[0]
    if head[at : at + 4] != SEGMENT_ID:
        return None
    segment = _vint(head, at + 4)
    if segment is None or _unknown(*segment):
        return None  # a live-written file without a size: nothing declared to compare
    end = at + 4 + segment[1] + segment[0]
    if end <= reader.size:
        return None
    reason = (
        f"truncated: the Matroska segment ends at byte {end:,} but the object holds "
        f"{reader.size:,} bytes ({reader.size / end:.0%} of it)"
    )
    played = _last_block_time(reader)
    if played is None:
        return Damage(reason + "; no whole cluster found before the cut", playable=False)
    return Damage(reason + f"; plays to {played:.3f} s", playable=True, duration=played)


def _last_block_time(reader: BlockReader) -> float | None:
    """Seconds to the end of the last whole block of the last cluster that starts in the object."""
    for span in CLUSTER_SEARCH:
        start = max(0, reader.size - span)
        reader.seek(start)
        data = reader.read(span)
        at = data.rfind(CLUSTER_ID)
        while at >= 0:
            found = _cluster_end_time(data, at)
            if found is not None:
                return found * DEFAULT_TIMESTAMP_SCALE / 1e9
            at = data.rfind(CLUSTER_ID, 0, at)
        if start == 0:
            return None
    return None


def _cluster_end_time(data: bytes, at: int) -> int | None:
    """The cluster at ``at``: its timestamp plus the largest relative time of its whole blocks."""
    size = _vint(data, at + 4)
    if size is None:
        return None
    pos = at + 4 + size[1]
    timestamp: int | None = None
    latest = 0
    while pos < len(data):
        element = _element(data, pos)
        if element is None:
            break
        ident, body, length = element
        if ident == CLUSTER_ID_INT or body + length > len(data):
            break  # the next cluster, or the block the cut went through
        if ident == 0xE7:  # Timestamp: the first child of a real cluster
            timestamp = int.from_bytes(data[body : body + length], "big")
        elif ident in (0xBF, 0xEC):  # CRC-32 (ffmpeg writes one first), Void
            pass
        elif timestamp is None:
            return None  # bytes that only looked like a cluster ID
        elif ident in (0xA3, 0xA0):  # SimpleBlock, BlockGroup
            block = body if ident == 0xA3 else _block_in_group(data, body, length)
            track = _vint(data, block) if block is not None else None
            if block is not None and track is not None and block + track[1] + 2 <= len(data):
                offset = block + track[1]
                latest = max(latest, struct.unpack(">h", data[offset : offset + 2])[0])
        pos = body + length
    return None if timestamp is None else timestamp + latest


def _element(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(ID, body offset, body length) of the element at ``pos``."""
    first = data[pos]
    id_length = 8 - first.bit_length() + 1
    if id_length > 4 or pos + id_length > len(data):
        return None
    ident = int.from_bytes(data[pos : pos + id_length], "big")
    size = _vint(data, pos + id_length)
    if size is None or _unknown(*size):
        return None
    return ident, pos + id_length + size[1], size[0]


def _block_in_group(data: bytes, body: int, length: int) -> int | None:
    pos = body
    while pos < body + length:
        element = _element(data, pos)
        if element is None:
            return None
        ident, inner, size = element
        if ident == 0xA1:  # Block
            return inner
        pos = inner + size
    return None

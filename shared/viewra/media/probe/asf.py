"""ASF (WMV/WMA) data packets: the video's presentation times in the first packets of a file.

An ASF header states the play duration and each stream's codec and size but, unless an encoder
wrote the Extended Stream Properties, no frame rate: players (and ffprobe) take it from the
spacing of the frames' presentation times. MediaInfo counts them over several MB of packets; this
reads the payload headers of the packets in the head a probe has already fetched (the layout is
the ASF specification's: error correction data, length type flags, property flags, payloads with
replicated data holding the media object's presentation time in milliseconds). Pure functions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from viewra.media.probe.timestamps import Scan

_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_FILE_PROPERTIES = bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365")
_STREAM_PROPERTIES = bytes.fromhex("9107dcb7b7a9cf118ee600c00c205365")
_VIDEO_MEDIA = bytes.fromhex("c0ef19bc4d5bcf11a8fd00805f5c442b")
_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")
_MS_TO_TICKS = 90  # Scan's clock is 90 kHz


def _sized(data: bytes, pos: int, kind: int) -> tuple[int, int]:
    """A field of ``kind`` 0-3 (absent, byte, word, dword), little-endian: (value, next pos)."""
    width = (0, 1, 2, 4)[kind]
    return int.from_bytes(data[pos : pos + width], "little"), pos + width


@dataclass(frozen=True)
class Layout:
    """Where the data packets are: the grid the tail's packets are cut on."""

    packets_start: int
    packets_end: int
    packet_size: int
    video: frozenset[int]


def layout(head: bytes) -> Layout | None:
    """The packet grid and the video stream numbers, from the header at the start of ``head``."""
    if head[:16] != _HEADER or len(head) < 30:
        return None
    header_size = struct.unpack_from("<Q", head, 16)[0]
    count = struct.unpack_from("<I", head, 24)[0]
    packet_size, video = 0, set()
    pos = 30
    for _ in range(min(count, 256)):
        if pos + 24 > min(header_size, len(head)):
            break
        guid, size = head[pos : pos + 16], struct.unpack_from("<Q", head, pos + 16)[0]
        if guid == _FILE_PROPERTIES and pos + 100 <= len(head):
            minimum, maximum = struct.unpack_from("<II", head, pos + 92)
            packet_size = minimum if minimum == maximum else 0
        elif (
            guid == _STREAM_PROPERTIES
            and pos + 74 <= len(head)
            and head[pos + 24 : pos + 40] == _VIDEO_MEDIA
        ):
            video.add(struct.unpack_from("<H", head, pos + 72)[0] & 0x7F)
        if size < 24:
            break
        pos += size
    data = header_size
    if not packet_size or len(head) < data + 50 or head[data : data + 16] != _DATA:
        return None
    data_size = struct.unpack_from("<Q", head, data + 16)[0]
    return Layout(data + 50, data + data_size, packet_size, frozenset(video))


def scan(grid: Layout, chunk: bytes, offset: int) -> Scan:
    """Presentation times per stream of the whole packets in ``chunk`` (read at ``offset``)."""
    result = Scan()
    first = max(grid.packets_start, offset)
    first += (grid.packets_start - first) % grid.packet_size  # next packet boundary
    last = min(grid.packets_end, offset + len(chunk)) - grid.packet_size
    for start in range(first, last + 1, grid.packet_size):
        packet = chunk[start - offset : start - offset + grid.packet_size]
        for stream, pts in _payload_times(packet):
            result.add_pts(stream, pts * _MS_TO_TICKS, video=stream in grid.video)
    return result


def _payload_times(packet: bytes) -> list[tuple[int, int]]:
    """(stream number, presentation time ms) of each payload that starts a media object."""
    try:
        return _parse_packet(packet)
    except (IndexError, struct.error):
        return []  # a packet laid out otherwise: its times are not needed


def _parse_packet(packet: bytes) -> list[tuple[int, int]]:
    pos = 0
    if packet[0] & 0x80:  # error correction data first
        pos = 1 + (packet[0] & 0x0F)
    length_flags, properties = packet[pos], packet[pos + 1]
    pos += 2
    _, pos = _sized(packet, pos, (length_flags >> 5) & 3)  # packet length
    _, pos = _sized(packet, pos, (length_flags >> 1) & 3)  # sequence
    padding, pos = _sized(packet, pos, (length_flags >> 3) & 3)
    pos += 6  # send time, duration
    replicated_kind = properties & 3
    offset_kind = (properties >> 2) & 3
    object_kind = (properties >> 4) & 3
    multiple = length_flags & 1
    count, length_kind = 1, 0
    if multiple:
        count, length_kind = packet[pos] & 0x3F, (packet[pos] >> 6) & 3
        pos += 1
    times: list[tuple[int, int]] = []
    for _ in range(count):
        stream = packet[pos] & 0x7F
        pos += 1
        _, pos = _sized(packet, pos, object_kind)
        offset, pos = _sized(packet, pos, offset_kind)
        replicated, pos = _sized(packet, pos, replicated_kind)
        if replicated >= 8 and offset == 0:
            times.append((stream, struct.unpack_from("<I", packet, pos + 4)[0]))
        elif replicated == 1:  # compressed payloads: the offset field is the presentation time
            times.append((stream, offset))
        pos += replicated
        if multiple:
            length, pos = _sized(packet, pos, length_kind)
        else:
            length = len(packet) - pos - padding
        pos += length
    return times

"""FLAC cover pictures: located from the metadata block headers, never read by the probe.

A FLAC's PICTURE block holds the whole image (ripped albums carry 1-3 MB scans) among the metadata
blocks MediaInfo and mutagen read in order before the first audio frame. The probe walks the
block headers itself (4 bytes each), turns every PICTURE block into a PADDING block of the same
length (served by the reader, not fetched) and returns where the front cover's image bytes are,
so the scan fetches them alone, once. Imports only the reader.
"""

from __future__ import annotations

import struct

from viewra.media.models.items import CoverLocation
from viewra.media.probe.reader import BlockReader, Patch, StandIns

PICTURE = 6
PADDING = 1
FRONT_COVER = 3
MAX_MIME = 256  # a longer MIME type is not a picture we can store
MAX_BLOCKS = 256  # metadata blocks walked at most (a broken "last" flag must not walk the audio)


def _id3_size(head: bytes) -> int:
    """The length of an ID3v2 tag before the ``fLaC`` marker (some taggers write one), or 0."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:
        size = size << 7 | byte & 0x7F
    return 10 + size + (10 if head[5] & 0x10 else 0)


def stand_ins(reader: BlockReader) -> StandIns:
    """PADDING for every PICTURE block of a FLAC file; the front cover's (or first) image place."""
    found = StandIns()
    reader.seek(0)
    pos = _id3_size(reader.read(10))
    reader.seek(pos)
    if reader.read(4) != b"fLaC":
        return found
    pos += 4
    best: tuple[int, CoverLocation] | None = None
    for _ in range(MAX_BLOCKS):
        reader.seek(pos)
        header = reader.read(4)
        if len(header) < 4:
            break
        kind, length = header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if pos + 4 + length > reader.size:
            break
        if kind == PICTURE:
            located = _picture(reader, pos + 4, length)
            if located is not None:
                found.patches.append(
                    Patch(pos, bytes([header[0] & 0x80 | PADDING]) + header[1:4] + bytes(length))
                )
                picture_type, cover = located
                rank = 0 if picture_type == FRONT_COVER else 1
                if best is None or rank < best[0]:
                    best = (rank, cover)
        pos += 4 + length
        if header[0] & 0x80:  # the last metadata block
            break
    found.cover = best[1] if best else None
    return found


def _picture(reader: BlockReader, start: int, length: int) -> tuple[int, CoverLocation] | None:
    """(picture type, where its image data is) from a PICTURE block's fields before the data."""
    reader.seek(start)
    fields = reader.read(min(length, 8))
    if len(fields) < 8:
        return None
    picture_type, mime_length = struct.unpack(">II", fields)
    if mime_length > MAX_MIME or 8 + mime_length + 4 > length:
        return None
    mime = reader.read(mime_length).decode("ascii", "replace").strip() or None
    (description_length,) = struct.unpack(">I", reader.read(4))
    at = start + 8 + mime_length + 4 + description_length + 16
    if at + 4 > start + length:
        return None
    reader.seek(at)
    (data_length,) = struct.unpack(">I", reader.read(4))
    if data_length == 0 or at + 4 + data_length > start + length:
        return None
    return picture_type, CoverLocation(offset=at + 4, length=data_length, mime=mime)

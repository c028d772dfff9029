"""Ogg (Opus, Vorbis) cover pictures: a METADATA_BLOCK_PICTURE comment located, never read.

An Ogg audio file carries its cover as a Vorbis comment ``METADATA_BLOCK_PICTURE=<base64 of a
FLAC PICTURE block>`` in the comment header packet, which MediaInfo and mutagen read whole: a
2 MB cover is 2.7 MB of base64 over hundreds of pages. The probe reads the comment packet's
fields itself (vendor, count, each comment's length) and skips a picture comment's value: the
pages it spans are predicted from the first one (writers fill every page of a long packet alike:
mutagen 16 segments of 255 bytes, libogg 255) and the last one is read to check the prediction
(its ``OggS`` and sequence number); a miss walks the page headers instead. The value's bytes are
served as filler under another key (page CRCs are not checked by either reader), and the
cover's place is returned as a :class:`CoverLocation` with ``packing="ogg-picture"``:
:func:`unpack_picture` turns the bytes read there into the image.

Only a single-stream Ogg file (audio) is handled; a multiplexed one (Theora video) is left as is.
Imports only the reader.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from viewra.media.models.items import CoverLocation
from viewra.media.probe.reader import BlockReader, Patch, StandIns

PICTURE_KEY = b"METADATA_BLOCK_PICTURE="
FILLER_KEY = b"VIEWRA_SKIPPED_PICTURE="  # as long as PICTURE_KEY: served in its place
MIN_SKIPPED = 16 * 1024  # a smaller picture comment is read as before (one block anyway)
MAX_COMMENTS = 1024
MAX_PAGES_WALKED = 4096  # when the prediction misses
PACKING = "ogg-picture"
_MAGICS = (b"OpusTags", b"\x03vorbis")


@dataclass(frozen=True)
class _Page:
    start: int
    header: int
    payload: int
    seq: int
    serial: int
    full: bool  # every lacing value 255: the page is filled and its packet goes on
    raw: bytes  # the header as read (with its lacing values)

    def like(self, seq: int) -> bytes:
        """This header with another sequence number (and no CRC: neither reader checks it)."""
        return self.raw[:18] + struct.pack("<I", seq) + bytes(4) + self.raw[26:]

    @property
    def data_start(self) -> int:
        return self.start + self.header

    @property
    def data_end(self) -> int:
        return self.start + self.header + self.payload


def _page(reader: BlockReader, pos: int) -> _Page | None:
    reader.seek(pos)
    head = reader.read(27)
    if len(head) < 27 or head[:4] != b"OggS":
        return None
    seq, serial = struct.unpack("<I", head[18:22])[0], struct.unpack("<I", head[14:18])[0]
    lacing = reader.read(head[26])
    if len(lacing) < head[26]:
        return None
    full = bool(lacing) and all(v == 255 for v in lacing)
    return _Page(pos, 27 + len(lacing), sum(lacing), seq, serial, full, head + lacing)


class _Packet:
    """A cursor over one packet's bytes, page after page of one stream."""

    def __init__(self, reader: BlockReader, page: _Page) -> None:
        self.reader = reader
        self.page = page
        self.at = page.data_start
        self.headers: list[Patch] = []  # page headers predicted, not read: served as stand-ins

    def _next(self) -> bool:
        following = _page(self.reader, self.page.data_end)
        if following is None or following.serial != self.page.serial:
            return False
        self.page, self.at = following, following.data_start
        return True

    def read(self, n: int) -> bytes | None:
        parts: list[bytes] = []
        while n > 0:
            if self.at >= self.page.data_end and not self._next():
                return None
            take = min(n, self.page.data_end - self.at)
            self.reader.seek(self.at)
            parts.append(self.reader.read(take))
            self.at += take
            n -= take
        return b"".join(parts)

    def skip(self, n: int) -> list[tuple[int, int]] | None:
        """The file spans of the next ``n`` bytes, passed without reading them."""
        spans: list[tuple[int, int]] = []
        take = min(n, self.page.data_end - self.at)
        if take:
            spans.append((self.at, self.at + take))
            self.at += take
            n -= take
        if n == 0:
            return spans
        if not self._next():
            return None
        first = self.page
        if first.full and n > first.payload:
            predicted = self._predict(first, n)
            if predicted is not None:
                return spans + predicted
        for _ in range(MAX_PAGES_WALKED):
            take = min(n, self.page.data_end - self.at)
            spans.append((self.at, self.at + take))
            self.at += take
            n -= take
            if n == 0:
                return spans
            if not self._next():
                return None
        return None

    def _predict(self, first: _Page, n: int) -> list[tuple[int, int]] | None:
        """Spans over pages shaped like ``first``, checked at the page where they end.

        The packet's last page may be larger than the others (mutagen merges the remainder into
        it), so the value may end one page earlier than full pages would put it.
        """
        step = first.header + first.payload
        full_pages = (n - 1) // first.payload
        for index in range(full_pages, max(-1, full_pages - 2), -1):
            last = _page(self.reader, first.start + index * step)
            rest = n - index * first.payload
            if (
                last is not None
                and last.serial == first.serial
                and last.seq == first.seq + index
                and 0 < rest <= last.payload
            ):
                break
        else:
            return None
        self.headers += [
            Patch(first.start + i * step, first.like(first.seq + i)) for i in range(1, index)
        ]
        spans = [
            (first.data_start + i * step, first.data_start + i * step + first.payload)
            for i in range(index)
        ]
        spans.append((last.data_start, last.data_start + rest))
        self.page, self.at = last, last.data_start + rest
        return spans


def stand_ins(reader: BlockReader) -> StandIns:
    """Filler for each large picture comment of an Ogg audio file; the first one's place."""
    found = StandIns()
    first = _page(reader, 0)
    second = _page(reader, first.data_end) if first is not None else None
    if first is None or second is None or second.serial != first.serial:
        return found
    packet = _Packet(reader, second)
    magic = packet.read(8)
    if magic is None or not magic.startswith(_MAGICS):
        return found
    if magic.startswith(b"\x03vorbis"):
        packet.at -= 1  # the Vorbis magic is 7 bytes (stays on the same page: 8 were read there)
    vendor = packet.read(4)
    if vendor is None or packet.skip(struct.unpack("<I", vendor)[0]) is None:
        return found
    count = packet.read(4)
    if count is None:
        return found
    for _ in range(min(struct.unpack("<I", count)[0], MAX_COMMENTS)):
        size = packet.read(4)
        if size is None:
            break
        length = struct.unpack("<I", size)[0]
        if length < MIN_SKIPPED:
            if packet.skip(length) is None:
                break
            continue
        key_page_end, key_at = packet.page.data_end, packet.at
        key = packet.read(len(PICTURE_KEY))
        if key is None:
            break
        value = packet.skip(length - len(key))
        if value is None:
            break
        if key.upper() != PICTURE_KEY:
            continue
        found.patches.extend(_filler(key_at, key_page_end, value))
        found.patches.extend(packet.headers)
        packet.headers = []
        if found.cover is None and value:
            found.cover = CoverLocation(
                offset=value[0][0],
                length=value[-1][1] - value[0][0],
                packing=PACKING,
                first_run=value[0][1] - value[0][0],
            )
    return found


def _filler(key_at: int, key_page_end: int, value: list[tuple[int, int]]) -> list[Patch]:
    """The comment's key renamed and its value as ``A``s, span by span (headers untouched)."""
    # a key cut by a page boundary is left as it is: the value alone is filled
    fits = key_at + len(FILLER_KEY) <= key_page_end
    patches = [Patch(key_at, FILLER_KEY)] if fits else []
    return [*patches, *(Patch(start, b"A" * (end - start)) for start, end in value)]


def unpack_picture(data: bytes, first_run: int) -> tuple[bytes, str | None] | None:
    """The image and its MIME type from a picture comment's value as stored in the file: base64
    text with page headers between its runs (``first_run`` bytes before the first header)."""
    runs, pos = [data[:first_run]], first_run
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS" or pos + 27 > len(data):
            return None
        segments = data[pos + 26]
        payload = sum(data[pos + 27 : pos + 27 + segments])
        start = pos + 27 + segments
        runs.append(data[start : start + payload])
        pos = start + payload
    try:
        block = base64.b64decode(b"".join(runs), validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        return _picture_block(block)
    except struct.error:  # a field that says more than the block holds
        return None


def _picture_block(block: bytes) -> tuple[bytes, str | None] | None:
    if len(block) < 32:
        return None
    mime_length = struct.unpack(">I", block[4:8])[0]
    mime = block[8 : 8 + mime_length].decode("ascii", "replace") or None
    at = 8 + mime_length
    description_length = struct.unpack(">I", block[at : at + 4])[0]
    at += 4 + description_length + 16
    if at + 4 > len(block):
        return None
    image_length = struct.unpack(">I", block[at : at + 4])[0]
    image = block[at + 4 : at + 4 + image_length]
    return (image, mime) if len(image) == image_length and image else None

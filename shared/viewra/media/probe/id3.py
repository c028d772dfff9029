"""ID3v2 cover pictures (MP3 ``APIC``): located from the frame headers, never read by the probe.

An ID3v2 tag sits before the first MP3 frame and MediaInfo and mutagen read it whole, cover
included. The probe walks the frame headers itself (10 bytes each), gives every ``APIC`` frame an
unknown frame ID (``XPIC``: readers skip unknown frames; the ``X`` prefix is the spec's
experimental space) with a zeroed body served by the reader, and returns where the front cover's
(or the first picture's) image bytes are, so the scan fetches them alone, once.

Left as they are (read inline, as before): ID3v2.2 (3-letter frames), a tag with
unsynchronisation, and a frame compressed or encrypted, where the image bytes are not stored as is.
Imports only the reader.
"""

from __future__ import annotations

from viewra.media.models.items import CoverLocation
from viewra.media.probe.reader import BlockReader, Patch, StandIns

HIDDEN_ID = b"XPIC"
FRONT_COVER = 3
MAX_FRAMES = 1024
FIRST_LOOK = 512  # an APIC's encoding, mime, type and description: the image follows them
MAX_PICTURE_HEADER = 64 * 1024
_UNSYNC = 0x80
_EXTENDED = 0x40
_TRANSFORMED = {3: 0xC0, 4: 0x0F}  # frame format flags: compression, encryption (unsync, DLI)


def _synchsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = value << 7 | byte & 0x7F
    return value


def stand_ins(reader: BlockReader, start: int = 0) -> StandIns:
    """Stand-ins for the ``APIC`` frames of an ID3v2.3/2.4 tag at ``start``; the cover's place."""
    found = StandIns()
    reader.seek(start)
    header = reader.read(10)
    if len(header) < 10 or header[:3] != b"ID3" or header[3] not in _TRANSFORMED:
        return found
    version, flags = header[3], header[5]
    if flags & _UNSYNC:
        return found
    end = start + 10 + _synchsafe(header[6:10])
    pos = start + 10
    if flags & _EXTENDED:
        reader.seek(pos)
        size = reader.read(4)
        pos += _synchsafe(size) if version == 4 else int.from_bytes(size, "big") + 4
    best: tuple[int, CoverLocation] | None = None
    for _ in range(MAX_FRAMES):
        if pos + 10 > min(end, reader.size):
            break
        reader.seek(pos)
        frame = reader.read(10)
        frame_id = frame[:4]
        if not frame_id.strip(b"\0") or not frame_id.isalnum():
            break  # padding, or not a frame
        size = _synchsafe(frame[4:8]) if version == 4 else int.from_bytes(frame[4:8], "big")
        body = pos + 10
        if body + size > end:
            break
        if frame_id == b"APIC" and not frame[9] & _TRANSFORMED[version]:
            located = _picture(reader, body, size)
            if located is not None:
                found.patches.append(Patch(pos, HIDDEN_ID + frame[4:8] + b"\0\0" + bytes(size)))
                rank = 0 if located[0] == FRONT_COVER else 1
                if best is None or rank < best[0]:
                    best = (rank, located[1])
        pos = body + size
    found.cover = best[1] if best else None
    return found


def _picture(reader: BlockReader, body: int, size: int) -> tuple[int, CoverLocation] | None:
    """(picture type, where the image is) from an APIC body: encoding, mime, type, description."""
    for span in (FIRST_LOOK, MAX_PICTURE_HEADER):  # a long description needs a second look
        reader.seek(body)
        head = reader.read(min(size, span))
        located = _fields(head, body, size)
        if located is not None or len(head) == size:
            return located
    return None


def _fields(head: bytes, body: int, size: int) -> tuple[int, CoverLocation] | None:
    if len(head) < 4:
        return None
    encoding = head[0]
    mime_end = head.find(b"\0", 1)
    if mime_end < 0 or mime_end + 2 > len(head):
        return None
    mime = head[1:mime_end].decode("latin-1").strip() or None
    picture_type = head[mime_end + 1]
    at = mime_end + 2
    if encoding in (1, 2):  # UTF-16: the description ends with two zero bytes, on a code unit
        while at + 1 < len(head) and head[at : at + 2] != b"\0\0":
            at += 2
        at += 2
    else:
        at = head.find(b"\0", at) + 1
        if at == 0:
            return None
    if at >= len(head):
        return None  # the description goes on past what was read
    if mime is not None and "/" not in mime:  # "JPG", "PNG": an ID3v2.2 habit some taggers keep
        mime = f"image/{mime.lower().replace('jpg', 'jpeg')}"
    return picture_type, CoverLocation(offset=body + at, length=size - at, mime=mime)

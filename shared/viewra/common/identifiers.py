"""The shapes of the ids and names a client sends (a pattern and a length each), in one table:
the API checks path parameters against it, body and query models take its types, and the OpenAPI
document publishes it, so what is checked and what is documented cannot drift. Imports nothing
of Viewra.

Why bounded: an id ends up as a DynamoDB key (2,048 bytes at most for a partition key, 1,024 for
a sort key) or an S3 key; an unbounded one failed deep inside a write (a 500, and a half-written
session) instead of being refused at the door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field


@dataclass(frozen=True)
class Shape:
    """A string parameter's shape. ``pattern`` is anchored and written in the subset that JSON
    Schema (ECMA), Python's ``re`` and pydantic's regex engine read alike."""

    pattern: str
    max_length: int
    description: str

    def matches(self, value: str) -> bool:
        # fullmatch: a ``$`` alone also matches before a trailing newline in Python
        return len(value) <= self.max_length and re.fullmatch(self.pattern, value) is not None

    def schema(self) -> dict[str, Any]:
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": self.max_length,
            "pattern": self.pattern,
            "description": self.description,
        }

    def field(self, **kw: Any) -> Any:
        """A pydantic ``Field`` with this shape (for an ``Annotated`` type)."""
        return Field(min_length=1, max_length=self.max_length, pattern=self.pattern, **kw)


# Ours are hex (items 24, libraries 12, scans 16, sessions 32, API keys 16); any id of letters,
# digits, '-' and '_' is accepted (and is a 404 when nothing has it), never more than 64.
ID = Shape(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    64,
    "an id: letters, digits, '-' and '_', at most 64",
)
# A user's id is its name (viewra.accounts.models.NAME_PATTERN, compared lower-cased).
USER_ID = Shape(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    64,
    "a user's id (its name): letters, digits, '-' and '_', at most 64",
)
HASH = Shape(r"^[0-9a-f]{64}$", 64, "a transcode's content hash: SHA-256 in lower-case hex")
FILE_NAME = Shape(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
    128,
    "a file name (master.m3u8, media.m3u8, video.mp4, a web asset)",
)
TOKEN = Shape(
    r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
    4096,
    "a media token (a signed JWT) from a session or transcode answer",
)
CODEC = Shape(r"^[A-Za-z0-9_.-]{1,32}$", 32, "a codec name as ffprobe spells it (h264, aac)")
CURSOR = Shape(r"^[A-Za-z0-9_=-]{1,1024}$", 1024, "a cursor from a previous page")

# A library's folder in the bucket: segments of any characters but '/', '\\', '%' and control
# characters, none of them '.' or '..'; a '/' at the end or not. '%' is refused outright (a key
# may hold one, a library's folder need not), so nothing changes meaning once percent-decoded.
_CHAR = r"[^/\\%\x00-\x1f\x7f-\x9f]"
_FIRST = r"[^./\\%\x00-\x1f\x7f-\x9f]"
_SEGMENT = rf"(?:{_FIRST}{_CHAR}*|\.{_FIRST}{_CHAR}*|\.\.{_CHAR}+)"
PREFIX = Shape(
    rf"^{_SEGMENT}(?:/{_SEGMENT})*/?$",
    256,  # characters: at most 1,024 bytes in UTF-8, S3's limit for a whole key
    "a folder in the media bucket (movies/, tv/shows/): no '.' or '..' segments, no '%', "
    "'\\' or control characters",
)

# Every path parameter of every route, by name (tests/functional/test_api_limits.py checks that
# each route's parameters are here).
PATH_PARAMETERS: dict[str, Shape] = {
    "item_id": ID,
    "library_id": ID,
    "scan_id": ID,
    "session_id": ID,
    "key_id": ID,
    "user_id": USER_ID,
    "h": HASH,
    "name": FILE_NAME,
    "token": TOKEN,
}

# The types body and query models use for the same values.
ItemId = Annotated[str, ID.field(description=ID.description)]
LibraryId = Annotated[str, ID.field(description=ID.description)]
Codec = Annotated[str, CODEC.field(description=CODEC.description)]
Cursor = Annotated[str, CURSOR.field(description=CURSOR.description)]

# Free text a client sends (a search, a genre): bounded, any characters.
TEXT_MAX = 200


def bad_path_parameters(params: dict[str, str] | None) -> list[str]:
    """The names of the path parameters that do not have their shape (unknown names too)."""
    bad = []
    for name, value in (params or {}).items():
        shape = PATH_PARAMETERS.get(name)
        if shape is None or not isinstance(value, str) or not shape.matches(value):
            bad.append(name)
    return sorted(bad)

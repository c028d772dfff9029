"""Validation of object keys and library prefixes.

A key or prefix comes from a person (an API call) or from the store (an event). Either way it must
not climb out of where it belongs: no ``..`` segment, no leading ``/``, no backslash, NUL or control
character, and nothing that only turns into one of those after percent-decoding.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from viewra.common.errors import InvalidKey
from viewra.common.identifiers import PREFIX

MAX_KEY_BYTES = 1024


def _check_plain(value: str, what: str) -> None:
    if not value:
        raise InvalidKey(f"{what} is empty")
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"{what} is longer than {MAX_KEY_BYTES} bytes")
    if value.startswith("/"):
        raise InvalidKey(f"{what} must not start with '/'")
    if "\\" in value:
        raise InvalidKey(f"{what} must not contain a backslash")
    for ch in value:
        if ch == "\x00":
            raise InvalidKey(f"{what} must not contain NUL")
        if unicodedata.category(ch) == "Cc":
            raise InvalidKey(f"{what} must not contain control characters")
    if any(part in {"..", "."} for part in value.split("/")):
        raise InvalidKey(f"{what} must not contain '.' or '..' segments")


def validate_key(value: str, what: str = "key") -> str:
    """Return ``value`` if it is a safe relative key, checked as given and once percent-decoded."""
    _check_plain(value, what)
    decoded = unquote(value)
    if decoded != value:
        _check_plain(decoded, what)
    return value


def validate_prefix(value: str) -> str:
    """A library prefix: a safe key that names a folder, normalised to end with ``/``."""
    validate_key(value, "prefix")
    if "//" in value:
        raise InvalidKey("prefix must not contain empty segments ('//')")
    if not PREFIX.matches(value):  # what the OpenAPI document says a prefix is
        raise InvalidKey(f"prefix must be {PREFIX.description}")
    return value if value.endswith("/") else value + "/"


def is_under(key: str, prefix: str) -> bool:
    """True when ``key`` lies inside the folder ``prefix`` (which ends with ``/``)."""
    return key.startswith(prefix) and len(key) > len(prefix)

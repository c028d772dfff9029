"""Timestamps as Viewra stores them: UTC, ISO 8601 with milliseconds, sortable as text."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_iso(stamp: str) -> datetime:
    """A :func:`now_iso` stamp back as an aware UTC datetime."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

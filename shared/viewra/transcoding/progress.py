"""Parsing ``ffmpeg -progress pipe:1``: blocks of ``key=value`` lines, each ending with
``progress=continue`` (or ``progress=end``), about twice a second.

Example block::

    frame=250
    fps=24.89
    out_time_us=10007800
    speed=0.996x
    progress=continue
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    out_time: float  # seconds of output written
    frame: int | None = None
    fps: float | None = None
    speed: float | None = None  # multiple of real time
    percent: float | None = None  # None when the duration is unknown
    eta_seconds: float | None = None
    done: bool = False


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip().rstrip("x")
    if not value or value.upper() == "N/A":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _out_time(fields: dict[str, str]) -> float | None:
    # out_time_ms is microseconds too (an old ffmpeg misnomer); prefer out_time_us.
    for key in ("out_time_us", "out_time_ms"):
        us = _float(fields.get(key))
        if us is not None:
            return max(us, 0.0) / 1_000_000
    text = fields.get("out_time")
    if text and text.count(":") == 2 and not text.startswith("-"):
        h, m, s = text.split(":")
        try:
            return int(h) * 3600 + int(m) * 60 + float(s)
        except ValueError:
            return None
    return None


def progress_from_block(fields: dict[str, str], duration: float | None) -> Progress:
    out_time = _out_time(fields) or 0.0
    speed = _float(fields.get("speed"))
    frame = _float(fields.get("frame"))
    done = fields.get("progress") == "end"
    percent = eta = None
    if duration and duration > 0:
        percent = 100.0 if done else min(round(out_time / duration * 100, 1), 99.9)
        if done:
            eta = 0.0
        elif speed and speed > 0:
            eta = round(max(duration - out_time, 0.0) / speed, 1)
    return Progress(
        out_time=round(out_time, 3),
        frame=None if frame is None else int(frame),
        fps=_float(fields.get("fps")),
        speed=speed,
        percent=percent,
        eta_seconds=eta,
        done=done,
    )


class ProgressParser:
    """Feed it lines; it yields a :class:`Progress` at the end of each block."""

    def __init__(self, duration: float | None = None) -> None:
        self.duration = duration
        self._fields: dict[str, str] = {}

    def feed(self, line: str) -> Progress | None:
        line = line.strip()
        if not line or "=" not in line:
            return None
        key, _, value = line.partition("=")
        self._fields[key.strip()] = value.strip()
        if key.strip() != "progress":
            return None
        fields, self._fields = self._fields, {}
        return progress_from_block(fields, self.duration)

    def parse(self, lines: Iterable[str]) -> Iterator[Progress]:
        for line in lines:
            found = self.feed(line)
            if found is not None:
                yield found


class Throttle:
    """True at most once per ``interval`` seconds (the first call is always True)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval, self._clock = interval, clock
        self._last: float | None = None

    def ready(self) -> bool:
        now = self._clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            return True
        return False

    def reset(self) -> None:
        """Start the interval over now (something equivalent to the throttled action ran)."""
        self._last = self._clock()

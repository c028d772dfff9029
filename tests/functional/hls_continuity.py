"""Checks of an assembled HLS output with the real ffprobe and ffmpeg: packet timestamps across
every segment boundary, the length against the source's, and a play-through with no error.
Shared by the fan-out tests and ``bench/fanout.py``."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path


def packets(target: Path | str, stream: str) -> list[tuple[float, float]]:
    """(pts, duration) of every packet of the first ``stream`` (``v`` or ``a``), in pts order."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", f"{stream}:0", "-show_entries",
         "packet=pts_time,duration_time", "-of", "json", str(target)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = json.loads(out).get("packets") or []
    return sorted(
        (float(p["pts_time"]), float(p.get("duration_time") or 0))
        for p in rows
        if p.get("pts_time") not in (None, "N/A")
    )


@dataclass(frozen=True)
class Continuity:
    count: int
    first: float
    end: float  # last pts + its duration
    worst_gap: float  # largest step beyond one packet's duration (s)
    worst_overlap: float  # largest step short of it (s)

    @property
    def duration(self) -> float:
        return self.end - self.first


def continuity(rows: list[tuple[float, float]]) -> Continuity:
    """How far consecutive packets stray from the stream's usual step (its median): a gap at a
    boundary is a longer step, an overlap (or a doubled packet) a shorter one. MPEG-TS leaves
    some packets without a duration, so the step is measured between timestamps."""
    steps = [b[0] - a[0] for a, b in itertools.pairwise(rows)]
    usual = statistics.median(steps) if steps else 0.0
    gap = max((s - usual for s in steps), default=0.0)
    overlap = max((usual - s for s in steps), default=0.0)
    return Continuity(len(rows), rows[0][0], rows[-1][0] + usual, max(gap, 0), max(overlap, 0))


def play_errors(master: Path | str) -> str:
    """What ``ffmpeg -i master -f null -`` says at level error (empty: played through)."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(master), "-map", "0", "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    return done.stderr.strip() + ("" if done.returncode == 0 else f" (exit {done.returncode})")

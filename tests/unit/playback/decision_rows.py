"""Reading and checking the decision tables (tests/data/decisions/*.yaml).

One definition of what a row means, shared by the loader test (one pytest case per row) and
``bench/decide.py`` (which reports the table's size and pass count beside its timings).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from playback_shorthand import build_item

from viewra.playback.decision import (
    DeviceProfile,
    NoCompatibleStreamError,
    PlaybackOptions,
    decide,
    get_profile,
    parse_profile,
)

TABLES = Path(__file__).resolve().parents[2] / "data" / "decisions"
DECISION_FIELDS = frozenset(
    {
        "container",
        "video_stream_index",
        "audio_stream_index",
        "subtitle_stream_index",
        "subtitle_delivery",
        "subtitle_format",
        "media_type",
        "start_position",
    }
)


@dataclass(frozen=True)
class Row:
    """One table row and the profiles its file defines."""

    id: str
    row: dict[str, Any]
    local: dict[str, DeviceProfile]


def load_rows(folder: Path = TABLES) -> Iterator[Row]:
    """Every row of every table, in file order; ids are ``file:name``."""
    for path in sorted(folder.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        local = {name: parse_profile(p) for name, p in (doc.get("profiles") or {}).items()}
        for n, row in enumerate(doc["rows"]):
            yield Row(f"{path.stem}:{row.get('name') or f'row{n}'}", row, local)


def profile_for(ref: Any, local: dict[str, DeviceProfile]) -> DeviceProfile:
    """A row's profile: inline JSON, a name from its file's ``profiles:``, or a built-in."""
    if isinstance(ref, dict):
        return parse_profile(ref)
    return local[ref] if ref in local else get_profile(ref)


def _check_fields(actual: Any, expected: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        got = getattr(actual, key)
        if isinstance(got, tuple):
            got = list(got)
        if hasattr(got, "value"):
            got = got.value
        assert got == want, f"{where}.{key}: expected {want!r}, got {got!r}"


def check_row(row: dict[str, Any], local: dict[str, DeviceProfile]) -> None:
    """Decide the row's item and assert what the row expects (AssertionError otherwise)."""
    item = build_item(row["item"])
    profile = profile_for(row["profile"], local)
    options = PlaybackOptions(**(row.get("options") or {}))
    if "error" in row:
        assert row["error"] == "NoCompatibleStream"
        try:
            decide(item, profile, options)
        except NoCompatibleStreamError as exc:
            if "reasons" in row:
                assert {r.value for r in exc.reasons} == set(row["reasons"])
            return
        raise AssertionError("expected NoCompatibleStreamError")
    decision = decide(item, profile, options)
    shown = decision.model_dump_json(exclude_defaults=True)
    assert decision.method.value == row["method"], shown
    assert {r.value for r in decision.reasons} == set(row.get("reasons") or []), shown
    expect = dict(row.get("expect") or {})
    target = expect.pop("target", None)
    unknown = set(expect) - DECISION_FIELDS
    assert not unknown, f"row names unknown decision fields {unknown}"
    _check_fields(decision, expect, "decision")
    if target is not None:
        assert decision.target is not None, "expected a target"
        _check_fields(decision.target, target, "target")


def table_summary(folder: Path = TABLES) -> dict[str, Any]:
    """Rows, passes and the failing ids, per file and in all (for the bench's report)."""
    per_file: dict[str, list[int]] = {}
    failing: list[str] = []
    for r in load_rows(folder):
        counts = per_file.setdefault(r.id.split(":", 1)[0], [0, 0])
        counts[0] += 1
        try:
            check_row(r.row, r.local)
        except Exception:  # a crash counts as a failed row too
            failing.append(r.id)
        else:
            counts[1] += 1
    rows = sum(c[0] for c in per_file.values())
    passed = sum(c[1] for c in per_file.values())
    return {"rows": rows, "passed": passed, "files": per_file, "failing": failing}

"""The decision tables: every row of tests/data/decisions/*.yaml, judged by one loader test.

A row gives an item in shorthand, a profile (a built-in name, a name from the file's own
``profiles:`` block, or an inline Jellyfin profile), options, and what must come out: the
method, the exact reason set, and optionally streams, subtitle delivery and target fields. A row
may instead expect ``error: NoCompatibleStream``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from playback_shorthand import build_item

from viewra.playback import (
    Decision,
    DeviceProfile,
    NoCompatibleStreamError,
    PlaybackOptions,
    SubtitleDeliveryMethod,
    TranscodeReason,
    decide,
    get_profile,
    parse_profile,
)

TABLES = Path(__file__).resolve().parents[2] / "data" / "decisions"
# Jellyfin defines this flag but its StreamBuilder never sets it: an unknown video codec is an
# unsupported one (VideoCodecNotSupported). The engine follows, so no row can expect it.
NEVER_REPORTED = {TranscodeReason.UNKNOWN_VIDEO_STREAM_INFO.value}
_DECISION_FIELDS = {
    "container",
    "video_stream_index",
    "audio_stream_index",
    "subtitle_stream_index",
    "subtitle_delivery",
    "subtitle_format",
    "media_type",
    "start_position",
}


def _load_rows() -> list[Any]:
    rows = []
    for path in sorted(TABLES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        local = {name: parse_profile(p) for name, p in (doc.get("profiles") or {}).items()}
        for n, row in enumerate(doc["rows"]):
            name = row.get("name") or f"row{n}"
            rows.append(pytest.param(row, local, id=f"{path.stem}:{name}"))
    return rows


ROWS = _load_rows()


def _profile(ref: Any, local: dict[str, DeviceProfile]) -> DeviceProfile:
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


@pytest.mark.parametrize(("row", "local"), ROWS)
def test_decision_table_row(row: dict[str, Any], local: dict[str, DeviceProfile]) -> None:
    # Given
    item = build_item(row["item"])
    profile = _profile(row["profile"], local)
    options = PlaybackOptions(**(row.get("options") or {}))
    # When / Then
    if "error" in row:
        assert row["error"] == "NoCompatibleStream"
        with pytest.raises(NoCompatibleStreamError) as exc:
            decide(item, profile, options)
        if "reasons" in row:
            assert {r.value for r in exc.value.reasons} == set(row["reasons"])
        return
    decision = decide(item, profile, options)
    assert decision.method.value == row["method"], decision.model_dump_json(exclude_defaults=True)
    assert {r.value for r in decision.reasons} == set(row.get("reasons") or []), (
        decision.model_dump_json(exclude_defaults=True)
    )
    expect = dict(row.get("expect") or {})
    target = expect.pop("target", None)
    unknown = set(expect) - _DECISION_FIELDS
    assert not unknown, f"row names unknown decision fields {unknown}"
    _check_fields(decision, expect, "decision")
    if target is not None:
        assert decision.target is not None, "expected a target"
        _check_fields(decision.target, target, "target")


def _expected_decisions() -> list[dict[str, Any]]:
    return [p.values[0] for p in ROWS]


def test_tables_cover_every_reason_and_delivery() -> None:
    """The tables are the behaviour spec: each reason and delivery method shows up somewhere."""
    rows = _expected_decisions()
    reasons = {r for row in rows for r in row.get("reasons") or []}
    deliveries = {(row.get("expect") or {}).get("subtitle_delivery") for row in rows}
    methods = {row.get("method") for row in rows}
    assert {r.value for r in TranscodeReason} - NEVER_REPORTED <= reasons
    assert {m.value for m in SubtitleDeliveryMethod} <= deliveries
    assert {"DirectPlay", "DirectStream", "Transcode"} <= methods
    assert len(rows) >= 150


def test_decisions_round_trip_through_json() -> None:
    """What the API sends is what it would read back."""
    row, local = ROWS[0].values
    decision = decide(build_item(row["item"]), _profile(row["profile"], local))
    assert Decision.model_validate_json(decision.model_dump_json()) == decision

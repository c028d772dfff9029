"""The decision tables: every row of tests/data/decisions/*.yaml, judged by one loader test.

A row gives an item in shorthand, a profile (a built-in name, a name from the file's own
``profiles:`` block, or an inline Jellyfin profile), options, and what must come out: the
method, the exact reason set, and optionally streams, subtitle delivery and target fields. A row
may instead expect ``error: NoCompatibleStream``.
"""

from __future__ import annotations

from typing import Any

import pytest
from decision_rows import check_row, load_rows, profile_for
from playback_shorthand import build_item

from viewra.playback.decision import Decision, SubtitleDeliveryMethod, TranscodeReason, decide

# Jellyfin defines this flag but its StreamBuilder never sets it: an unknown video codec is an
# unsupported one (VideoCodecNotSupported). The engine follows, so no row can expect it.
NEVER_REPORTED = {
    TranscodeReason.UNKNOWN_VIDEO_STREAM_INFO.value,
    TranscodeReason.OPTIMIZED_VERSION.value,  # the playback service's, not the engine's
}
ROWS = [pytest.param(r.row, r.local, id=r.id) for r in load_rows()]


@pytest.mark.parametrize(("row", "local"), ROWS)
def test_decision_table_row(row: dict[str, Any], local: dict[str, Any]) -> None:
    # Given the row's item, profile and options; When decided; Then what the row expects
    check_row(row, local)


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
    decision = decide(build_item(row["item"]), profile_for(row["profile"], local))
    assert Decision.model_validate_json(decision.model_dump_json()) == decision

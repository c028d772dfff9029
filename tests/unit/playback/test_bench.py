"""The decision bench measures every typical item and prints its table. How fast decide() is
(p50 well under 1 ms) is what ``bench/decide.py`` prints, not a timed test: a busy CI machine
would fail it for the machine's sake."""

from __future__ import annotations

from viewra.playback.decision.bench import TYPICAL_ITEMS, main, measure


def test_every_typical_item_is_measured_on_every_profile() -> None:
    results = measure(iterations=20)

    assert set(item for _, item in results) == set(TYPICAL_ITEMS)
    assert len({profile for profile, _ in results}) > 1
    assert all(0 < p50 <= p95 for p50, p95 in results.values())


def test_bench_entry_point_prints_a_table(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["5"]) == 0
    out = capsys.readouterr().out
    assert "chrome" in out and "median of p50s" in out

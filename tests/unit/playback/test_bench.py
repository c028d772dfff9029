"""decide() is cheap enough to run per request: p50 well under the 1 ms target."""

from __future__ import annotations

from viewra.playback.decision.bench import TYPICAL_ITEMS, main, measure


def test_typical_decisions_take_under_a_millisecond() -> None:
    results = measure(iterations=200)

    assert set(item for _, item in results) == set(TYPICAL_ITEMS)
    slow = {key: p50 for key, (p50, _) in results.items() if p50 > 1000}
    assert not slow, f"p50 above 1 ms: {slow}"


def test_bench_entry_point_prints_a_table(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["5"]) == 0
    out = capsys.readouterr().out
    assert "chrome" in out and "median of p50s" in out

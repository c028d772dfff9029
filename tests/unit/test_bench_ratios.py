"""The transcode bench's ratio figures: the goal's ratio of medians and its bootstrap interval."""

from __future__ import annotations

import statistics

import pytest

from bench.stats import ratio_interval, ratios


def _run(wall: float, first: float | None) -> dict[str, float | None]:
    return {"wall_s": wall, "first_segment_s": first}


def test_a_constant_ratio_has_no_spread() -> None:
    pairs = [(1.1 * b, b) for b in (4.0, 5.0, 6.0, 5.5, 4.5)]

    low, high = ratio_interval(pairs)

    assert low == pytest.approx(1.1)
    assert high == pytest.approx(1.1)


def test_the_interval_brackets_the_ratio_of_medians_and_widens_with_noise() -> None:
    quiet = [(5.0 + d, 5.0) for d in (-0.05, 0.0, 0.05, 0.1, -0.1, 0.02, -0.02, 0.0)]
    noisy = [(5.0 + 10 * d, 5.0) for d in (-0.05, 0.0, 0.05, 0.1, -0.1, 0.02, -0.02, 0.0)]

    q_low, q_high = ratio_interval(quiet)
    n_low, n_high = ratio_interval(noisy)

    assert q_low <= 1.0 <= q_high
    assert n_low <= 1.0 <= n_high
    assert n_high - n_low > 5 * (q_high - q_low)


def test_the_interval_is_the_same_for_the_same_runs() -> None:
    pairs = [(5.0 + d / 10, 5.0 - d / 20) for d in range(-6, 6)]

    assert ratio_interval(pairs) == ratio_interval(pairs)


def test_ratios_skip_pairs_without_a_first_segment() -> None:
    a = [_run(6.0, 2.2), _run(6.2, None), _run(5.8, 2.0)]
    b = [_run(5.0, 2.0), _run(5.0, 2.0), _run(5.0, 2.0)]

    r = ratios(a, b)

    assert r["wall_ratio"] == pytest.approx(6.0 / 5.0)
    assert r["wall_ratio_per_pair"] == pytest.approx([1.2, 1.24, 1.16])
    assert r["first_ratio_per_pair"] == pytest.approx([1.1, 1.0])
    assert r["first_ratio"] == pytest.approx(2.1 / 2.0)


def test_pooling_reads_the_pairs_each_run_printed() -> None:
    from bench.pool import pool

    run = (
        "| 1. wall time, request → ready / ffmpeg start → exit (n=3) | 5 s | 5 s | **1.02** ✓ "
        "(95 % interval 0.9 to 1.1; median of pairs 1.020; pairs: {w}) | ≤ 1.05 |\n"
        "| 2. first playable segment (n=3) | 2 s | 2 s | **1.0** ✓ (median of pairs 1.0; "
        "pairs: {f}) | ≤ 1.1 |\n"
    )
    texts = [
        run.format(w="1.000, 1.100, 1.050", f="0.900, 1.000, 1.100"),
        run.format(w="1.020, 1.030", f="1.000, 1.010"),
        "no table here",
    ]

    pooled = pool(texts)

    assert pooled["wall time"]["pairs"] == 5
    assert pooled["wall time"]["median"] == pytest.approx(1.03)
    assert pooled["first playable segment"]["median"] == pytest.approx(1.0)
    assert pooled["wall time"]["low"] <= 1.03 <= pooled["wall time"]["high"]
    assert pooled["wall time"]["runs"] == 2  # the file without a table is no run
    assert pooled["wall time"]["runs_low"] <= 1.03 <= pooled["wall time"]["runs_high"]


def test_resampling_the_runs_too_widens_the_interval_when_runs_disagree() -> None:
    from bench.stats import bootstrap_interval, clustered_interval

    # six runs of ten pairs, each tight around its own level, the levels apart: the pooled pairs
    # look like 60 independent samples, but there are only six levels behind them
    levels = (0.97, 1.01, 1.05, 0.99, 1.07, 1.03)
    runs = [[level + d / 1000 for d in range(-5, 5)] for level in levels]
    pooled = [r for run in runs for r in run]

    low, high = bootstrap_interval(pooled, statistics.mean)
    run_low, run_high = clustered_interval(runs, statistics.mean)

    assert run_low <= statistics.mean(pooled) <= run_high
    assert run_high - run_low > 2 * (high - low)


def test_resampling_the_runs_of_one_level_changes_little() -> None:
    from bench.stats import bootstrap_interval, clustered_interval

    base = [0.95, 1.0, 1.05, 1.1, 0.98, 1.02, 1.07, 0.93]
    runs = [base, list(reversed(base)), base[2:] + base[:2]]
    pooled = [r for run in runs for r in run]

    low, high = bootstrap_interval(pooled, statistics.median)
    run_low, run_high = clustered_interval(runs, statistics.median)

    assert abs((run_high - run_low) - (high - low)) < 0.5 * (high - low)

"""Statistics the benches print beside their goals' figures, with no side effects on import
(``bench._common`` sets up the local stack's environment; these need none, so a unit test can
import them alone)."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

BOOTSTRAP_RESAMPLES = 4000


def bootstrap_interval(
    samples: Sequence[T],
    statistic: Callable[[list[T]], float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of ``statistic`` over ``samples`` (resampled with
    replacement, each resample as large as the sample).

    Why: on this 2-core machine the same work takes a different time from one minute to the
    next (the same ffmpeg command, alone, by about ±12 % in wall and CPU time alike), so a run's
    figure is an estimate. The interval says how far it could be from the figure many more runs
    would give; it is printed beside the goal's figure, never instead of it. Seeded, so the same
    runs print the same interval."""
    n = len(samples)
    if n < 2:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    values = sorted(
        statistic([samples[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples)
    )
    return values[int(0.025 * resamples)], values[int(0.975 * resamples) - 1]


def clustered_interval(
    groups: Sequence[Sequence[T]],
    statistic: Callable[[list[T]], float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """95 % two-stage bootstrap interval of ``statistic`` over samples that come in groups: the
    groups are resampled with replacement, then each picked group's samples.

    Why: pooled pairs come from several runs, and pairs of one run share its minutes of the
    machine (its speed, the stack's state). Resampling the pairs alone treats them as
    independent, which is right only if runs do not differ beyond their pairs' own noise; this
    interval holds either way, so the pool prints it beside the plain one."""
    kept = [list(g) for g in groups if g]
    if sum(len(g) for g in kept) < 2:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        picked: list[T] = []
        for _ in kept:
            group = kept[rng.randrange(len(kept))]
            picked.extend(group[rng.randrange(len(group))] for _ in group)
        values.append(statistic(picked))
    values.sort()
    return values[int(0.025 * resamples)], values[int(0.975 * resamples) - 1]


def ratios(a_runs: list[dict[str, Any]], b_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Wall and first-segment ratios of ``a`` over ``b``: of the medians (the goals' figure), per
    pair, the median of the pairs, and a 95 % bootstrap interval of the ratio of medians."""
    pairs = list(zip(a_runs, b_runs, strict=False))
    firsts = [(a["first_segment_s"], b["first_segment_s"]) for a, b in pairs
              if a["first_segment_s"] and b["first_segment_s"]]  # fmt: skip
    walls = [(a["wall_s"], b["wall_s"]) for a, b in pairs]
    return {
        "wall_ratio": statistics.median(a for a, _ in walls)
        / statistics.median(b for _, b in walls),
        "wall_ratio_per_pair": [a / b for a, b in walls],
        "wall_ratio_paired": statistics.median(a / b for a, b in walls),
        "wall_ratio_interval": ratio_interval(walls),
        "first_ratio": statistics.median(a for a, _ in firsts)
        / statistics.median(b for _, b in firsts),
        "first_ratio_per_pair": [a / b for a, b in firsts],
        "first_ratio_paired": statistics.median(a / b for a, b in firsts),
        "first_ratio_interval": ratio_interval(firsts),
    }


def ratio_interval(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """95 % bootstrap interval of median(a) / median(b), resampling whole pairs (so a pair's two
    runs, seconds apart, stay together). The bench's A/A run (``--aa``, bare against bare) shows
    why it is printed: 12 pairs of the same command gave ratios from 0.96 to 1.03."""

    def of_medians(picked: list[tuple[float, float]]) -> float:
        return statistics.median(p[0] for p in picked) / statistics.median(p[1] for p in picked)

    return bootstrap_interval(pairs, of_medians)

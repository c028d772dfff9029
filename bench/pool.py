"""Pool the ours/bare pairs of several ``bench/transcode.py`` runs into one estimate.

    .venv/bin/python bench/pool.py run1.txt run2.txt …      # the bench's printed output, saved

One run's ratio is an estimate with about ±4 % of noise on this machine (see ``--aa``), so a
goal near the measured overhead cannot be judged from one run. Pooling the per-pair ratios of
runs at the same code gives a tighter figure: their median, with a 95 % bootstrap interval over
all pairs, and a second interval that resamples the runs as well as their pairs (pairs of one
run share its minutes of the machine, so they may not be independent). Each run's output
carries its pairs on the goal rows (``pairs: 1.101, 0.985, …``); that is what is read here,
so saved output of any run with per-pair ratios can be pooled.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from bench.stats import bootstrap_interval, clustered_interval  # noqa: E402

ROWS = {"wall time": r"^\| 1\. wall time", "first playable segment": r"^\| 2\. first playable"}
PAIRS = re.compile(r"pairs: ([0-9.]+(?:, [0-9.]+)*)\)")


def pairs_of(text: str, row: str) -> list[float]:
    """The per-pair ratios printed on one goal row of a run's output (empty if absent)."""
    for line in text.splitlines():
        if re.match(ROWS[row], line):
            found = PAIRS.search(line)
            return [float(x) for x in found.group(1).split(", ")] if found else []
    return []


def pool(texts: list[str]) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for row in ROWS:
        runs = [found for text in texts if (found := pairs_of(text, row))]
        ratios = [r for run in runs for r in run]
        if not ratios:
            continue
        low, high = bootstrap_interval(ratios, statistics.median)
        run_low, run_high = clustered_interval(runs, statistics.median)
        out[row] = {
            "runs": len(runs),
            "pairs": len(ratios),
            "median": statistics.median(ratios),
            "low": low,
            "high": high,
            "runs_low": run_low,
            "runs_high": run_high,
        }
    return out


def render(pooled: dict[str, dict[str, float | int]], runs: int) -> str:
    lines = [
        f"### Transcode, pooled: per-pair ratios (ours / bare) of {runs} runs",
        "",
        "| metric | pairs | median of the pairs | 95 % interval | the same, runs resampled too |",
        "|---|---:|---:|---:|---:|",
    ]
    for row, p in pooled.items():
        lines.append(
            f"| {row} | {p['pairs']} | **{p['median']:.3f}** | {p['low']:.3f} to {p['high']:.3f} "
            f"| {p['runs_low']:.3f} to {p['runs_high']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="+", type=Path, help="saved output of bench/transcode.py")
    args = parser.parse_args(argv)
    texts = [p.read_text() for p in args.outputs]
    pooled = pool(texts)
    if not pooled:
        print("no per-pair ratios found in those files", file=sys.stderr)
        return 1
    print(render(pooled, len(texts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How many bytes and requests a probe costs, by layout and block size.

    .venv/bin/python bench/probe_bytes.py [--megabytes 50] [--workdir /tmp/viewra-bench]

Generates (once, then reuses) 50 MB test files with the real ffmpeg: a one-minute h264/aac MP4 with
the moov first (faststart) and last, a ten-minute MP4 of the same size (a bigger moov: its size
follows the sample count), and a one-minute h264/aac Matroska file. Each is probed through
FileRangeSource + BlockReader for several block sizes; the table shows what the store would send.
The product goal is ≤ 0.5 % of a 50 MB MP4 in either layout.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.media_factory import big_mkv, big_mp4  # noqa: E402
from viewra.media.probe import BlockReader, FileRangeSource, probe_reader  # noqa: E402

BLOCK_SIZES = (4096, 8192, 16384, 32768, 65536)


def files(workdir: Path, megabytes: float) -> dict[str, tuple[Path, Callable[[Path], Path]]]:
    """Name → (path, recipe) of the benchmark files."""
    mb = megabytes
    return {
        "mp4 faststart 1 min": (
            workdir / f"fast_{mb:g}.mp4",
            lambda p: big_mp4(p, mb, faststart=True),
        ),
        "mp4 moov-at-end 1 min": (
            workdir / f"end_{mb:g}.mp4",
            lambda p: big_mp4(p, mb, faststart=False),
        ),
        "mp4 moov-at-end 10 min": (
            workdir / f"end_long_{mb:g}.mp4",
            lambda p: big_mp4(p, mb, faststart=False, seconds=600),
        ),
        "mkv 1 min": (workdir / f"mkv_{mb:g}.mkv", lambda p: big_mkv(p, mb)),
    }


def ensure(path: Path, recipe: Callable[[Path], Path]) -> Path:
    if not path.exists():
        started = time.monotonic()
        recipe(path)
        print(f"made {path.name} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return path


def measure(path: Path, block_size: int) -> tuple[int, int, float]:
    """(bytes fetched, requests, seconds) of one probe."""
    reader = BlockReader(FileRangeSource(path), block_size=block_size, max_bytes=64 << 20)
    started = time.monotonic()
    probe_reader(reader)
    return reader.bytes_fetched, reader.requests, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/viewra-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    header = f"{'file':<24} {'size MB':>8} {'block':>6} {'fetched':>9} {'% of file':>9} {'req':>4}"
    print(header)
    print("-" * len(header))
    for name, (path, recipe) in files(args.workdir, args.megabytes).items():
        size = ensure(path, recipe).stat().st_size
        for block_size in BLOCK_SIZES:
            fetched, requests, _ = measure(path, block_size)
            print(
                f"{name:<24} {size / 1e6:>8.1f} {block_size // 1024:>5}K {fetched:>9,} "
                f"{fetched / size:>9.3%} {requests:>4}"
            )


if __name__ == "__main__":
    main()

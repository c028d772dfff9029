"""Catalogue reads as a library grows: ``python bench/catalog.py [--sizes 1000,10000,100000]``.

Starts the local stack, makes a library, and grows it to each size by writing items through the
catalogue's own write path (``Catalog.put``: the item, its counts and its search rows), with a
few real files dropped through the pipeline (S3 → scan queue → probe → put) beside them. At
each size it times, over HTTP against the running API: the first page, each sort (both ways),
filters, and searches (a common word, a rare word, an absent word, two words, a 3-letter
prefix); p50/p95 in ms, and what one request read (items, or search rows + items) against what
it returned, from the same query made in-process. Goals (issue 21): first page p95 ≤ 50 ms,
search p95 ≤ 100 ms, read ≤ 2 x returned, and < 2 x growth from the smallest to the largest size.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from _common import launch, percentile, step

from viewra.bootstrap import Services
from viewra.media.models.catalogue import item_id
from viewra.media.models.items import (
    ItemKind,
    MediaItem,
    MediaStream,
    StreamType,
)
from viewra.media.models.listing import ItemQuery

WORDS = [
    f"{a}{b}"
    for a in ("ka", "lo", "mi", "ne", "ru", "sa", "to", "ve")
    for b in (
        "ran",
        "bel",
        "dor",
        "fin",
        "gal",
        "hom",
        "jis",
        "kep",
        "lum",
        "mor",
        "nax",
        "pel",
    )
]  # 96 invented words: no accidental matches with the query words below
COMMON = "horizon"  # in every 10th title
RARE = "quixotic"  # in 5 titles, whatever the size
ABSENT = "zyzzyva"
RUNS = 30

QUERIES: list[tuple[str, str, dict[str, str]]] = [
    ("first page", "page", {}),
    ("sort title desc", "page", {"sort": "title", "order": "desc"}),
    ("sort added", "page", {"sort": "added"}),
    ("sort added desc", "page", {"sort": "added", "order": "desc"}),
    ("sort year", "page", {"sort": "year"}),
    ("sort year desc", "page", {"sort": "year", "order": "desc"}),
    ("library page", "page", {"library": "LIB"}),
    (
        "filter year range (sort year)",
        "filter",
        {"sort": "year", "year_min": "1990", "year_max": "1994"},
    ),
    ("filter type=track", "filter", {"type": "track"}),
    ("filter genre=noir (1 in 20)", "filter", {"genre": "noir"}),
    ("search common word", "search", {"q": COMMON}),
    ("search rare word", "search", {"q": RARE}),
    ("search absent word", "search", {"q": ABSENT}),
    ("search two words", "search", {"q": f"{COMMON} {WORDS[3]}"}),
    ("search 3-letter prefix", "search", {"q": WORDS[7][:3]}),
]


def synthetic(library: str, n: int, rng: random.Random) -> MediaItem:
    words = rng.sample(WORDS, 3)
    if n % 10 == 0:
        words.insert(1, COMMON)
    kind = ItemKind.TRACK if n % 4 == 0 else ItemKind.MOVIE
    key = f"bench/synthetic/{n:06d}.{'flac' if kind is ItemKind.TRACK else 'mkv'}"
    video = (
        []
        if kind is ItemKind.TRACK
        else [MediaStream(index=0, type=StreamType.VIDEO, codec="h264", width=1920, height=1080)]
    )
    return MediaItem(
        id=item_id("bench", key),
        library_id=library,
        bucket="bench",
        key=key,
        etag=f"e{n}",
        kind=kind,
        title=" ".join(words).title(),
        year=1950 + n % 70,
        genres=["noir"] if n % 20 == 0 else ["drama"],
        artist=" ".join(rng.sample(WORDS, 2)).title() if kind is ItemKind.TRACK else None,
        streams=[*video, MediaStream(index=len(video), type=StreamType.AUDIO, codec="aac")],
        added_at=f"2026-01-01T00:00:00.{n:06d}Z",
    )


def grow(services: Services, library: str, start: int, stop: int, rare: set[int]) -> float:
    """Write items ``start``..``stop`` through Catalog.put; seconds taken."""
    rng = random.Random(start)

    def put(n: int) -> None:
        item = synthetic(library, n, rng)
        if n in rare:
            item = item.model_copy(update={"title": f"{item.title} {RARE.title()}"})
        services.catalog.put(item, f"{n:012d}")

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for done, _ in enumerate(pool.map(put, range(start, stop)), 1):
            if done % 5000 == 0:
                step(f"  {start + done} items")
    return time.monotonic() - began


def drop_sample(stack, bucket: str, prefix: str, count: int, workdir: Path) -> int:
    """``count`` tiny real files through the pipeline; how many the API then lists."""
    import boto3

    clip = workdir / "tone.m4a"
    if not clip.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(clip)],
            check=True,
        )
    s3 = boto3.client("s3", endpoint_url=stack.stack.endpoint)
    for n in range(count):
        s3.put_object(
            Bucket=bucket, Key=f"{prefix}sample/{time.time_ns()}-{n}.m4a", Body=clip.read_bytes()
        )
    return count


def measure(api: str, services: Services, library: str, headers: dict[str, str]) -> list[dict]:
    rows = []
    session = requests.Session()
    session.headers.update(headers)
    # one untimed listing first: the API process's first one imports and builds what the route
    # needs and opens its connections, which is not what a page costs
    session.get(f"{api}/items", timeout=60).raise_for_status()
    for label, group, params in QUERIES:
        params = {k: (library if v == "LIB" else v) for k, v in params.items()}
        times = []
        for _ in range(RUNS):
            began = time.perf_counter()
            r = session.get(f"{api}/items", params=params, timeout=60)
            times.append((time.perf_counter() - began) * 1000)
            r.raise_for_status()
        page = services.catalog.query(ItemQuery(**params))
        rows.append(
            {
                "label": label,
                "group": group,
                "p50": percentile(times, 50),
                "p95": percentile(times, 95),
                "returned": len(page.items),
                "read": page.read,
                "cursor": bool(page.cursor),
            }
        )
    return rows


def render(results: dict[int, list[dict]]) -> str:
    sizes = sorted(results)
    head = "| request | " + " | ".join(f"{s:,} p50 / p95 ms | read/returned" for s in sizes)
    out = [head + " | growth p95 |", "|---" * (1 + 2 * len(sizes)) + "|---|"]
    for i, (label, group, _) in enumerate(QUERIES):
        cells = []
        for s in sizes:
            row = results[s][i]
            goal = 50 if group == "page" else 100
            ok = row["p95"] <= goal and row["read"] <= max(2 * row["returned"], 2 * 50 + 1)
            cells.append(f"{row['p50']:.1f} / {row['p95']:.1f} {'✓' if ok else '✗'}")
            more = "+" if row["cursor"] else ""
            cells.append(f"{row['read']}/{row['returned']}{more}")
        first, last = results[sizes[0]][i]["p95"], results[sizes[-1]][i]["p95"]
        growth = last / first if first else float("nan")
        out.append(
            f"| {label} | " + " | ".join(cells) + f" | {growth:.2f}x {'✓' if growth < 2 else '✗'} |"
        )
    out.append("")
    out.append(
        "read/returned: items (search: rows + items) one request read / items it returned; "
        "+ = a cursor follows. Goals: page p95 ≤ 50 ms, search ≤ 100 ms, read ≤ 2 x a page."
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="library sizes, comma-separated")
    parser.add_argument("--sample", type=int, default=5, help="real files through the pipeline")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="viewra-bench-catalog-"))
    stack = launch(workdir)
    try:
        api = stack.stack.api
        if not stack.stack.headers:  # every route but /health needs a caller
            stack.stack.sign_in_admin()
        headers = stack.stack.headers
        services = Services.from_settings(stack.settings())
        r = requests.post(
            f"{api}/libraries",
            json={"name": "bench", "prefix": "bench/"},
            headers=headers,
            timeout=30,
        )
        r.raise_for_status()
        library = r.json()["library"]["id"]
        rng = random.Random(7)
        rare = set(rng.sample(range(sizes[-1]), 5)) | set(rng.sample(range(sizes[0]), 5))
        results: dict[int, list[dict]] = {}
        have = 0
        for size in sizes:
            step(f"growing the library to {size:,} items")
            seconds = grow(services, library, have, size, rare)
            step(f"  {size - have} items in {seconds:.0f} s ({(size - have) / seconds:.0f}/s)")
            have = size
            drop_sample(stack, stack.stack.bucket, "bench/", args.sample, workdir)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                counts = next(
                    lib["counts"]
                    for lib in requests.get(f"{api}/libraries", headers=headers, timeout=30).json()[
                        "libraries"
                    ]
                    if lib["id"] == library
                )
                if counts["total"] >= have + args.sample * (sizes.index(size) + 1):
                    break
                time.sleep(1)
            step(f"  counts: {counts}")
            results[size] = measure(api, services, library, headers)
        print(render(results))
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

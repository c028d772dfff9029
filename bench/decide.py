"""Playback decisions: the pure ``decide`` in-process, and ``POST /items/{id}/playback`` over HTTP.

    .venv/bin/python bench/decide.py               # ~2 min on 2 cores
    .venv/bin/python bench/decide.py --quick       # fewer iterations and requests: < 1 min
    .venv/bin/python bench/decide.py --requests 600 --profile --json

The items are real: small files made with ffmpeg by ``tests/media_factory.py`` (h264/aac MP4 both
moov layouts, an episode name, HEVC + AC3 + SRT Matroska, 10-bit HDR10 HEVC, VP9/Opus WebM, MPEG-2
TS, MP3 and FLAC with covers, an untagged MP3), each probed with the real prober
(``viewra.media.probe.probe(FileRangeSource(path))``) and built into a ``MediaItem`` by
``viewra.media.scan_pipeline.build_item``, as the scan does.

0. The decision table: every row of ``tests/data/decisions/*.yaml`` checked as the loader test
   checks it (``tests/unit/playback/decision_rows.py``); its size and pass count are printed.
1. In-process ``decide(item, profile)`` over every built-in profile x every item, ``--iterations``
   calls per pair, each call timed alone (``perf_counter_ns``); GC left on, as in the API.
   Pairs that raise ``NoCompatibleStreamError`` are timed too (the API answers them with 422).
2. ``POST /items/{id}/playback {"profile": name}`` on the local stack
   (``python -m viewra.local.run --ready-json --no-snapshot`` via ``viewra.local.launch``, stopped
   at the end): the same files are uploaded into a fresh library on a unique prefix and
   catalogued by the stack's scan worker. A warm-up pass asks for every pair once, which queues
   the transcode jobs the decisions call for; the bench waits for the transcode queue to drain
   (those jobs done), so the timed requests measure the request path, not ffmpeg competing for
   the 2 cores. Then ``--requests`` requests (1,000) cycle through the pairs, one at a time, on
   one keep-alive connection. Each creates a session (as any client's would). The p99 is printed
   with a 95 % bootstrap interval. Why 1,000 (it was 300): the p99 of 300 requests is their
   third-slowest, so one busy moment of this shared 2-core machine decides it; of 1,000 it is the
   tenth-slowest. Over the same days the 300-request p99 ranged 29 to 55 ms, the longer runs' (from
   run F on) 33 to 48 ms (docs/benchmarks.md).
   ``--profile`` also times ``viewra.playback.service.start_playback`` in this process against the
   same
   emulator (no HTTP in between) and prints where that time goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

import requests  # noqa: E402

from bench._common import (  # noqa: E402
    RunningStack,
    launch,
    mark,
    percentile,
    step,
    wait_queue_empty,
)
from bench.stats import bootstrap_interval  # noqa: E402

DECIDE_P50_GOAL_MS = 1.0
HTTP_P99_GOAL_MS = 50.0
MEDIA = (
    "mp4_faststart",
    "mp4_moov_end",
    "episode",
    "mkv_hevc",
    "hevc_hdr10",
    "webm",
    "ts",
    "mp3_tagged",
    "flac_tagged",
    "mp3_untagged",
)


# -- the items -----------------------------------------------------------------------------------
def make_media(workdir: Path) -> dict[str, Path]:
    """The generated files, made once into ``workdir`` (kept between runs)."""
    from tests.media_factory import MediaSet

    root = workdir / "decide-media"
    done = root / ".complete"
    names = {}
    if done.exists():
        names = json.loads(done.read_text())
        if all((root / f).exists() for f in names.values()):
            return {k: root / v for k, v in names.items()}
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    media = MediaSet(root)
    paths = {name: media[name] for name in MEDIA}
    done.write_text(json.dumps({k: p.name for k, p in paths.items()}))
    step(f"made {len(paths)} media files in {time.monotonic() - started:.1f} s")
    return paths


def build_items(paths: dict[str, Path]) -> dict[str, Any]:
    """name → MediaItem, probed and built as the scan would (a mixed library)."""
    from viewra.common.timestamps import now_iso
    from viewra.media.models.catalogue import Library, LibraryKind, item_id
    from viewra.media.probe import FileRangeSource, probe
    from viewra.media.scan_pipeline import ObjectRef, build_item

    now = now_iso()
    library = Library(
        id="bench", name="bench", prefix="bench/", kind=LibraryKind.MIXED,
        created_at=now, updated_at=now,
    )  # fmt: skip
    items = {}
    for name, path in paths.items():
        key = f"{library.prefix}{path.name}"
        result = probe(FileRangeSource(path))
        ref = ObjectRef("bench", key, now)
        items[name] = build_item(
            item_id("bench", key), library, ref, "etag", path.stat().st_size, path.name,
            result, now, now,
        )  # fmt: skip
    return items


# -- 1. in-process -------------------------------------------------------------------------------
def measure_inprocess(items: dict[str, Any], iterations: int) -> dict[str, Any]:
    from viewra.playback.decision import NoCompatibleStreamError, decide, load_builtin_profiles

    profiles = load_builtin_profiles()
    clock = time.perf_counter_ns
    samples: list[float] = []
    per_pair: dict[tuple[str, str], list[float]] = {}
    outcomes: dict[tuple[str, str], str] = {}
    for pname, profile in profiles.items():
        for iname, item in items.items():
            try:
                outcomes[(pname, iname)] = decide(item, profile).method.value  # warm-up
            except NoCompatibleStreamError:
                outcomes[(pname, iname)] = "no compatible stream"
            times = []
            for _ in range(iterations):
                start = clock()
                try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
                    decide(item, profile)
                except NoCompatibleStreamError:
                    pass
                times.append((clock() - start) / 1e6)
            per_pair[(pname, iname)] = times
            samples += times
    slowest = sorted(per_pair.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    return {
        "profiles": len(profiles),
        "items": len(items),
        "iterations_per_pair": iterations,
        "calls": len(samples),
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples),
        "slowest_pairs": [
            {"profile": p, "item": i, "p50_ms": statistics.median(t), "p99_ms": percentile(t, 99)}
            for (p, i), t in slowest
        ],
        "outcomes": dict(Counter(outcomes.values())),
    }


# -- 2. over HTTP ----------------------------------------------------------------------------------
def upload_and_catalogue(running: RunningStack, paths: dict[str, Path]) -> dict[str, dict]:
    stack = running.stack
    library = stack.library("mixed")
    s3 = stack.client("s3")
    keys = {}
    for name, path in paths.items():
        key = f"{library['prefix']}{path.name}"
        s3.upload_file(str(path), stack.bucket, key)
        keys[name] = key
    items = {}
    for name, key in keys.items():
        items[name] = stack.item_at(library["id"], key, timeout=120)
        if items[name]["status"] != "ready":
            step(f"item {name} is {items[name]['status']}: left out")
            items.pop(name)
    return items


def measure_http(
    running: RunningStack, items: dict[str, dict], requests_n: int, results: dict[str, Any]
) -> None:
    from viewra.playback.decision import load_builtin_profiles
    from viewra.storage.clients import client

    profiles = sorted(load_builtin_profiles())
    pairs = [(p, name) for p in profiles for name in items]
    http = requests.Session()
    http.headers.update(running.stack.headers)  # the administrator start_stack signed in
    api = running.stack.api

    def ask(profile: str, name: str) -> tuple[float, requests.Response]:
        t0 = time.perf_counter()
        r = http.post(
            f"{api}/items/{items[name]['id']}/playback", json={"profile": profile}, timeout=60
        )
        return time.perf_counter() - t0, r

    step(f"warm-up: {len(pairs)} profile x item pairs once")
    warm = [ask(p, n) for p, n in pairs]
    settings = running.settings()
    sqs = client(settings, "sqs")
    queue = sqs.get_queue_url(QueueName=settings.transcode_queue)["QueueUrl"]
    step("waiting for the transcode jobs the warm-up queued")
    drained = wait_queue_empty(sqs, queue, timeout=600)
    for p, n in pairs[:10]:  # a few more, now that the stack is idle
        ask(p, n)

    step(f"timing {requests_n} requests")
    latencies: list[float] = []
    by_method: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[int] = Counter()
    cpu_before = running.cpu()
    t_start = time.monotonic()
    for i in range(requests_n):
        profile, name = pairs[i % len(pairs)]
        seconds, r = ask(profile, name)
        latencies.append(seconds * 1000)
        statuses[r.status_code] += 1
        method = r.json().get("method") if r.status_code in (200, 201) else f"HTTP {r.status_code}"
        by_method[str(method)].append(seconds * 1000)
    window = time.monotonic() - t_start
    cpu = {k: v - cpu_before[k] for k, v in running.cpu().items()}
    results["http"] = {
        "requests": requests_n,
        "pairs": len(pairs),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "p99_interval_ms": bootstrap_interval(latencies, lambda picked: percentile(picked, 99)),
        # what a run of the old default (300) would have said, from the same run: its first 300
        "p99_first_300_ms": percentile(latencies[:300], 99) if requests_n > 300 else None,
        "max_ms": max(latencies),
        "statuses": dict(statuses),
        "by_method": {
            m: {"n": len(v), "p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99)}
            for m, v in sorted(by_method.items())
        },
        "warmup_p50_ms": percentile([s * 1000 for s, _ in warm], 50),
        "transcode_queue_drain_s": drained,
        "window_s": window,
        "cpu_s": cpu,
    }


def profile_inprocess(
    running: RunningStack, items: dict[str, dict], n: int, results: dict[str, Any]
) -> None:
    """``start_playback`` in this process against the stack's emulator: no HTTP, same stores."""
    from viewra.bootstrap import Services
    from viewra.playback.decision import load_builtin_profiles
    from viewra.playback.models.sessions import PlaybackRequest
    from viewra.playback.service import start_playback

    services = Services.from_settings(running.settings())
    pairs = [(p, name) for p in sorted(load_builtin_profiles()) for name in items]

    def call(i: int) -> None:
        profile, name = pairs[i % len(pairs)]
        try:
            start_playback(
                services, items[name]["id"], "bench", PlaybackRequest(profile=profile),
                "http://bench",
            )  # fmt: skip
        except Exception as exc:  # the 422s of the API
            if type(exc).__name__ != "Unprocessable":
                raise

    for i in range(len(pairs)):
        call(i)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - t0) * 1000)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        call(i)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(r"viewra/(playing|storage|playback/decide|sessions"
                                               r"|history|transcod|events)", 14)  # fmt: skip
    slow = buf.getvalue()
    calls = _store_calls(prof, n)
    results["inprocess_start_playback"] = {
        "calls": n,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "store_calls_per_request": calls,
        "cprofile": slow,
    }


def _store_calls(prof: cProfile.Profile, n: int) -> dict[str, float]:
    """botocore API calls per request, by operation, and their mean time each."""
    stats = pstats.Stats(prof)
    out: dict[str, float] = {}
    for (filename, _, func), (_, ncalls, _, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.endswith("botocore/client.py") and func == "_make_api_call":
            out["api calls per request"] = ncalls / n
            out["ms per api call (mean)"] = cumtime / ncalls * 1000 if ncalls else 0.0
            out["ms in api calls per request"] = cumtime / n * 1000
        if filename.endswith("playback/decide.py") and func == "decide":
            out["ms in decide per request"] = cumtime / n * 1000
    return out


# -- the run ---------------------------------------------------------------------------------------
def decision_table() -> dict[str, Any]:
    """Every row of tests/data/decisions/*.yaml checked as the loader test checks it."""
    sys.path.insert(0, str(ROOT / "tests" / "unit" / "playback"))
    from decision_rows import table_summary

    return table_summary()


def run(args: argparse.Namespace) -> dict[str, Any]:
    paths = make_media(args.workdir)
    results: dict[str, Any] = {}
    step("checking the decision table")
    results["table"] = decision_table()
    step("probing and building the items")
    items = build_items(paths)
    step(f"timing decide in-process ({args.iterations} calls per pair)")
    results["inprocess"] = measure_inprocess(items, args.iterations)
    if args.no_http:
        return results
    state = Path(tempfile.mkdtemp(prefix="viewra-bench-decide-"))
    running: RunningStack | None = None
    try:
        step("starting the stack")
        running = launch(state)
        step("uploading and cataloguing the media")
        catalogued = upload_and_catalogue(running, paths)
        results["http_items"] = len(catalogued)
        measure_http(running, catalogued, args.requests, results)
        if args.profile:
            step("profiling start_playback in-process against the emulator")
            profile_inprocess(running, catalogued, args.profile_calls, results)
    finally:
        if running is not None:
            running.stop()
        shutil.rmtree(state, ignore_errors=True)
    return results


# -- output --------------------------------------------------------------------------------------
def render(results: dict[str, Any]) -> str:
    d = results["inprocess"]
    out = [
        f"### decide: {d['profiles']} built-in profiles x {d['items']} probed items "
        f"(in-process, {d['iterations_per_pair']} timed calls per pair, {d['calls']:,} calls)",
        "",
        "| metric | ours | goal |",
        "|---|---:|---:|",
        f"| decide p50 | {d['p50_ms'] * 1000:.1f} µs {mark(d['p50_ms'] <= DECIDE_P50_GOAL_MS)} "
        f"| ≤ {DECIDE_P50_GOAL_MS * 1000:.0f} µs |",
        f"| decide p99 | {d['p99_ms'] * 1000:.1f} µs | |",
        f"| decide max | {d['max_ms'] * 1000:.1f} µs | |",
    ]
    for s in d["slowest_pairs"]:
        out.append(
            f"| slowest pair: {s['profile']} x {s['item']} p50 / p99 | "
            f"{s['p50_ms'] * 1000:.1f} / {s['p99_ms'] * 1000:.1f} µs | |"
        )
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(d["outcomes"].items()))
    out.append(f"| decisions (pairs) | {outcomes} | |")
    t = results.get("table")
    if t:
        out += [
            "",
            f"### decision table (tests/data/decisions): {t['passed']} of {t['rows']} rows pass "
            f"{mark(t['passed'] == t['rows'])}",
            "",
            "| file | rows | pass |",
            "|---|---:|---:|",
        ]
        out += [f"| {name} | {n} | {ok} |" for name, (n, ok) in sorted(t["files"].items())]
        out += [f"| failing: {row_id} | | |" for row_id in t["failing"]]
    h = results.get("http")
    if h:
        out += [
            "",
            f"### POST /items/{{id}}/playback on the local stack: {h['requests']} requests cycling "
            f"{h['pairs']} profile x item pairs ({results['http_items']} items), sequential, "
            "keep-alive, after a warm-up pass and the transcode queue drained",
            "",
            "| metric | ours | goal |",
            "|---|---:|---:|",
            f"| p50 | {h['p50_ms']:.1f} ms | |",
            f"| p95 | {h['p95_ms']:.1f} ms | |",
            f"| p99 | {h['p99_ms']:.1f} ms {mark(h['p99_ms'] <= HTTP_P99_GOAL_MS)} (95 % "
            f"interval {h['p99_interval_ms'][0]:.1f} to {h['p99_interval_ms'][1]:.1f} ms) | "
            f"≤ {HTTP_P99_GOAL_MS:.0f} ms |",
            f"| max | {h['max_ms']:.1f} ms | |",
        ]
        if h.get("p99_first_300_ms") is not None:
            out.append(
                f"| p99 of the first 300 requests alone (the old default's figure) | "
                f"{h['p99_first_300_ms']:.1f} ms | |"
            )
        for method, m in h["by_method"].items():
            out.append(
                f"| {method} (n={m['n']}) p50 / p99 | {m['p50_ms']:.1f} / {m['p99_ms']:.1f} ms | |"
            )
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(h["statuses"].items()))
        out.append(f"| HTTP statuses | {statuses} | |")
        window = h["window_s"]
        cpu = ", ".join(
            f"{k} {v:.1f} s ({v / window:.0%})"
            for k, v in h["cpu_s"].items()
            if not k.endswith("children")
        )
        out.append(f"| CPU over the {window:.1f} s window (share of one core) | {cpu} | |")
        out.append(f"| warm-up pass p50 (first request per pair) | {h['warmup_p50_ms']:.1f} ms | |")
    p = results.get("inprocess_start_playback")
    if p:
        calls = p["store_calls_per_request"]
        out += [
            "",
            f"### start_playback in this process against the same emulator ({p['calls']} calls, "
            "no HTTP)",
            "",
            "| metric | value |",
            "|---|---:|",
            f"| p50 / p99 | {p['p50_ms']:.1f} / {p['p99_ms']:.1f} ms |",
        ]
        out += [f"| {k} | {v:.2f} |" for k, v in calls.items()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 iterations, 100 requests")
    parser.add_argument("--iterations", type=int, default=None, help="calls per pair (500)")
    parser.add_argument("--requests", type=int, default=None, help="timed HTTP requests (1000)")
    parser.add_argument("--no-http", action="store_true", help="in-process decide only")
    parser.add_argument("--profile", action="store_true", help="also profile start_playback")
    parser.add_argument("--profile-calls", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/viewra-bench"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    if args.iterations is None:
        args.iterations = 100 if args.quick else 500
    if args.requests is None:
        args.requests = 100 if args.quick else 1000
    results = run(args)
    print(render(results))
    if args.profile and "inprocess_start_playback" in results:
        print("\n```\n" + results["inprocess_start_playback"]["cprofile"].strip() + "\n```")
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fan-out (issue 19) in one run, on the real stack: one job whole against the same job as chunks.

    nice .venv/bin/python bench/fanout.py                 # 10-min 1080p source (+ a 60-min one)
    nice .venv/bin/python bench/fanout.py --seconds 120 --height 720 --long-seconds 600
    .venv/bin/python bench/fanout.py --quick              # 40 s 360p, tiny chunks: a smoke run

What runs: three stacks (``viewra.local.run --ready-json --no-snapshot`` via ``start_stack``),
one after the other, each with a fresh library holding the source:
- **single**: the chunk threshold out of reach, one transcode worker process (ffmpeg with all the
  cores' threads): the job as one ffmpeg, as before this issue;
- **chunked W=1**: the default threshold (120 s) and chunks (10 x 6 s), one worker process;
- **chunked W=2**: two worker processes, each ffmpeg with half the threads.
Each is ``POST /transcodes {item_id, max_height: 720}`` (the preset is the project's default,
``veryfast``), timed by the job record (``playable_at``, ``finished_at``) against the POST. CPU is
every transcode worker process's own and its waited children's (ffmpeg, ffprobe) user+system
time over the job. The outputs are downloaded and compared with the source (scaled to the
output's size) by ffmpeg's ``ssim`` and ``psnr`` filters on every ``--every``-th frame; the
chunked one is also checked for continuity (packet timestamps across every boundary) and played
through (``ffmpeg -i master.m3u8 -f null -``). The W=2 stack then takes a job of a source
``--long-seconds`` long (the same source concatenated, stream copy) and the time to its first
playable segment is compared with the short source's; that job is cancelled once playable.

The source (testsrc2 + a 440 Hz sine, h264 ultrafast crf 20, aac) is made once into
``--workdir`` (default /tmp/fanout-media) and reused.

Then a model of the wall time for W Lambda workers on a two-hour film, from the measured CPU per
chunk, the queue and storage latencies measured against the emulator here, and the assumptions
printed with it; the same model is first checked against the measured W=1 and W=2 runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import ROOT, child_pids, cpu_seconds, launch, mark, step

sys.path.insert(0, str(ROOT))
from tests.functional.hls_continuity import continuity, packets, play_errors

CORES = os.cpu_count() or 1


def make_source(workdir: Path, seconds: int, height: int) -> Path:
    width = height * 16 // 9 // 2 * 2
    path = workdir / f"src-{seconds}s-{height}p.mp4"
    if path.exists():
        return path
    step(f"making the {seconds} s {width}x{height} source (once) into {path}")
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=24000/1001:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-g", "48",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
         "-movflags", "+faststart", str(tmp)],
        check=True,
    )  # fmt: skip
    tmp.rename(path)
    return path


def make_long(workdir: Path, source: Path, seconds: int) -> Path:
    """``source`` repeated to ``seconds`` (concat demuxer, stream copy: seconds to make)."""
    path = source.with_name(source.stem + f"-x{seconds}s.mp4")
    if path.exists():
        return path
    repeat = math.ceil(seconds / float(probe_duration(source)))
    listing = workdir / "concat.txt"
    listing.write_text("".join(f"file '{source}'\n" for _ in range(repeat)))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-c", "copy", "-t", str(seconds), "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


def probe_duration(path: Path | str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip())


def parse_iso(stamp: str) -> float:
    from viewra.common.timestamps import parse_iso as parse

    return parse(stamp).timestamp()


@dataclass
class Run:
    label: str
    workers: int
    wall: float = 0.0
    first_playable: float = 0.0
    cpu: float = 0.0
    bytes: int = 0
    chunks: int = 0
    load: float = 0.0
    ssim: float = float("nan")
    psnr: float = float("nan")
    continuity: Any = None
    play: str = ""
    long_first_playable: float = float("nan")
    first_playable_pairs: tuple[list[float], list[float]] = ([], [])
    latencies: dict[str, float] = field(default_factory=dict)


def transcode_workers(pid: int) -> list[int]:
    found = []
    for child in child_pids(pid):
        try:
            line = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"viewra.local.worker" in line and b"transcode" in line:
            found.append(child)
    return found


def workers_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(p) + cpu_seconds(p, children=True) for p in pids)


def upload_item(stack: Any, source: Path, title: str) -> dict[str, Any]:
    lib = stack.library("movies")
    key = lib["prefix"] + f"{title}.mp4"
    stack.client("s3").upload_file(str(source), stack.bucket, key)
    return stack.item_at(lib["id"], key, timeout=600)


def run_job(stack: Any, item: dict[str, Any], *, until: str = "ready") -> tuple[dict, float, str]:
    """POST the job; poll until ``until`` (ready, or playable); (job, POST time, h)."""
    started = time.time()
    answer = stack.post("/transcodes", {"item_id": item["id"], "max_height": 720}).json()
    h = answer["h"]
    while True:
        job = stack.get(f"/transcodes/{h}").json()
        if job["status"] in {"failed", "cancelled"}:
            raise RuntimeError(f"job {h}: {job['status']}: {job.get('error')}")
        if job["status"] == "ready" or (until == "playable" and job.get("playable_at")):
            return job, started, h
        time.sleep(0.5)


def download(stack: Any, h: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    s3 = stack.client("s3")
    settings = stack_settings(stack)
    prefix = f"content/{h[0:2]}/{h[2:4]}/{h}/"
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.content_bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            s3.download_file(
                settings.content_bucket, obj["Key"], str(into / obj["Key"][len(prefix) :])
            )
    return into


def stack_settings(stack: Any) -> Any:
    from viewra.common.settings import Settings

    return Settings.from_env({**stack.env, "AWS_ENDPOINT_URL": stack.endpoint})


def quality(output: Path, source: Path, every: int) -> tuple[float, float]:
    """(SSIM all, PSNR average) of ``output`` against ``source`` scaled to its size, on every
    ``every``-th frame (both from their first frame)."""
    sel = f"select='not(mod(n\\,{every}))',setpts=N"
    graph = (
        f"[0:v]{sel}[o];[1:v]{sel}[r0];[r0][o]scale2ref=flags=bicubic[r][o2];"
        "[o2]split[a][b];[r]split[c][d];[a][c]ssim[s];[b][d]psnr[p]"
    )
    done = subprocess.run(
        ["nice", "-n", "5", "ffmpeg", "-nostdin", "-v", "info",
         "-i", str(output), "-i", str(source), "-filter_complex", graph,
         "-map", "[s]", "-f", "null", "-", "-map", "[p]", "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    ssim = psnr = float("nan")
    for line in done.stderr.splitlines():
        if "SSIM" in line and "All:" in line:
            ssim = float(line.split("All:")[1].split()[0])
        if "PSNR" in line and "average:" in line:
            psnr = float(line.split("average:")[1].split()[0])
    return ssim, psnr


def measure_latencies(stack: Any, rounds: int = 20) -> dict[str, float]:
    """Median S3 PUT and GET of a 1 MB object, and an SQS send → receive, against the emulator."""
    s3, sqs = stack.client("s3"), stack.client("sqs")
    settings = stack_settings(stack)
    body = os.urandom(1024 * 1024)
    puts, gets, queue = [], [], []
    url = sqs.create_queue(QueueName="bench-fanout-latency")["QueueUrl"]
    for i in range(rounds):
        t = time.perf_counter()
        s3.put_object(Bucket=settings.content_bucket, Key=f"bench/lat-{i}", Body=body)
        puts.append(time.perf_counter() - t)
        t = time.perf_counter()
        s3.get_object(Bucket=settings.content_bucket, Key=f"bench/lat-{i}")["Body"].read()
        gets.append(time.perf_counter() - t)
        t = time.perf_counter()
        sqs.send_message(QueueUrl=url, MessageBody="x")
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        queue.append(time.perf_counter() - t)
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {
        "s3_put_1mb": statistics.median(puts),
        "s3_get_1mb": statistics.median(gets),
        "sqs_send_receive": statistics.median(queue),
    }


def one_stack(args: Any, run: Run, source: Path, long_source: Path | None, env: dict[str, str]):
    state = Path(args.workdir) / f"state-{run.label.replace(' ', '-').replace('=', '')}"
    step(f"{run.label}: starting a stack ({run.workers} transcode worker processes)")
    running = launch(state, env_extra=env)
    stack = running.stack
    try:
        item = upload_item(stack, source, "Fanout Film (2020)")
        pids = transcode_workers(running.pid)
        before = workers_cpu(pids)
        step(f"{run.label}: transcoding {item['duration']:.0f} s")
        job, started, h = run_job(stack, item)
        run.cpu = workers_cpu(pids) - before
        run.load = os.getloadavg()[0]  # the machine's other work: the bench shares its cores
        run.wall = parse_iso(job["finished_at"]) - started
        run.first_playable = parse_iso(job["playable_at"]) - started
        run.chunks = job.get("chunks") or 0
        out = download(stack, h, Path(args.workdir) / f"out-{h[:12]}")
        manifest = json.loads((out / "manifest.json").read_text())
        run.bytes = sum(f["size"] for f in manifest["files"])
        step(f"{run.label}: SSIM/PSNR against the source")
        run.ssim, run.psnr = quality(out / "media.m3u8", source, args.every)
        if run.chunks:
            run.continuity = continuity(packets(out / "media.m3u8", "v"))
            run.play = play_errors(out / "master.m3u8")
        step(f"{run.label}: {run.wall:.1f} s, first playable {run.first_playable:.2f} s")
        if long_source is not None:
            run.latencies = measure_latencies(stack)
            long_item = upload_item(stack, long_source, "Fanout Epic (2021)")
            step(f"{run.label}: first playable, {args.pairs} pairs of short and long source")
            evict(stack, h)
            shorts, longs = [], []
            for i in range(args.pairs):  # alternate which goes first: the machine's speed drifts
                order = [(item, shorts), (long_item, longs)]
                for which, into in order if i % 2 == 0 else order[::-1]:
                    job, started, h = run_job(stack, which, until="playable")
                    into.append(parse_iso(job["playable_at"]) - started)
                    cancel_and_evict(stack, h)
            run.first_playable_pairs = (shorts, longs)
            run.first_playable = statistics.median(shorts)
            run.long_first_playable = statistics.median(longs)
            step(f"{run.label}: first playable short {shorts}, long {longs}")
    finally:
        running.stop()
    return run


def evict(stack: Any, h: str) -> None:
    """Drop an output (record and content), so the same request runs as a fresh job."""
    import requests

    for _ in range(100):
        r = requests.delete(f"{stack.api}/transcode/cache/{h}", headers=stack.headers, timeout=30)
        if r.status_code != 409:  # 409: still running (its workers see the cancel within 1 s)
            return
        time.sleep(0.2)


def cancel_and_evict(stack: Any, h: str) -> None:
    import requests

    requests.delete(f"{stack.api}/transcodes/{h}", headers=stack.headers, timeout=30)
    evict(stack, h)


def model(
    duration: float,
    workers: int,
    *,
    cpu_per_chunk: float,
    chunk_seconds: float,
    cores_per_worker: float,
    efficiency: float,
    cold_start: float,
    queue_latency: float,
    s3_latency: float,
    per_chunk_overhead: float,
    segments_per_chunk: int,
    plan_seconds: float,
) -> float:
    """Wall time of a fanned-out job: plan, then waves of chunks (each: queue, its compute at
    the worker's cores, one S3 PUT per segment, the part file and counters), then the stitch
    (every part file read, the playlists and the manifest written)."""
    chunks = math.ceil(duration / chunk_seconds)
    waves = math.ceil(chunks / workers)
    compute = cpu_per_chunk / (cores_per_worker * efficiency)
    chunk = queue_latency + compute + segments_per_chunk * s3_latency + per_chunk_overhead
    stitch = math.ceil(chunks / 32) * s3_latency + 3 * s3_latency
    return cold_start + plan_seconds + waves * chunk + stitch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--long-seconds", type=int, default=3600)
    parser.add_argument("--every", type=int, default=10, help="SSIM/PSNR on every n-th frame")
    parser.add_argument("--workdir", default="/tmp/fanout-media")
    parser.add_argument("--threshold", type=float, default=120.0)
    parser.add_argument("--chunk-segments", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="40 s 360p, 2-segment chunks")
    parser.add_argument("--pairs", type=int, default=3, help="first-playable pairs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.height, args.long_seconds = 40, 360, 240
        args.threshold, args.chunk_segments, args.every = 10.0, 2, 5
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    source = make_source(workdir, args.seconds, args.height)
    long_source = make_long(workdir, source, args.long_seconds)
    base = {
        "VIEWRA_TRANSCODE_CHUNK_SEGMENTS": str(args.chunk_segments),
        "VIEWRA_LOG_LEVEL": "WARNING",
    }
    single = one_stack(
        args,
        Run("single", 1),
        source,
        None,
        {
            **base,
            "VIEWRA_TRANSCODE_CHUNK_THRESHOLD_SECONDS": "1e12",
            "VIEWRA_TRANSCODE_WORKERS": "1",
        },
    )
    chunked = {
        w: one_stack(
            args,
            Run(f"chunked W={w}", w),
            source,
            long_source if w == 2 else None,
            {
                **base,
                "VIEWRA_TRANSCODE_CHUNK_THRESHOLD_SECONDS": str(args.threshold),
                "VIEWRA_TRANSCODE_WORKERS": str(w),
            },
        )
        for w in (1, 2)
    }
    report(args, single, chunked)
    return 0


def report(args: Any, single: Run, chunked: dict[int, Run]) -> None:
    c1, c2 = chunked[1], chunked[2]
    print(f"\nFan-out on a {args.seconds} s {args.height}p source → 720p h264 veryfast + AAC, "
          f"{CORES} cores (shared), chunks of {args.chunk_segments} x 6 s\n")  # fmt: skip
    print("| run | wall s | first playable s | CPU s | output bytes | SSIM | PSNR dB | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in (single, c1, c2):
        print(f"| {r.label} | {r.wall:.1f} | {r.first_playable:.2f} | {r.cpu:.1f} | {r.bytes:,} "
              f"| {r.ssim:.4f} | {r.psnr:.2f} | {r.load:.1f} |")  # fmt: skip
    cpu_ratio = c1.cpu / single.cpu
    bytes_ratio = c1.bytes / single.bytes
    d_ssim = single.ssim - min(c1.ssim, c2.ssim)
    d_psnr = single.psnr - min(c1.psnr, c2.psnr)
    playable_ratio = c2.long_first_playable / c2.first_playable
    shorts, longs = c2.first_playable_pairs
    print()
    print("| figure | value | goal | |")
    print("|---|---:|---|---|")
    rows = [
        ("CPU chunked W=1 / single", f"{cpu_ratio:.3f}", "≤ 1.10", cpu_ratio <= 1.10),
        ("output bytes chunked / single", f"{bytes_ratio:.3f}", "≤ 1.05", bytes_ratio <= 1.05),
        ("SSIM single - chunked (worst)", f"{d_ssim:+.4f}", "≤ 0.005", d_ssim <= 0.005),
        ("PSNR single - chunked (worst), dB", f"{d_psnr:+.2f}", "≤ 0.3", d_psnr <= 0.3),
        ("wall W=1 / W=2", f"{c1.wall / c2.wall:.2f}", "", True),
        (f"first playable {args.long_seconds} s / {args.seconds} s source (W=2, medians of"
         f" {len(shorts)}: {', '.join(f'{x:.1f}' for x in shorts)} / "
         f"{', '.join(f'{x:.1f}' for x in longs)})",
         f"{c2.long_first_playable:.2f} / {c2.first_playable:.2f} s = {playable_ratio:.2f}",
         "within 10 %", abs(playable_ratio - 1) <= 0.10),
    ]  # fmt: skip
    if c1.continuity is not None:
        worst = max(c1.continuity.worst_gap, c1.continuity.worst_overlap)
        rows.append(("chunked: worst step off a frame at a boundary, ms", f"{worst * 1000:.2f}",
                     "< 1 frame", worst < 0.04))  # fmt: skip
        rows.append(("chunked: plays through (ffmpeg)", c1.play or "no error", "", not c1.play))
    for name, value, goal, ok in rows:
        print(f"| {name} | {value} | {goal} | {mark(ok)} |")

    # the model, checked against W=1 and W=2 here, then for Lambda on a two-hour film
    lat = c2.latencies
    s3 = (lat["s3_put_1mb"] + lat["s3_get_1mb"]) / 2
    chunk_seconds = 6.0 * args.chunk_segments
    chunks = c1.chunks or math.ceil(args.seconds / chunk_seconds)
    cpu_per_chunk = c1.cpu / chunks
    efficiency = c1.cpu / (c1.wall * CORES)  # how much of the cores one worker's ffmpeg keeps busy
    overhead = max((c1.wall - single.wall) / chunks, 0.0)  # what a chunk costs beyond its encode
    local = {
        "cpu_per_chunk": cpu_per_chunk, "chunk_seconds": chunk_seconds, "efficiency": efficiency,
        "cold_start": 0.0, "queue_latency": lat["sqs_send_receive"], "s3_latency": s3,
        "per_chunk_overhead": 0.0, "segments_per_chunk": args.chunk_segments,
        "plan_seconds": 0.0,
    }  # fmt: skip
    print(f"\nModel check (local: {CORES} cores shared with other work, W workers split them; CPU"
          f" per chunk {cpu_per_chunk:.1f} s measured at W=1). The share of the cores the run"
          " got (its CPU / (wall x cores)) moves with the machine's other load, so the model is"
          " shown with W=1's share and with each run's own:")  # fmt: skip
    print("| W | measured wall s | share of cores | model (W=1 share) s | model (own share) s |")
    print("|---:|---:|---:|---:|---:|")
    for w, run in ((1, c1), (2, c2)):
        own = run.cpu / (run.wall * CORES)
        fixed = model(args.seconds, w, cores_per_worker=CORES / w, **local)
        mine = model(args.seconds, w, cores_per_worker=CORES / w, **{**local, "efficiency": own})
        print(f"| {w} | {run.wall:.1f} | {own:.2f} | {fixed:.1f} ({fixed / run.wall:.2f}x) "
              f"| {mine:.1f} ({mine / run.wall:.2f}x) |")  # fmt: skip

    film = 7200.0
    scale = (1080 / args.height) ** 2  # CPU per chunk grows with the source's pixels
    lam = {
        "cold_start": 1.5, "queue_latency": 0.05, "s3_latency": 0.03,
        "per_chunk_overhead": 1.0 + overhead, "efficiency": 0.85, "plan_seconds": 0.5,
    }  # fmt: skip
    print(
        "\nModel: a two-hour 1080p film on W Lambda workers (6 vCPU, 10 GB: each vCPU taken as one"
        f" of this machine's cores). Assumptions: cold start {lam['cold_start']} s (ffmpeg layer),"
        f" S3 request {lam['s3_latency'] * 1000:.0f} ms, SQS hand-off"
        f" {lam['queue_latency'] * 1000:.0f} ms,"
        f" per-chunk overhead {lam['per_chunk_overhead']:.1f} s"
        f" (source seek and ffmpeg start, ~1 s, plus {overhead:.2f} s measured here), core"
        f" efficiency {lam['efficiency']}, planning {lam['plan_seconds']} s; CPU per 60 s chunk"
        f" {cpu_per_chunk * scale * 60 / chunk_seconds:.1f} s (measured here"
        + (f", scaled x{scale:.2f} for 1080p pixels" if scale != 1 else "")
        + f"). Measured here: S3 {s3 * 1000:.1f} ms, SQS {lat['sqs_send_receive'] * 1000:.1f} ms."
    )
    print("| W | chunk | chunks | waves | wall s | goal < 120 s |")
    print("|---:|---|---:|---:|---:|---|")
    for w in (10, 100, 1000):
        for segs in (10, max(1, math.ceil(film / 6 / w))):
            seconds = 6.0 * segs
            wall = model(
                film, w, cpu_per_chunk=cpu_per_chunk * scale * seconds / chunk_seconds,
                chunk_seconds=seconds, cores_per_worker=6, segments_per_chunk=segs, **lam,
            )  # fmt: skip
            n = math.ceil(film / seconds)
            label = f"{segs} x 6 s" + (" (sized to W)" if segs != 10 else "")
            print(f"| {w} | {label} | {n} | {math.ceil(n / w)} | {wall:.0f} | {mark(wall < 120)} |")
            if segs == 10 and max(1, math.ceil(film / 6 / w)) == 10:
                break
    if args.json:
        print(
            json.dumps(
                {"single": single.__dict__, "chunked": {k: v.__dict__ for k, v in chunked.items()}},
                default=str,
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())

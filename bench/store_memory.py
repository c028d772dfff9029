"""The durable emulator's memory and disk while it stores and serves big objects (issue 20).

    .venv/bin/python bench/store_memory.py                  # 3 objects of 1 GiB, ~1 min
    .venv/bin/python bench/store_memory.py --gib 4 --count 5

What runs: ``python -m viewra.local.motoserver --state-dir <tmp>`` (the emulator as ``make run``
starts it: objects in files, fsynced, journal on). The objects are sparse files of zeros read from
disk by boto3 (``upload_file``: single PUTs below its 8 MiB threshold, multipart above, so both
paths are measured), then each is downloaded once, streamed to /dev/null. The table gives the
emulator's resident memory (``VmRSS``) and its peak (``VmHWM``) before and after, and the disk
its state dir uses: the bytes should be on disk once and nowhere in memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from viewra.local.emulator import free_port


def _status(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _du(path: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of each object")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/viewra-bench-store"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    size = int(args.gib * 2**30)
    source = args.workdir / f"zeros-{size}"
    if not source.exists():
        with open(source, "wb") as fh:
            fh.truncate(size)  # sparse: costs no disk, reads as zeros
    state = Path(tempfile.mkdtemp(prefix="viewra-store-", dir=args.workdir))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "viewra.local.motoserver", "-p", str(port), "--state-dir", state],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(s3={"addressing_style": "path"}),
        )
        s3.create_bucket(Bucket="bench-store")
        rows = [("started", _status(proc.pid), _du(state), 0.0)]
        for i in range(args.count):
            multipart = i % 2 == 1
            config = TransferConfig(
                multipart_threshold=8 * 2**20 if multipart else 2 * size,
                multipart_chunksize=64 * 2**20,
                max_concurrency=4,
            )
            started = time.monotonic()
            s3.upload_file(str(source), "bench-store", f"big-{i}", Config=config)
            rows.append(
                (
                    f"stored object {i + 1} ({'multipart' if multipart else 'one PUT'})",
                    _status(proc.pid),
                    _du(state),
                    time.monotonic() - started,
                )
            )
        started = time.monotonic()
        for i in range(args.count):
            body = s3.get_object(Bucket="bench-store", Key=f"big-{i}")["Body"]
            got = sum(len(c) for c in body.iter_chunks(1 << 20))
            assert got == size, (got, size)
        read = time.monotonic() - started
        rows.append(("read every object back", _status(proc.pid), _du(state), read))
        print(f"\n### Emulator memory and disk: {args.count} objects of {args.gib:g} GiB\n")
        print("| step | RSS | peak RSS | state dir on disk | seconds |")
        print("|---|---:|---:|---:|---:|")
        for step, status, disk, seconds in rows:
            rss, peak = status["VmRSS"] / 2**20, status["VmHWM"] / 2**20
            print(
                f"| {step} | {rss:,.0f} MiB | {peak:,.0f} MiB | {disk / 2**30:,.2f} GiB"
                f" | {seconds:.1f} |"
            )
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

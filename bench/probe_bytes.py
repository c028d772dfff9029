"""What a probe costs the store, per container, against plain ffprobe on the same object.

    .venv/bin/python bench/probe_bytes.py [--workdir DIR] [--only ts,avi] [--no-ffprobe]

For every file of bench/probe_media.py (one per container at ~50 MB and ~500 MB, an OpenDML AVI
over 1 GB; made once with ffmpeg and reused) the objects are served by a small HTTP range server
(GET with ``Range``, ``If-Match`` on the ETag, HEAD: what the probe asks of S3) behind
bench/byteproxy.py, which counts the body bytes it sent, server-side. Each row shows:

- ours: Viewra's probe (``viewra.media.probe.probe``) over ranged GETs of the object URL;
- art B: an embedded cover the probe located but did not read (FLAC PICTURE, MP3 APIC, MP4
  ``covr``, Ogg METADATA_BLOCK_PICTURE), fetched after it as the scan does (one exact ranged
  GET): counted apart, since a cover is not the container's index;
- ffprobe: plain ``ffprobe -show_format -show_streams`` on the same URL (a presigned URL in S3);
- check: our answer against ``ffprobe`` on the local file (duration within 0.5 s; every stream's
  codec, width, height, frame rate, channels, language), ✓ or what differs.

Goal (issue 18): ≤ 0.5 % of every file of 50 MB or more, never more than 2 MB plus the container's
own index.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from bench.byteproxy import ByteCountingProxy  # noqa: E402
from bench.probe_media import SAMPLES, make  # noqa: E402
from viewra.media.models.items import ProbeResult, StreamType  # noqa: E402
from viewra.media.probe import BlockReader, ProbeError, fetch_cover, probe_reader  # noqa: E402
from viewra.media.scrapers.artwork import MAX_ARTWORK_BYTES  # noqa: E402


class _RangeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(("127.0.0.1", 0), _RangeHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-body (ffprobe after its seek) is normal, not an error."""


class _RangeHandler(BaseHTTPRequestHandler):
    """GET (whole or one ``bytes=a-b`` / ``bytes=a-`` range) and HEAD of the files in a folder."""

    protocol_version = "HTTP/1.1"
    server: _RangeServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def _target(self) -> Path | None:
        name = unquote(urlsplit(self.path).path).lstrip("/")
        path = (self.server.root / name).resolve()
        return path if path.parent == self.server.root.resolve() and path.is_file() else None

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        path = self._target()
        if path is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        stat = path.stat()
        etag = f'"{stat.st_size:x}-{int(stat.st_mtime):x}"'
        if self.headers.get("If-Match") not in (None, "*", etag):
            self.send_response(412)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end, status = 0, stat.st_size - 1, 200
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else end, stat.st_size - 1)
            status = 206
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{stat.st_size}")
        self.end_headers()
        if not body:
            return
        with path.open("rb") as handle, contextlib.suppress(OSError):
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = handle.read(min(256 * 1024, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)


class HttpRangeSource:
    """A :class:`viewra.media.probe.RangeSource` over one URL: ranged GETs pinned to the ETag."""

    def __init__(self, base: str, name: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = "/" + quote(name)
        self._local = threading.local()
        response = self._request("HEAD", {})
        self.size = int(response.getheader("Content-Length") or 0)
        self.etag = response.getheader("ETag") or "*"
        response.read()

    def _request(self, method: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self._local.connection = connection
        connection.request(method, self.path, headers=headers)
        return connection.getresponse()

    def read_range(self, start: int, length: int) -> bytes:
        end = min(start + length, self.size) - 1
        response = self._request("GET", {"Range": f"bytes={start}-{end}", "If-Match": self.etag})
        data = response.read()
        if response.status != 206:
            raise OSError(f"GET {self.path} {start}-{end}: HTTP {response.status}")
        return data


@dataclass
class Row:
    name: str
    file: str
    size: int
    ours_bytes: int = 0
    ours_requests: int = 0
    ours_seconds: float = 0.0
    ff_bytes: int | None = None
    ff_requests: int | None = None
    ff_seconds: float | None = None
    art_bytes: int = 0
    check: str = ""

    def line(self) -> str:
        ff = (
            f"{self.ff_bytes:>12,} {self.ff_bytes / self.size:>7.2%} {self.ff_requests:>4} "
            f"{self.ff_seconds:>5.2f}"
            if self.ff_bytes is not None and self.ff_seconds is not None
            else f"{'':>12} {'':>7} {'':>4} {'':>5}"
        )
        art = f"{self.art_bytes:>10,}" if self.art_bytes else f"{'':>10}"
        return (
            f"{self.name:<22} {self.size / 1e6:>7.0f} {self.ours_bytes:>10,} "
            f"{self.ours_bytes / self.size:>7.3%} {self.ours_requests:>4} {self.ours_seconds:>5.2f}"
            f" {art} | {ff} | {self.check}"
        )


HEADER = (
    f"{'container':<22} {'MB':>7} {'ours B':>10} {'%':>7} {'req':>4} {'s':>5} {'art B':>10} | "
    f"{'ffprobe B':>12} {'%':>7} {'req':>4} {'s':>5} | check vs ffprobe (local file)"
)


def reference(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _rate(text: str | None) -> float | None:
    if not text or text in {"0/0", "0/1"}:
        return None
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)


# ISO 639-2/B codes ffprobe passes through from some containers, and their /T spelling Viewra keeps
_BIBLIOGRAPHIC = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
    "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
    "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk",
    "tib": "bod", "wel": "cym",
}  # fmt: skip


def compare(ours: ProbeResult, ref: dict[str, Any]) -> str:
    """ "✓", or what differs from ffprobe's answer on the whole local file."""
    problems: list[str] = []
    ref_duration = float(ref["format"].get("duration") or 0)
    if ours.duration is None or abs(ours.duration - ref_duration) > 0.5:
        problems.append(f"duration {ours.duration} vs {ref_duration:.3f}")
    ref_streams = [
        s
        for s in ref["streams"]
        if s["codec_type"] in {"video", "audio"}
        and not s.get("disposition", {}).get("attached_pic")
    ]
    our_streams = [s for s in ours.streams if s.type in {StreamType.VIDEO, StreamType.AUDIO}]
    if len(ref_streams) != len(our_streams):
        problems.append(f"{len(our_streams)} streams vs {len(ref_streams)}")
    for mine, theirs in zip(our_streams, ref_streams, strict=False):
        kind = theirs["codec_type"]
        if mine.codec != theirs["codec_name"]:
            problems.append(f"{kind} codec {mine.codec} vs {theirs['codec_name']}")
        language = (theirs.get("tags") or {}).get("language")
        language = None if language in (None, "und") else _BIBLIOGRAPHIC.get(language, language)
        if mine.language != language:
            problems.append(f"{kind} language {mine.language} vs {language}")
        if kind == "video":
            if (mine.width, mine.height) != (theirs.get("width"), theirs.get("height")):
                problems.append(f"size {mine.width}x{mine.height}")
            rate = _rate(theirs.get("r_frame_rate"))
            if rate and (mine.frame_rate is None or abs(mine.frame_rate - rate) > 0.01):
                problems.append(f"frame rate {mine.frame_rate} vs {rate:.3f}")
        elif mine.channels != theirs.get("channels"):
            problems.append(f"channels {mine.channels} vs {theirs.get('channels')}")
    return "✓" if not problems else "✗ " + "; ".join(problems)


def measure(
    proxy: ByteCountingProxy,
    path: Path,
    row: Row,
    with_ffprobe: bool,
    block_size: int | None = None,
) -> None:
    object_path = "/" + path.name
    proxy.reset()
    source = HttpRangeSource(proxy.url, path.name)
    reader = BlockReader(source, block_size=block_size)  # the scan's budget: a file over it fails
    started = time.monotonic()
    try:
        result: ProbeResult | None = probe_reader(reader)
    except ProbeError as exc:
        result, row.check = None, f"✗ {exc}"
    row.ours_seconds = time.monotonic() - started
    stats = proxy.stats_for(object_path, settle=0.5)
    row.ours_bytes = stats.body_bytes
    row.ours_requests = stats.gets
    if result is not None:
        row.check = compare(result, reference(path))
    if result is not None and result.cover_at is not None:
        # the cover the probe located and skipped: what the scan fetches after it, apart
        proxy.reset()
        fetch_cover(source, result.cover_at, MAX_ARTWORK_BYTES)
        row.art_bytes = proxy.stats_for(object_path, settle=0.5).body_bytes
    if with_ffprobe:
        proxy.reset()
        started = time.monotonic()
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_format", "-show_streams", proxy.url + object_path],
            capture_output=True,
            check=False,
            timeout=600,
        )
        row.ff_seconds = time.monotonic() - started
        stats = proxy.stats_for(object_path)
        row.ff_bytes, row.ff_requests = stats.body_bytes, stats.gets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/probe-media"))
    parser.add_argument("--only", default="", help="comma-separated file names or suffixes")
    parser.add_argument("--no-ffprobe", action="store_true", help="skip the plain ffprobe column")
    parser.add_argument(
        "--block-size", type=int, default=None, help="reader block (default: 16 KiB)"
    )
    args = parser.parse_args()
    wanted = {w for w in args.only.split(",") if w}
    os.environ.setdefault("VIEWRA_LOG_LEVEL", "WARNING")

    server = _RangeServer(args.workdir)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = ByteCountingProxy(f"http://127.0.0.1:{server.server_address[1]}").start()
    print(f"probe bytes per container, {time.strftime('%Y-%m-%d')}")
    print(HEADER)
    print("-" * len(HEADER))
    try:
        for sample in SAMPLES:
            suffix = sample.file.rsplit(".", 1)[-1]
            if wanted and sample.file not in wanted and suffix not in wanted:
                continue
            path = make(args.workdir, sample)
            row = Row(sample.name, sample.file, path.stat().st_size)
            measure(proxy, path, row, not args.no_ffprobe, args.block_size)
            print(row.line(), flush=True)
    finally:
        proxy.stop()
        server.shutdown()


if __name__ == "__main__":
    main()

"""Playable from outside, and crash-safe: against a moto server, where ffmpeg and a separate
worker process can reach the store over HTTP.

The playlist routes are served here by a tiny HTTP server calling
:func:`viewra.transcoding.playlists.render` — standing in for the API route the lead wires up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import m3u8
import pytest
from moto.server import ThreadedMotoServer

from tests.functional.test_transcode_support import (
    content_keys,
    create_resources,
    duration_of,
    free_port,
    queued_messages,
    source_file,
    transcode_env,
    transcoder,
    upload_source,
)
from viewra.common.errors import NotFound
from viewra.common.settings import Settings
from viewra.transcoding.context import Transcoder
from viewra.transcoding.jobs import JobStatus, get_job, request_transcode
from viewra.transcoding.params import TranscodeParams
from viewra.transcoding.playlists import render
from viewra.transcoding.worker import handle_message, run_job

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> Settings:
    settings = transcode_env(monkeypatch, endpoint=moto_endpoint)
    create_resources(settings)
    return settings


@pytest.fixture
def playlist_server(settings: Settings) -> Iterator[tuple[str, list[Transcoder]]]:
    """``GET /transcode/{h}/{name}`` → the rendered playlist (the API route's stand-in)."""
    holder: list[Transcoder] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            _, _, h, name = self.path.split("/", 3)
            base = f"http://127.0.0.1:{self.server.server_port}/transcode/{h}"
            try:
                body = render(holder[0], h, name, base).encode()
            except NotFound:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.apple.mpegurl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", holder
    server.shutdown()


def _play(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", url, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_playable(base: str, h: str, expected: float) -> None:
    master_url = f"{base}/transcode/{h}/master.m3u8"
    played = _play(master_url)
    assert played.returncode == 0, played.stderr
    assert abs(duration_of(master_url) - expected) < 0.5
    master = m3u8.loads(urllib.request.urlopen(master_url).read().decode())
    assert master.is_variant and len(master.playlists) == 1
    media_url = master.playlists[0].uri
    media = m3u8.loads(urllib.request.urlopen(media_url).read().decode())
    assert media.is_endlist and media.segments
    assert all(s.uri.startswith("http://") and "Signature" in s.uri for s in media.segments)


def test_the_rendered_master_playlist_plays_from_outside(
    settings: Settings, playlist_server: tuple[str, list[Transcoder]]
) -> None:
    base, holder = playlist_server
    # input_mode=url: ffmpeg itself reads the source through a presigned URL
    tc = transcoder(settings, input_mode="url")
    holder.append(tc)
    path = source_file(4)
    source = upload_source(settings, path, "movies/play.mp4")
    requested = request_transcode(tc, source, TranscodeParams(max_height=120, segment_length=2))
    [body] = queued_messages(settings)

    assert handle_message(tc, body) == "ready"

    _assert_playable(base, requested.h, duration_of(str(path)))


def test_fmp4_segments_play_too(
    settings: Settings, playlist_server: tuple[str, list[Transcoder]]
) -> None:
    base, holder = playlist_server
    tc = transcoder(settings, input_mode="url")
    holder.append(tc)
    path = source_file(4)
    source = upload_source(settings, path, "movies/fmp4.mp4")
    params = TranscodeParams(container="mp4", max_height=120, segment_length=2)
    requested = request_transcode(tc, source, params)
    [body] = queued_messages(settings)

    assert handle_message(tc, body) == "ready"

    assert "init.mp4" in content_keys(settings, requested.h)
    _assert_playable(base, requested.h, duration_of(str(path)))


_WORKER = """
import sys
from viewra.common.settings import get_settings
from viewra.bootstrap import build_transcoder
from viewra.transcoding.context import TranscodeLimits, Transcoder
from viewra.transcoding.worker import run_job
s = get_settings()
limits = TranscodeLimits.from_settings(
    s, preset="ultrafast", input_mode="url", realtime_input=True, progress_interval=0.5
)
run_job(build_transcoder(s, limits=limits), sys.argv[1])
"""


def _ffmpeg_reading(key: str) -> list[int]:
    """Pids of ffmpeg processes whose command line reads ``key`` (via its presigned URL)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if cmdline.startswith("ffmpeg") and key in cmdline:
            found.append(int(entry.name))
    return found


def test_a_worker_killed_mid_job_leaves_no_manifest_and_a_redelivery_completes_it(
    settings: Settings, playlist_server: tuple[str, list[Transcoder]]
) -> None:
    base, holder = playlist_server
    path = source_file(8)
    source = upload_source(settings, path, "movies/crash.mp4")
    params = TranscodeParams(max_height=120, segment_length=1)
    tc = transcoder(settings, input_mode="url")
    holder.append(tc)
    requested = request_transcode(tc, source, params)
    [body] = queued_messages(settings)
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, requested.h], cwd=REPO, env=dict(os.environ)
    )
    try:
        deadline = time.monotonic() + 30
        while len([k for k in content_keys(settings, requested.h) if k.startswith("seg_")]) < 2:
            assert worker.poll() is None, "the worker ended before it was killed"
            assert time.monotonic() < deadline, "no segments uploaded"
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    time.sleep(0.3)
    assert _ffmpeg_reading("movies/crash.mp4") == []  # ffmpeg died with its worker
    assert "manifest.json" not in content_keys(settings, requested.h)
    assert get_job(tc, requested.h).status is JobStatus.RUNNING  # as the crash left it

    # the message comes back after its visibility timeout: a new worker runs the job again
    assert run_job(tc, body["h"]) is JobStatus.READY

    job = get_job(tc, requested.h)
    assert job.status is JobStatus.READY and job.attempts == 2
    _assert_playable(base, requested.h, duration_of(str(path)))

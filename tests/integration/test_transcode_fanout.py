"""Fan-out on the running stack (issue 19): two transcode worker processes share a long job's
chunks; one is SIGKILLed in the middle of a chunk; what it leaves is never listed; its chunk
comes back after the visibility timeout and the job completes as one continuous stream that
ffmpeg plays through from outside, and hls.js in Chromium plays, seeks and buffers across every
chunk boundary with no gap.

ffmpeg reads at native speed here (``VIEWRA_TRANSCODE_REALTIME_INPUT``) so a 4-second chunk
lasts 4 seconds and can be killed midway; the transcode queue's visibility timeout is cut to a
few seconds (and the heartbeat with it) so the redelivery comes quickly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import m3u8
import pytest
import requests

from tests.functional.hls_continuity import continuity, packets, play_errors
from tests.integration.browser import browser_missing, run_in_chromium
from tests.media_factory import run_ffmpeg
from viewra.local.launch import Stack, start_stack

pytestmark = pytest.mark.integration

VISIBILITY = 6
SECONDS, FPS, SEGMENT, CHUNK_SEGMENTS = 16, 25, 2, 2
ENV = {
    "VIEWRA_QUEUE_VISIBILITY_TIMEOUT": "2",
    "VIEWRA_AUTH_ARGON2_TIME_COST": "1",
    "VIEWRA_AUTH_ARGON2_MEMORY_KIB": "64",
    "VIEWRA_AUTH_ARGON2_PARALLELISM": "1",
    "VIEWRA_TRANSCODE_WORKERS": "2",
    "VIEWRA_TRANSCODE_CHUNK_THRESHOLD_SECONDS": "8",
    "VIEWRA_TRANSCODE_CHUNK_SEGMENTS": str(CHUNK_SEGMENTS),
    "VIEWRA_TRANSCODE_REALTIME_INPUT": "1",
    "VIEWRA_TRANSCODE_PRESET": "ultrafast",
    "VIEWRA_TRANSCODE_VISIBILITY_SECONDS": str(VISIBILITY),
    "VIEWRA_TRANSCODE_HEARTBEAT_SECONDS": "1",
}


def _source(tmp: Path) -> Path:
    path = tmp / "long.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", f"testsrc2=size=160x120:rate={FPS}:duration={SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "64k", str(path)]
    )  # fmt: skip
    return path


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = []
        for task in tasks:
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def _worker_running_a_later_chunk(runner: int) -> int | None:
    """The transcode worker process whose ffmpeg encodes a chunk after the first (``-ss``)."""
    for worker in _children(runner):
        if "transcode" not in _cmdline(worker):
            continue
        for child in _children(worker):
            line = _cmdline(child)
            if any("ffmpeg" in part for part in line[:4]) and "-ss" in line:
                return worker
    return None


@dataclass(frozen=True)
class FannedOut:
    stack: Stack
    h: str
    master_url: str

    def ready(self) -> dict:
        """The job, once finished (waits for it)."""
        return self.stack.job_finished(
            lambda: self.stack.get(f"/transcodes/{self.h}").json(), 120, "the job to finish"
        )


@pytest.fixture(scope="module")
def fanned_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FannedOut]:
    """One stack, and a long job on it just asked for: the tests share its run (the kill test
    acts while its chunks are encoded, the tests after it look at the finished output)."""
    tmp = tmp_path_factory.mktemp("fanout")
    source = _source(tmp)
    stack = start_stack(tmp / "state", "--no-snapshot", env_extra=ENV)
    try:
        sqs = stack.client("sqs")
        for name in ("viewra-transcode", "viewra-transcode-priority"):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"VisibilityTimeout": str(VISIBILITY)}
            )
        lib = stack.library("movies")
        key = lib["prefix"] + "Long Film (2001).mp4"
        stack.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=source.read_bytes())
        item = stack.item_at(lib["id"], key)
        body = {"item_id": item["id"], "segment_length": SEGMENT, "max_height": 120}
        answer = stack.post("/transcodes", body).json()
        yield FannedOut(stack, answer["h"], answer["url"])
    finally:
        stack.stop()


def test_a_killed_chunk_worker_leaves_nothing_listed_and_the_job_still_completes(
    fanned_out: FannedOut,
) -> None:
    stack, master_url = fanned_out.stack, fanned_out.master_url
    media_url = master_url.replace("master.m3u8", "media.m3u8")
    if stack.get(f"/transcodes/{fanned_out.h}").json()["status"] not in {"queued", "running"}:
        pytest.fail("the job finished before a chunk could be killed (this test runs first)")
    victim = stack.wait_for(
        lambda: _worker_running_a_later_chunk(stack.process.pid), 60, "a chunk after the first"
    )
    time.sleep(1.0)  # midway through its chunk (4 s at native speed)
    os.kill(victim, signal.SIGKILL)

    # what is listed now is only whole segments: each one decodes
    listed = m3u8.loads(requests.get(media_url, timeout=10).text).segments
    for segment in listed:
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
             "stream=nb_read_frames", "-of", "csv=p=0", segment.uri],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert probe.returncode == 0 and int(probe.stdout.split()[0]) == 50, segment.uri

    job = fanned_out.ready()
    assert job["status"] == "ready", job
    assert job["chunks"] == 4 and job["chunks_done"] == 4
    assert play_errors(master_url) == ""
    video = continuity(packets(media_url, "v"))
    assert video.count == SECONDS * FPS and video.worst_gap < 0.002 and video.worst_overlap < 0.002
    assert abs(video.duration - SECONDS) <= 0.04
    media = requests.get(media_url, timeout=10).text
    assert "DISCONTINUITY" not in media and "#EXT-X-ENDLIST" in media


@pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))
def test_hlsjs_in_chromium_plays_seeks_and_buffers_across_the_chunk_boundaries(
    fanned_out: FannedOut,
) -> None:
    """The stitched output as the web app's player library sees it (issue 19: "plays with
    hls.js"): no fatal error, the playhead passes each boundary, one buffered range with no gap
    at a join, and the decoded length the source's within a frame or so."""
    job = fanned_out.ready()
    assert job["status"] == "ready", job
    media_url = fanned_out.master_url.replace("master.m3u8", "media.m3u8")
    extinf = [s.duration for s in m3u8.loads(requests.get(media_url, timeout=10).text).segments]
    # where one chunk's segments end and the next chunk's begin, from the playlist's own lengths
    boundaries = [
        round(sum(extinf[:i]), 3) for i in range(CHUNK_SEGMENTS, len(extinf), CHUNK_SEGMENTS)
    ]
    assert len(boundaries) == job["chunks"] - 1 >= 2

    result = run_in_chromium(
        "hls_play.mjs", {"master": fanned_out.master_url, "boundaries": boundaries}, timeout=120
    )
    frame = 1 / FPS
    loaded, end = result["loaded"], result["end"]
    assert loaded["fatal"] == [] and end["fatal"] == [] and end["error"] is None, result
    # hls.js jumps a hole in what it buffered with this (non-fatal) error: there must be none
    assert not [e for e in end["errors"] if "bufferSeekOverHole" in e], end["errors"]
    # buffered to the end: one range from the start to the source's length, no gap at a join
    assert len(loaded["buffered"]) == 1, loaded["buffered"]
    start, stop = loaded["buffered"][0]
    assert start <= frame and abs((stop - start) - SECONDS) <= 1.5 * frame, loaded
    # a seek past the first boundary plays on; so does playing across each boundary
    assert result["seek"]["reached"] > result["seek"]["past"] > boundaries[0]
    for across, boundary in zip(result["across"], boundaries, strict=True):
        assert across["from"] < boundary < across["past"] < across["reached"], across
    # played to the end, still one range, and the end (the media source ended there: the
    # duration is what was decoded, not the playlist's sum) is where the source ends. hls.js
    # closes a hole between contiguous segments by shifting what follows, so a hole at a join
    # shows here as a longer stream rather than as a second range.
    assert end["ended"] and abs(end["currentTime"] - SECONDS) <= 1.5 * frame, end
    assert abs(end["duration"] - SECONDS) <= 1.5 * frame, end
    assert len(end["buffered"]) == 1, end["buffered"]
    shown = {k: result[k] for k in ("seconds", "hls_version", "seek", "across")}
    shown |= {"buffered": loaded["buffered"], "duration": loaded["duration"], "end": end}
    print(json.dumps(shown))  # with -s

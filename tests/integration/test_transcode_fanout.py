"""Fan-out on the running stack (issue 19): two transcode worker processes share a long job's
chunks; one is SIGKILLed in the middle of a chunk; what it leaves is never listed; its chunk
comes back after the visibility timeout and the job completes as one continuous stream that
ffmpeg plays through from outside.

ffmpeg reads at native speed here (``VIEWRA_TRANSCODE_REALTIME_INPUT``) so a 4-second chunk
lasts 4 seconds and can be killed midway; the transcode queue's visibility timeout is cut to a
few seconds (and the heartbeat with it) so the redelivery comes quickly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import m3u8
import pytest
import requests

from tests.functional.hls_continuity import continuity, packets, play_errors
from tests.media_factory import run_ffmpeg
from viewra.local.launch import start_stack

pytestmark = pytest.mark.integration

VISIBILITY = 6
ENV = {
    "VIEWRA_QUEUE_VISIBILITY_TIMEOUT": "2",
    "VIEWRA_AUTH_ARGON2_TIME_COST": "1",
    "VIEWRA_AUTH_ARGON2_MEMORY_KIB": "64",
    "VIEWRA_AUTH_ARGON2_PARALLELISM": "1",
    "VIEWRA_TRANSCODE_WORKERS": "2",
    "VIEWRA_TRANSCODE_CHUNK_THRESHOLD_SECONDS": "8",
    "VIEWRA_TRANSCODE_CHUNK_SEGMENTS": "2",
    "VIEWRA_TRANSCODE_REALTIME_INPUT": "1",
    "VIEWRA_TRANSCODE_PRESET": "ultrafast",
    "VIEWRA_TRANSCODE_VISIBILITY_SECONDS": str(VISIBILITY),
    "VIEWRA_TRANSCODE_HEARTBEAT_SECONDS": "1",
}


def _source(tmp: Path) -> Path:
    path = tmp / "long.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=16",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=16",
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


def test_a_killed_chunk_worker_leaves_nothing_listed_and_the_job_still_completes(
    tmp_path: Path,
) -> None:
    source = _source(tmp_path)
    stack = start_stack(tmp_path / "state", "--no-snapshot", env_extra=ENV)
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
        body = {"item_id": item["id"], "segment_length": 2, "max_height": 120}
        answer = stack.post("/transcodes", body).json()
        h, master_url = answer["h"], answer["url"]
        media_url = master_url.replace("master.m3u8", "media.m3u8")

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

        job = stack.wait_for(
            lambda: (
                (j := stack.get(f"/transcodes/{h}").json())["status"] in {"ready", "failed"} and j
            ),
            120,
            "the job after the kill",
        )
        assert job["status"] == "ready", job
        assert job["chunks"] == 4 and job["chunks_done"] == 4
        assert play_errors(master_url) == ""
        video = continuity(packets(media_url, "v"))
        assert video.count == 400 and video.worst_gap < 0.002 and video.worst_overlap < 0.002
        assert abs(video.duration - 16.0) <= 0.04
        media = requests.get(media_url, timeout=10).text
        assert "DISCONTINUITY" not in media and "#EXT-X-ENDLIST" in media
    finally:
        stack.stop()

"""Playback on the running stack: the decision for a real probed file, a presigned URL that
serves byte ranges, sessions over HTTP, and the CLI's play command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration
VIEWRA = str(Path(sys.executable).with_name("viewra"))


@pytest.fixture(scope="module")
def probed(stack, media_dir):
    lib = stack.library("movies")
    keys = {
        "mp4": lib["prefix"] + "Playtime (1967).mp4",
        "mkv": lib["prefix"] + "Zabriskie Point (1970).mkv",
    }
    s3 = stack.client("s3")
    s3.put_object(
        Bucket=stack.bucket, Key=keys["mp4"], Body=media_dir["mp4_faststart"].read_bytes()
    )
    s3.put_object(Bucket=stack.bucket, Key=keys["mkv"], Body=media_dir["mkv_hevc"].read_bytes())
    return {name: stack.item_at(lib["id"], key) for name, key in keys.items()}


def test_direct_play_url_serves_byte_ranges(stack, probed, media_dir) -> None:
    r = stack.post(f"/items/{probed['mp4']['id']}/playback", {"profile": "chrome"})
    assert r.status_code == 201, r.text
    session = r.json()
    assert session["method"] == "DirectPlay" and session["status"] == "ready"
    original = media_dir["mp4_faststart"].read_bytes()
    part = requests.get(session["url"], headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == original[100:200]
    whole = requests.get(session["url"], timeout=10)
    assert whole.content == original


def test_session_lifecycle_over_http(stack, probed) -> None:
    item = probed["mp4"]
    session = stack.post(f"/items/{item['id']}/playback", {"profile": "android"}).json()
    assert session["id"] in {s["id"] for s in stack.get("/sessions").json()["sessions"]}
    half = item["duration"] / 2
    r = stack.post(f"/sessions/{session['id']}/progress", {"position": half, "paused": True})
    assert r.json()["state"] == "paused"
    stack.post(f"/sessions/{session['id']}/stop", {"position": half})
    assert session["id"] not in {s["id"] for s in stack.get("/sessions").json()["sessions"]}
    resume = stack.get("/me/resume").json()["items"]
    assert any(
        x["item"]["id"] == item["id"] and x["user_data"]["position"] == pytest.approx(half)
        for x in resume
    )


def test_cli_play_prints_decision_reasons_and_url(stack, probed) -> None:
    run = subprocess.run(
        [VIEWRA, "--api", stack.api, "play", probed["mp4"]["id"], "--profile", "chrome"],
        capture_output=True,
        text=True,
        timeout=60,
        env=stack.env | {"COLUMNS": "250"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "DirectPlay" in run.stdout and "reasons: none" in run.stdout
    assert "url: http://127.0.0.1" in run.stdout
    run = subprocess.run(
        [VIEWRA, "--api", stack.api, "play", "Zabriskie Point", "--profile", "chrome"],
        capture_output=True,
        text=True,
        timeout=60,
        env=stack.env | {"COLUMNS": "250"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Transcode" in run.stdout and "VideoCodecNotSupported" in run.stdout

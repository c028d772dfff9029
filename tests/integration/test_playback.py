"""Playback on the running stack: the decision for a real probed file, a presigned URL that
serves byte ranges, sessions over HTTP, and the CLI's play command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from viewra.common.settings import Settings

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


def test_an_embedded_subtitle_is_extracted_to_webvtt_at_its_signed_url(stack, probed) -> None:
    """The MKV's forced SRT (chosen by the engine: forced) goes to chrome as an External WebVTT
    file: a transcode worker's ffmpeg reads the presigned original from the emulator once while
    the request waits, the result is kept in the content bucket, and the signed URL answers a
    <track>, which sends no headers."""
    item = probed["mkv"]
    session = stack.post(f"/items/{item['id']}/playback", {"profile": "chrome"}).json()
    chosen = session["subtitle_stream_index"]
    [track] = [t for t in session["subtitles"] if t["index"] == chosen]
    assert (track["delivery"], track["format"], track["forced"]) == ("External", "vtt", True)
    first = requests.get(track["url"], timeout=60)
    assert first.status_code == 200, first.text
    assert first.headers["Content-Type"].startswith("text/vtt")
    assert first.text.startswith("WEBVTT")
    # the cue at the time the MKV keeps it (the muxer may shift every stream by a few ms)
    cue = r"00:00:00\.0\d\d --> 00:00:01\.0\d\d\nHello from the test subtitle\."
    assert re.search(cue, first.text), first.text
    content = Settings.from_env(stack.env).content_bucket
    kept = stack.client("s3").list_objects_v2(Bucket=content, Prefix=f"subtitles/{item['id']}/")
    names = [o["Key"].rsplit("/", 1)[-1] for o in kept.get("Contents", [])]
    assert names == [f"{chosen}.vtt", "asked"]  # the WebVTT, and when a worker was asked for it
    again = requests.get(track["url"], timeout=60)
    assert again.text == first.text
    # the plain route takes the caller's credentials instead, and nothing without them
    assert stack.get(f"/items/{item['id']}/subtitles/{chosen}.srt").text.startswith("1\n")
    assert requests.get(f"{stack.api}/items/{item['id']}/subtitles/{chosen}.vtt").status_code == 401

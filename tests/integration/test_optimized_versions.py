"""Optimized versions on the running stack: a library with presets, a dropped HEVC + AC-3 file,
the version made by the local transcode worker; a browser profile direct-plays the version (an
H.264 + AAC MP4 that ffmpeg plays from its presigned URL), Kodi the original."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration


def ffprobe_streams(url: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)["streams"]


def test_a_dropped_file_gets_its_versions_and_a_browser_direct_plays_one(stack, media_dir):
    # Given a library asking for 1080p and 720p versions
    r = stack.post(
        "/libraries",
        {"name": "films-optimized", "prefix": "films-optimized/", "kind": "movies",
         "optimized_versions": ["1080p-h264-8mbps", "720p-h264-3mbps"]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    library = r.json()["library"]
    # When a 720p HEVC + AC-3 film is dropped in
    key = library["prefix"] + "Mirror (1975).mkv"
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=key, Body=media_dir["hevc_720p"].read_bytes()
    )
    item = stack.item_at(library["id"], key)

    # Then its 720p version (not the 1080p one: larger than the source) is made
    def version() -> dict[str, Any] | None:
        rows = stack.get(f"/items/{item['id']}").json()["optimized_versions"]
        return rows[0] if rows and rows[0]["status"] in {"ready", "failed"} else None

    made = stack.wait_for(version, 180, "the optimized version")
    assert (made["preset"], made["status"]) == ("720p-h264-3mbps", "ready"), made
    assert len(stack.get(f"/items/{item['id']}").json()["optimized_versions"]) == 1

    # A browser that cannot play HEVC in MKV direct-plays the version, and says why
    session = stack.post(f"/items/{item['id']}/playback", {"profile": "chrome"}).json()
    decision = session["decision"]
    assert session["method"] == "DirectPlay", session
    assert decision["optimized_version"] == "720p-h264-3mbps"
    assert decision["reasons"][-1] == "OptimizedVersion" and len(decision["reasons"]) > 1
    assert session["transcode_id"] == made["h"]
    streams = {s["codec_type"]: s for s in ffprobe_streams(session["url"])}
    assert (streams["video"]["codec_name"], streams["video"]["height"]) == ("h264", 720)
    assert (streams["audio"]["codec_name"], streams["audio"]["channels"]) == ("aac", 2)
    played = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", session["url"], "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert played.returncode == 0, played.stderr[-800:]
    assert requests.get(made["url"], timeout=10, allow_redirects=False).status_code in {302, 307}

    # A device that plays the original still direct-plays the original
    kodi = stack.post(f"/items/{item['id']}/playback", {"profile": "kodi"}).json()
    assert kodi["method"] == "DirectPlay" and kodi["decision"]["optimized_version"] is None
    assert "Mirror" in kodi["url"]

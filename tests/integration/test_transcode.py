"""Transcoding on the running stack: a playback that needs a transcode gets an HLS URL through
the API; the local transcode worker runs the job; ffmpeg plays the playlist from outside."""

from __future__ import annotations

import json
import subprocess

import m3u8
import pytest
import requests

pytestmark = pytest.mark.integration


def probe_duration(url: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return float(json.loads(out.stdout)["format"]["duration"])


def test_transcoded_hls_plays_from_outside(stack, media_dir) -> None:
    lib = stack.library("movies")
    key = lib["prefix"] + "Solaris (1972).mkv"
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=key, Body=media_dir["mkv_hevc"].read_bytes()
    )
    item = stack.item_at(lib["id"], key)
    session = stack.post(f"/items/{item['id']}/playback", {"profile": "chrome"}).json()
    assert session["method"] == "Transcode", session
    job = stack.job_finished(lambda: requests.get(session["status_url"], timeout=10).json())
    assert job["status"] == "ready", job
    master = requests.get(session["url"], timeout=10)
    assert master.status_code == 200
    playlist = m3u8.loads(master.text)
    assert playlist.is_variant and playlist.playlists
    media = m3u8.loads(
        requests.get(
            playlist.playlists[0].absolute_uri
            if playlist.playlists[0].base_uri
            else playlist.playlists[0].uri,
            timeout=10,
        ).text
    )
    assert media.segments and media.is_endlist
    played = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", session["url"], "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert played.returncode == 0, played.stderr[-800:]
    assert probe_duration(session["url"]) == pytest.approx(item["duration"], abs=0.5)

    # asking again is answered from the content store at once
    again = stack.post(f"/items/{item['id']}/playback", {"profile": "chrome"}).json()
    assert (again["transcode_id"], again["status"]) == (session["transcode_id"], "ready")
    cache = stack.get("/transcode/cache").json()
    assert any(e["h"] == session["transcode_id"] and e["complete"] for e in cache["entries"])


def test_providers_are_listed_with_availability(stack) -> None:
    providers = {p["name"]: p for p in stack.get("/transcode/providers").json()["providers"]}
    assert providers["software"]["available"] is True
    assert providers["remux"]["available"] is True
    for hw in ("nvenc", "vaapi", "qsv"):
        assert providers[hw]["available"] is False and providers[hw]["reason"]


def test_cli_transcode_waits_with_a_progress_bar(stack, media_dir) -> None:
    import sys
    from pathlib import Path

    lib = stack.library("movies")
    key = lib["prefix"] + "Stalker Two (1980).webm"
    stack.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=media_dir["webm"].read_bytes())
    item = stack.item_at(lib["id"], key)
    viewra = str(Path(sys.executable).with_name("viewra"))
    run = subprocess.run(
        [
            viewra,
            "--api",
            stack.api,
            "transcode",
            item["id"],
            "--profile",
            "roku",
            "--wait",
            "--timeout",
            "180",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=stack.env | {"COLUMNS": "200"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "100.0%" in run.stdout and "ready" in run.stdout
    url = run.stdout.strip().splitlines()[-1].removeprefix("url: ")
    played = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", url, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert played.returncode == 0, played.stderr[-500:]


def test_a_replaced_source_is_refused_to_ffmpeg_and_the_job_says_why(
    stack, media_dir, monkeypatch
) -> None:
    """The worker does not HEAD the source first: ffmpeg's own requests carry If-Match with the
    job's ETag, and the emulator refuses them (412) once the key holds other bytes."""
    from viewra.bootstrap import build_transcoder
    from viewra.common.settings import Settings
    from viewra.transcoding.jobs import get_job, request_transcode
    from viewra.transcoding.params import SourceRef, TranscodeParams

    s3 = stack.client("s3")
    key = stack.library("movies")["prefix"] + "Replaced Later (1999).mp4"
    s3.put_object(Bucket=stack.bucket, Key=key, Body=media_dir["mp4_faststart"].read_bytes())
    head = s3.head_object(Bucket=stack.bucket, Key=key)
    first = SourceRef(bucket=stack.bucket, key=key, etag=head["ETag"], size=head["ContentLength"])
    s3.put_object(Bucket=stack.bucket, Key=key, Body=media_dir["webm"].read_bytes())

    # the request as the API would make it, but for the first object's identity
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "viewra-local")
    settings = Settings.from_env({**stack.env, "AWS_ENDPOINT_URL": stack.endpoint})
    tc = build_transcoder(settings)
    requested = request_transcode(tc, first, TranscodeParams(max_height=120))
    job = stack.wait_for(
        lambda: (j := get_job(tc, requested.h)).status.value in {"failed", "ready"} and j,
        120,
        "the job on a replaced source",
    )
    assert job.status.value == "failed"
    assert (job.error or "").startswith("source object changed since the request"), job.error
    # ffmpeg's own request was refused (412 is "4XX" to ffmpeg), not a look before it
    assert "ffmpeg exited" in (job.error or "") and "4XX" in (job.error or ""), job.error
    assert "X-Amz-Signature" not in (job.error or "")  # ffmpeg names its presigned input
    # this job's own folder: the shared stack holds other jobs' outputs, and a hash sharing the
    # first two hex digits (content/{h[:2]}/) is one in 256 per other job
    from viewra.transcoding.models import job_prefix

    content = s3.list_objects_v2(Bucket=settings.content_bucket, Prefix=job_prefix(requested.h))
    assert not any(o["Key"].endswith("manifest.json") for o in content.get("Contents", []))

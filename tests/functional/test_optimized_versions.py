"""Optimized versions on ingest, through the handlers (in-process moto, the real ffmpeg and
MediaInfo): a library names presets; a dropped file gets the versions that fit it queued after
its scan, once per content address; the worker makes them; a device that cannot play the
original direct-plays a ready version, and says so; one that can plays the original."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.functional.conftest import invoke_scan
from tests.functional.test_scan_handler import created
from tests.functional.test_transcode_support import queued_messages
from viewra.bootstrap import get_services, reset_services
from viewra.common.settings import get_settings
from viewra.media.models.catalogue import item_id
from viewra.transcoding.service import run_transcode_message

PRESETS = ["1080p-h264-8mbps", "720p-h264-3mbps"]
KEY = "movies/Stalker (1979)/Stalker.1979.mkv"
# a device that plays H.264 + AAC in MP4 only (a typical browser or TV app)
H264_ONLY = {
    "Name": "h264-aac-only",
    "MaxStreamingBitrate": 40_000_000,
    "DirectPlayProfiles": [{"Container": "mp4,m4v", "Type": "Video", "VideoCodec": "h264",
                            "AudioCodec": "aac"}],
    "TranscodingProfiles": [{"Container": "ts", "Type": "Video", "VideoCodec": "h264",
                             "AudioCodec": "aac", "Protocol": "hls", "Context": "Streaming"}],
    "CodecProfiles": [{"Type": "Video", "Codec": "h264", "Conditions": [
        {"Condition": "LessThanEqual", "Property": "VideoLevel", "Value": "41"},
        {"Condition": "EqualsAny", "Property": "VideoProfile",
         "Value": "high|main|baseline|constrained baseline"},
    ]}],
}  # fmt: skip


@pytest.fixture
def fast_transcodes(services, monkeypatch: pytest.MonkeyPatch):
    """The same stack, its worker reading sources by download (ffmpeg cannot reach in-process
    moto by URL) at ffmpeg's fastest preset."""
    monkeypatch.setenv("VIEWRA_TRANSCODE_INPUT_MODE", "download")
    monkeypatch.setenv("VIEWRA_TRANSCODE_PRESET", "ultrafast")
    get_settings.cache_clear()
    reset_services()
    return get_services()


def call(api, method: str, path: str, body: Any = None):
    return api.http.request(
        method, path, body=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def drop(services, key: str, path) -> None:
    services.objects._s3.put_object(
        Bucket=services.settings.media_bucket, Key=key, Body=path.read_bytes()
    )
    assert invoke_scan(services, created(services, key)) == {"batchItemFailures": []}


def play(api, iid: str, profile: Any, **options: Any) -> dict[str, Any]:
    r = call(api, "POST", f"/items/{iid}/playback", {"profile": profile, **options})
    assert r.status_code == 201, r.json_body
    return r.json_body


def test_a_library_names_known_presets(api) -> None:
    presets = api.http.get("/transcode/presets").json_body["presets"]
    assert {"1080p-h264-8mbps", "720p-h264-3mbps", "aac-256k"} <= {p["name"] for p in presets}

    r = call(
        api, "POST", "/libraries", {"name": "M", "prefix": "m/", "optimized_versions": PRESETS}
    )
    assert r.status_code == 201 and r.json_body["library"]["optimized_versions"] == PRESETS
    library_id = r.json_body["library"]["id"]
    listed = api.http.get("/libraries").json_body["libraries"]
    assert [lib["optimized_versions"] for lib in listed] == [PRESETS]

    for body in ({"optimized_versions": ["4k-av1"]}, {"optimized_versions": PRESETS * 2}):
        bad = call(api, "PATCH", f"/libraries/{library_id}", body)
        assert (bad.status_code, bad.json_body["error"]["code"]) == (422, "UnknownPreset")
    bad = call(
        api, "POST", "/libraries", {"name": "N", "prefix": "n/", "optimized_versions": ["x"]}
    )
    assert (bad.status_code, bad.json_body["error"]["code"]) == (422, "UnknownPreset")
    assert api.http.get("/libraries").json_body["libraries"][0]["optimized_versions"] == PRESETS

    r = call(api, "PATCH", f"/libraries/{library_id}", {"optimized_versions": ["aac-256k"]})
    assert r.status_code == 200 and r.json_body["optimized_versions"] == ["aac-256k"]
    assert api.http.get(f"/libraries/{library_id}").json_body["optimized_versions"] == ["aac-256k"]
    spec = api.http.get("/openapi.json").json_body
    assert "optimized_versions" in spec["components"]["schemas"]["LibraryCreate"]["properties"]
    assert "/transcode/presets" in spec["paths"]


def run_scan_queue(services) -> None:
    """Deliver what the scan queue holds (a library scan's fan-out) until it is empty."""
    while bodies := queued_messages(services.settings, services.settings.scan_queue):
        assert invoke_scan(services, *bodies) == {"batchItemFailures": []}


def test_versions_are_queued_once_made_and_direct_played_where_the_original_is_not(
    api, fast_transcodes, media_dir, tmp_path
) -> None:
    services = fast_transcodes
    # Given a library that asks for a 1080p and a 720p version of everything
    call(api, "POST", "/libraries", {"name": "Movies", "prefix": "movies/", "kind": "movies",
                                     "optimized_versions": PRESETS})  # fmt: skip
    run_scan_queue(services)  # the library's own first scan: nothing to list yet
    # When a 720p HEVC + AC-3 film is dropped in
    drop(services, KEY, media_dir["hevc_720p"])
    iid = item_id(services.settings.media_bucket, KEY)
    # Then only the 720p version is queued (the 1080p box is larger than the source)
    [message] = queued_messages(services.settings)
    item = api.http.get(f"/items/{iid}").json_body
    [version] = item["optimized_versions"]
    assert (version["preset"], version["h"], version["status"]) == (
        "720p-h264-3mbps",
        message["h"],
        "queued",
    )

    # A replay of the event, and a re-catalogue (a sidecar came) ask for nothing new
    assert invoke_scan(services, created(services, KEY)) == {"batchItemFailures": []}
    srt = tmp_path / "Stalker.1979.en.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nZone.\n", encoding="utf-8")
    drop(services, "movies/Stalker (1979)/Stalker.1979.en.srt", srt)
    assert queued_messages(services.settings) == []
    assert api.http.get(f"/items/{iid}").json_body["optimized_versions"][0]["h"] == message["h"]

    # While the version is not ready, the browser-like device gets a live transcode
    assert play(api, iid, H264_ONLY)["method"] == "Transcode"

    # When the worker has made it
    assert run_transcode_message(services.transcode, message) == "ready"
    version = api.http.get(f"/items/{iid}").json_body["optimized_versions"][0]
    assert version["status"] == "ready"

    # Then a device that cannot play the original direct-plays the version, and says so
    session = play(api, iid, H264_ONLY)
    decision = session["decision"]
    assert session["method"] == "DirectPlay" == decision["method"]
    assert decision["optimized_version"] == "720p-h264-3mbps"
    assert "OptimizedVersion" in decision["reasons"]
    assert "VideoCodecNotSupported" in decision["reasons"]  # why the original would not play
    assert session["transcode_id"] == message["h"]
    assert f"/{message['h']}/video.mp4" in session["url"]
    assert services.settings.content_bucket in session["url"]
    # the same with chrome's built-in profile
    assert play(api, iid, "chrome")["decision"]["optimized_version"] == "720p-h264-3mbps"
    # The engine judged the version by what the worker probed in it: at ffmpeg's ultrafast
    # preset (these tests') x264 writes Constrained Baseline under the High cap, so a device
    # that takes High only is not given it
    strict = json.loads(
        json.dumps(H264_ONLY).replace("high|main|baseline|constrained baseline", "high")
    )
    assert play(api, iid, strict)["method"] == "Transcode"

    # A device that plays the original still direct-plays the original
    kodi = play(api, iid, "kodi")
    assert kodi["method"] == "DirectPlay" and kodi["decision"]["optimized_version"] is None
    assert services.settings.media_bucket in kodi["url"] and "Stalker.1979.mkv" in kodi["url"]
    # The version carries the default (English) track only: asking for French transcodes
    french = play(api, iid, H264_ONLY, audio_stream_index=2)
    assert french["method"] == "Transcode" and french["decision"]["optimized_version"] is None
    # And a cap under the version's bitrate transcodes too
    capped = play(api, iid, H264_ONLY, max_streaming_bitrate=300_000)
    assert capped["method"] == "Transcode"

    # When the file is replaced with other bytes, it gets a new version
    queued_messages(services.settings)  # (the live transcodes asked for above)
    drop(services, KEY, media_dir["hevc_720p_other"])
    [again] = queued_messages(services.settings)
    assert again["h"] != message["h"]
    [version] = api.http.get(f"/items/{iid}").json_body["optimized_versions"]
    assert (version["h"], version["status"]) == (again["h"], "queued")
    # and until it is made, the old version (of the old bytes) is not offered
    assert play(api, iid, H264_ONLY)["method"] == "Transcode"


def test_a_library_scan_after_the_presets_changed_catches_items_up(api, services, media_dir):
    r = call(api, "POST", "/libraries", {"name": "Movies", "prefix": "movies/"})
    library_id = r.json_body["library"]["id"]
    run_scan_queue(services)
    drop(services, KEY, media_dir["hevc_720p"])
    iid = item_id(services.settings.media_bucket, KEY)
    assert queued_messages(services.settings) == []
    assert api.http.get(f"/items/{iid}").json_body["optimized_versions"] == []

    call(api, "PATCH", f"/libraries/{library_id}", {"optimized_versions": ["480p-h264-1.5mbps"]})
    assert api.http.post(f"/libraries/{library_id}/scan").status_code == 202
    run_scan_queue(services)
    [message] = queued_messages(services.settings)
    [version] = api.http.get(f"/items/{iid}").json_body["optimized_versions"]
    assert (version["preset"], version["h"], version["status"]) == (
        "480p-h264-1.5mbps",
        message["h"],
        "queued",
    )
    # the same scan again: nothing new
    assert api.http.post(f"/libraries/{library_id}/scan").status_code == 202
    run_scan_queue(services)
    assert queued_messages(services.settings) == []


def test_racing_scans_of_one_new_file_queue_each_version_once(api, services, media_dir) -> None:
    """Two deliveries of the same new object at once (S3 sends duplicates): each plans the same
    addresses, and the conditional job create lets one message through per address."""
    presets = [*PRESETS, "480p-h264-1.5mbps"]
    call(
        api, "POST", "/libraries", {"name": "M", "prefix": "movies/", "optimized_versions": presets}
    )
    run_scan_queue(services)
    services.objects._s3.put_object(
        Bucket=services.settings.media_bucket, Key=KEY, Body=media_dir["hevc_720p"].read_bytes()
    )
    event = created(services, KEY)
    barrier = threading.Barrier(3)

    def deliver() -> dict[str, Any]:
        barrier.wait()
        return invoke_scan(services, event)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: deliver(), range(3)))
    assert answers == [{"batchItemFailures": []}] * 3
    messages = queued_messages(services.settings)
    iid = item_id(services.settings.media_bucket, KEY)
    versions = api.http.get(f"/items/{iid}").json_body["optimized_versions"]
    assert sorted(m["h"] for m in messages) == sorted(v["h"] for v in versions)
    assert [v["preset"] for v in versions] == ["720p-h264-3mbps", "480p-h264-1.5mbps"]

"""The web app end to end, in Debian's Chromium (playwright-core drives /usr/bin/chromium; no
browser is downloaded) against the running stack: web/e2e/run.mjs creates a library in the UI,
the files it uploads appear without a reload, an H.264/AAC MP4 plays directly and an H.264/AC-3
MKV through HLS with its audio transcoded, each past 3 s; the first is then under "Continue
watching" with its position; its sidecar .srt, chosen in the player, shows a cue (a <track> of
the WebVTT the API converts). Screenshots (desktop and mobile: home, library, detail, player) go
to build/screenshots/, and axe-core finds no serious accessibility violation on those pages."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from tests.integration.browser import ROOT, WEB, browser_missing, run_in_chromium
from tests.media_factory import run_ffmpeg

pytestmark = pytest.mark.integration

SCREENSHOTS = ROOT / "build" / "screenshots"
CUE = "Subtitles from a sidecar"
SECONDS = 20  # stopping at ~3.5 s is 17 %: between the resume thresholds (5 % and 90 %)


def _missing() -> str | None:
    if missing := browser_missing():
        return missing
    if not (WEB / "dist" / "index.html").exists():
        return "needs the built app (make web)"
    return None


@pytest.fixture(scope="module")
def e2e_media(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("e2e-media")
    video = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={SECONDS}"]
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-pix_fmt", "yuv420p"]
    mp4 = out / "Test Pattern (2001).mp4"
    run_ffmpeg([*video, *audio, *h264, "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart",
                str(mp4)])  # fmt: skip
    mkv = out / "Sine Wave (2002).mkv"
    run_ffmpeg([*video, *audio, *h264, "-c:a", "ac3", "-b:a", "96k", str(mkv)])
    return {"mp4": mp4, "mkv": mkv}


def test_browse_and_play_in_chromium(stack, e2e_media) -> None:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    prefix = f"e2e-{uuid.uuid4().hex[:8]}/"
    s3 = stack.client("s3")
    uploads = []
    for name, title in (("mp4", "Test Pattern"), ("mkv", "Sine Wave")):
        path = e2e_media[name]
        url = s3.generate_presigned_url(
            "put_object", Params={"Bucket": stack.bucket, "Key": prefix + path.name}
        )
        uploads.append({"name": name, "title": title, "url": url, "file": str(path)})
    # the first's sidecar subtitle: one cue over nearly the whole file, so it is on whenever
    # the player looks (the browser shows it as a <track> converted to WebVTT by the API)
    srt = e2e_media["mp4"].with_name("Test Pattern (2001).en.srt")
    srt.write_text(f"1\n00:00:00,500 --> 00:00:{SECONDS - 1:02d},000\n{CUE}\n")
    srt_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": stack.bucket, "Key": prefix + srt.name}
    )
    broken = e2e_media["mkv"].with_name("Broken (2003).mkv")
    broken.write_bytes(os.urandom(64 * 1024))  # not media: listed under "Failed items"
    broken_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": stack.bucket, "Key": prefix + broken.name}
    )
    plan = {
        "api": stack.api,
        "user": {"name": stack.admin[0], "password": stack.admin[1]},
        "name": f"Movies {prefix[4:-1]}",
        "prefix": prefix,
        "uploads": uploads,
        "broken": {"url": broken_url, "file": str(broken), "name": broken.name},
        "sidecar": {"url": srt_url, "file": str(srt), "name": srt.name},
        "screenshots": str(SCREENSHOTS),
    }
    result = run_in_chromium("run.mjs", plan, timeout=240)
    assert result["appeared_without_reload"]
    assert broken.name in result["failed_items"]
    assert result["methods"]["first"]["method"] == "DirectPlay"
    assert result["methods"]["first"]["currentTime"] > 3
    subtitle = result["subtitle"]
    assert subtitle["text"] == CUE and "English" in subtitle["label"], subtitle
    assert subtitle["method_after"] == "DirectPlay"  # shown beside the file, not burned in
    assert result["methods"]["second"]["method"] in {"Transcode", "DirectStream"}
    assert "AudioCodecNotSupported" in result["methods"]["second"]["why"]
    assert result["methods"]["second"]["currentTime"] > 3
    assert result["signed_in"]
    for page in ("home", "library", "detail", "player"):
        for size in ("desktop", "mobile"):
            assert (SCREENSHOTS / f"{page}-{size}.png").stat().st_size > 0
            serious = [
                v for v in result["axe"][f"{page}-{size}"] if v["impact"] in {"serious", "critical"}
            ]
            assert serious == [], (page, size, serious)
            assert result["overflow"][f"{page}-{size}"] <= 0, (page, size)
    for size in ("desktop", "mobile"):  # the libraries menu, open
        assert result["overflow"][f"menu-{size}"] <= 0, size
        assert not [
            v for v in result["axe"][f"menu-{size}"] if v["impact"] in {"serious", "critical"}
        ]
    print(json.dumps({k: result[k] for k in ("seconds", "steps")}))  # shown with -s

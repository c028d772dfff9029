"""Running ffprobe: its JSON, {} when it fails, and a background probe at the lowest priority
(it runs beside the job's ffmpeg, see SegmentProbe)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from viewra.transcoding.worker import ffprobe

# a stand-in ffprobe that answers with its own niceness once the parent has had time to set it
FAKE = """#!{python}
import json, os, sys, time
time.sleep(0.3)
if sys.argv[-1].endswith("broken"):
    sys.exit(1)
print(json.dumps({{"format": {{"nice": os.nice(0), "target": sys.argv[-1]}}}}))
"""


@pytest.fixture
def fake_ffprobe(tmp_path: Path) -> str:
    path = tmp_path / "ffprobe"
    path.write_text(FAKE.format(python=sys.executable))
    path.chmod(0o755)
    return str(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="setpriority on a child")
def test_a_background_probe_runs_at_nice_19_and_a_plain_one_as_its_parent(
    fake_ffprobe: str,
) -> None:
    import os

    parent = os.nice(0)
    background = ffprobe(fake_ffprobe, "/x/seg.ts", background=True)
    plain = ffprobe(fake_ffprobe, "/x/seg.ts")

    assert background["format"] == {"nice": 19, "target": "/x/seg.ts"}
    assert plain["format"]["nice"] == parent


def test_a_failed_or_timed_out_probe_is_empty(fake_ffprobe: str) -> None:
    assert ffprobe(fake_ffprobe, "/x/broken") == {}
    assert ffprobe(fake_ffprobe, "/x/slow.ts", timeout=0.05) == {}
    assert ffprobe("/nonexistent/ffprobe", "/x/a.ts") == {}


def test_a_presigned_url_in_ffmpeg_words_loses_its_signed_query() -> None:
    from viewra.transcoding.worker import redact_urls

    said = (
        "http://127.0.0.1:4566/media/movies/A%20B.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
        "X-Amz-Credential=key%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T0712Z"
        "&X-Amz-Signature=f86eb078: Server returned 4XX Client Error"
    )
    redacted = redact_urls(said)
    assert (
        redacted
        == "http://127.0.0.1:4566/media/movies/A%20B.mp4?…: Server returned 4XX Client Error"
    )
    assert redact_urls("Invalid data found when processing input") == (
        "Invalid data found when processing input"
    )

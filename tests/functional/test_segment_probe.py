"""The first segment's streams, read in process by MediaInfo (the scan's prober), agree with
ffprobe's on real segments ffmpeg writes; where MediaInfo cannot tell, ffprobe is asked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from viewra.transcoding.params import TranscodeParams
from viewra.transcoding.worker import SegmentProbe, _probed_summary, _stream_summary, ffprobe

# (video encoder and its options, audio encoder, segment type): what the worker's outputs hold
OUTPUTS = {
    "h264-aac-ts": (["libx264", "-profile:v", "high"], ["aac", "-ac", "2"], "mpegts"),
    "h264-baseline-ac3-ts": (["libx264", "-profile:v", "baseline"], ["ac3", "-ac", "6"], "mpegts"),
    "hevc-aac-fmp4": (
        ["libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error"],
        ["aac", "-ac", "2"],
        "fmp4",
    ),
}


def _segments(out: Path, video: list[str], audio: list[str], kind: str) -> Path:
    out.mkdir()
    suffix = "m4s" if kind == "fmp4" else "ts"
    cmd = [
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=426x240:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000",
        "-t", "2", "-c:v", video[0], *video[1:], "-preset", "ultrafast",
        "-c:a", audio[0], *audio[1:],
        "-f", "hls", "-hls_time", "1", "-hls_segment_type", kind,
        "-hls_segment_filename", str(out / f"seg_%05d.{suffix}"), str(out / "media.m3u8"),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out / f"seg_00000.{suffix}"


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_mediainfo_reads_a_segment_as_ffprobe_does(tmp_path: Path, name: str) -> None:
    video, audio, kind = OUTPUTS[name]
    segment = _segments(tmp_path / "out", video, audio, kind)
    probe = SegmentProbe("ffprobe", TranscodeParams(container="mp4" if kind == "fmp4" else "ts"),
                         segment.parent)  # fmt: skip
    target = segment
    if kind == "fmp4":  # what SegmentProbe reads: the init section and the segment joined
        target = tmp_path / "joined.mp4"
        target.write_bytes((segment.parent / "init.mp4").read_bytes() + segment.read_bytes())

    ours = _probed_summary(target)
    theirs = _stream_summary(ffprobe("ffprobe", str(target)))

    assert ours and ours == theirs
    assert [s["type"] for s in ours] == ["video", "audio"]
    assert ours[0]["codecs"].startswith("hvc1." if "hevc" in name else "avc1.")
    assert probe.streams(segment.name) == theirs  # the worker's own path to it


def test_what_mediainfo_cannot_read_is_asked_of_ffprobe(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "seg_00000.ts").write_bytes(b"\x00not a transport stream" * 64)
    calls = tmp_path / "calls"
    stand_in = tmp_path / "ffprobe"
    stand_in.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(calls)!r}, 'a').write(sys.argv[-1] + '\\n')\n"
        "print(json.dumps({'streams': [{'codec_type': 'audio', 'codec_name': 'aac',"
        " 'profile': 'LC', 'channels': 2, 'sample_rate': '48000'}]}))\n"
    )
    stand_in.chmod(0o755)

    assert _probed_summary(out / "seg_00000.ts") == []
    streams = SegmentProbe(str(stand_in), TranscodeParams(), out).streams("seg_00000.ts")

    assert calls.read_text().split() == [str(out / "seg_00000.ts")]
    assert streams == [
        {"type": "audio", "codec": "aac", "codecs": "mp4a.40.2", "channels": 2,
         "sample_rate": "48000"}
    ]  # fmt: skip
    assert json.dumps(streams)  # the manifest's shape: plain JSON

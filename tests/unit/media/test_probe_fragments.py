"""A fragmented MP4's length from its index: mehd, the mfra and the last moof, sidx, or the last
moof near the end. Each writer layout ffmpeg makes is probed through the ranged reader and
compared with ffprobe reading the whole file; a damaged index is no length, not an error."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.media_factory import run_ffmpeg
from viewra.media.probe import probe_reader
from viewra.media.probe.fragments import fragmented_duration
from viewra.media.probe.reader import BlockReader, FileRangeSource

SECONDS = 6
LAYOUTS = {
    "mfra": ["-movflags", "frag_keyframe+empty_moov"],
    "mfra, base moof": ["-movflags", "frag_keyframe+empty_moov+default_base_moof"],
    "dash sidx and mfra": ["-movflags", "dash+global_sidx"],
    "sidx only": ["-movflags", "frag_keyframe+empty_moov+global_sidx+skip_trailer"],
    "no index": ["-movflags", "frag_keyframe+empty_moov+skip_trailer"],
    # fragments every 0.5 s, key frames every 4 s: the last fragments have no random access point
    "fragments without key frames": [
        "-frag_duration",
        "500000",
        "-movflags",
        "empty_moov+default_base_moof",
        "-g",
        "100",
    ],
}


def _reader(path: Path) -> BlockReader:
    return BlockReader(FileRangeSource(path), block_size=16 * 1024, max_bytes=64 << 20)


def _ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fmp4")
    made = {}
    for name, flags in LAYOUTS.items():
        path = folder / f"{name.replace(' ', '_').replace(',', '')}.mp4"
        args = ["-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=25:duration={SECONDS}"]
        args += ["-f", "lavfi", "-i", f"sine=duration={SECONDS}", "-c:v", "libx264"]
        args += ["-preset", "ultrafast", "-g", "25", "-c:a", "aac", *flags, str(path)]
        run_ffmpeg(args)
        made[name] = path
    return made


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_fragmented_mp4_is_as_long_as_ffprobe_says(fragmented, layout: str) -> None:
    path = fragmented[layout]
    reader = _reader(path)
    result = probe_reader(reader)
    whole = _ffprobe(path)
    assert result.duration == pytest.approx(float(whole["format"]["duration"]), abs=0.1)
    assert {s.type.value for s in result.streams} == {"video", "audio"}
    [video] = [s for s in result.streams if s.type.value == "video"]
    [theirs] = [s for s in whole["streams"] if s["codec_type"] == "video"]
    num, den = theirs["r_frame_rate"].split("/")
    assert video.frame_rate == pytest.approx(int(num) / int(den), abs=0.01)


def test_a_movie_that_is_not_fragmented_has_no_fragment_length(fragmented, tmp_path) -> None:
    plain = tmp_path / "plain.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
                "-c:v", "libx264", "-preset", "ultrafast", str(plain)])  # fmt: skip
    assert fragmented_duration(_reader(plain)) is None


def test_mehd_is_the_length_when_the_writer_knew_it(tmp_path) -> None:
    """ffmpeg writes no mehd; a moov with mvex/mehd (25 s at timescale 1000) is built here."""

    def box(kind: bytes, payload: bytes) -> bytes:
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    mvhd = box(b"mvhd", bytes(4) + bytes(8) + (1000).to_bytes(4, "big") + bytes(4) + bytes(80))
    mehd = box(b"mehd", bytes(4) + (25_000).to_bytes(4, "big"))
    path = tmp_path / "mehd.mp4"
    path.write_bytes(box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", mvhd + box(b"mvex", mehd)))
    assert fragmented_duration(_reader(path)) == 25.0


def test_a_damaged_index_is_no_length_and_no_error(fragmented, tmp_path) -> None:
    data = bytearray(fragmented["mfra"].read_bytes())
    broken = tmp_path / "broken.mp4"
    data[-4:] = (len(data) * 2).to_bytes(4, "big")  # an mfro pointing before the file
    broken.write_bytes(bytes(data))
    fragmented_duration(_reader(broken))  # the other ways may still find it: no exception
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(fragmented["mfra"].read_bytes()[: len(data) // 2])
    result = probe_reader(_reader(cut))  # the last whole fragment near the cut
    assert result.duration is None or 0 < result.duration <= SECONDS + 0.1


def test_a_fragmented_mp4_at_an_ntsc_rate_keeps_it(tmp_path) -> None:
    path = tmp_path / "ntsc.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30000/1001:duration=3",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "15",
                "-movflags", "frag_keyframe+empty_moov", str(path)])  # fmt: skip
    result = probe_reader(_reader(path))
    assert result.streams[0].frame_rate == 29.97
    assert result.duration == pytest.approx(3.0, abs=0.05)

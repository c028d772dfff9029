"""Every container family is probed from a head and a tail, and says what ffprobe says.

The files are a few MB (tests/media_factory.py ``container_sample``), so a probe that reads them
whole, or MediaInfo's own 8-16 MB from each end, shows up as a read of most of the file; the bound
below is what a head and a tail cost. Answers are compared with ffprobe on the whole local file.
Damaged files are cut copies of the same samples.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.media_factory import CONTAINER_RECIPES, MediaSet, ffmpeg_available
from viewra.media.models.items import StreamType
from viewra.media.probe import BlockReader, FileRangeSource, ProbeError, probe_reader
from viewra.media.probe import timestamps as ts
from viewra.media.probe.feed import Family, sniff

pytestmark = pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed")

# A head and a tail of a file: well under what reading the file (3+ MB) would cost.
MAX_READ = 600 * 1024

FAMILIES = {
    "ts": Family.MPEG_TS,
    "m2ts": Family.M2TS,
    "mpeg_ps": Family.MPEG_PS,
    "avi": Family.AVI,
    "asf": Family.ASF,
    "flv": Family.FLV,
    "mkv": Family.MATROSKA,
    "mp4": Family.ISO_BMFF,
    "ogg": Family.OGG,
}


def ffprobe(path: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", *extra, path],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def probe_counted(path: Path):
    reader = BlockReader(FileRangeSource(path), max_bytes=64 << 20)
    return probe_reader(reader), reader


def rate(text: str) -> float:
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)


def test_the_families_are_told_apart_by_their_first_bytes(media_dir: MediaSet) -> None:
    for name, family in FAMILIES.items():
        head = media_dir[f"sample_{name}"].read_bytes()[:1024]
        assert sniff(head) is family, name
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") is Family.WAV
    assert sniff(b"\x47" + bytes(200)) is Family.OTHER  # one sync byte is not a transport stream


@pytest.mark.parametrize("name", sorted(CONTAINER_RECIPES))
def test_each_container_is_probed_from_its_ends_and_matches_ffprobe(
    media_dir: MediaSet, name: str
) -> None:
    path = media_dir[f"sample_{name}"]
    result, reader = probe_counted(path)
    reference = ffprobe(path)

    assert reader.bytes_fetched <= MAX_READ, (name, reader.bytes_fetched, reader.size)
    assert result.duration == pytest.approx(float(reference["format"]["duration"]), abs=0.5)
    theirs = [s for s in reference["streams"] if s["codec_type"] in {"video", "audio"}]
    ours = [s for s in result.streams if s.type in {StreamType.VIDEO, StreamType.AUDIO}]
    assert [s.codec for s in ours] == [s["codec_name"] for s in theirs]
    video = next(s for s in ours if s.type is StreamType.VIDEO)
    their_video = next(s for s in theirs if s["codec_type"] == "video")
    assert (video.width, video.height) == (their_video["width"], their_video["height"])
    assert video.frame_rate == pytest.approx(rate(their_video["r_frame_rate"]), abs=0.01)
    audio = next(s for s in ours if s.type is StreamType.AUDIO)
    assert audio.channels == 2
    if name not in {"flv", "avi", "mpeg_ps"}:  # these containers store no language
        assert audio.language == "fra"


def test_a_transport_stream_is_not_read_whole_whatever_its_size(tmp_path: Path) -> None:
    """Given the 16 MiB budget's worth of TS, what a probe reads stays a head and a tail."""
    from tests.media_factory import container_sample

    path = container_sample(tmp_path, "ts", seconds=20, kbps=8000)  # ~20 MB
    result, reader = probe_counted(path)
    assert reader.bytes_fetched < 400 * 1024
    assert result.duration == pytest.approx(20.0, abs=0.5)


def test_pts_spacing_gives_the_standard_rate_and_durations_cross_the_wrap() -> None:
    scan = ts.Scan()
    pts = 1000
    for i in range(12):  # 23.976: 3753.75 ticks, stored as 3753 or 3754
        scan.add_pts(0x100, pts, video=True)
        pts += 3754 if i % 4 == 0 else 3753
    assert ts.frame_rate(scan) == pytest.approx(23.976)
    head, tail = ts.Scan(), ts.Scan()
    head.add_pts(1, ts.WRAP - 90_000, video=False)  # a second before the counter wraps
    tail.add_pts(1, 9 * 90_000, video=False)
    tail.add_pts(1, 9 * 90_000 + 1920, video=False)
    assert ts.duration(head, tail) == pytest.approx(10.0 + 1920 / 90_000 + 1920 / 90_000, abs=0.01)


def test_an_mp4_cut_short_with_its_index_first_fails_with_the_reason(media_dir: MediaSet) -> None:
    with pytest.raises(ProbeError) as exc:
        probe_counted(media_dir["mp4_moov_first_cut"])
    assert "truncated: the 'mdat' box ends at byte" in str(exc.value)


def test_a_matroska_file_cut_mid_cluster_is_damaged_with_the_duration_that_plays(
    media_dir: MediaSet,
) -> None:
    path = media_dir["mkv_cut"]
    result, _ = probe_counted(path)
    packets = ffprobe(path, "-show_entries", "packet=pts_time")["packets"]
    last_played = max(float(p["pts_time"]) for p in packets)

    assert result.damage and "Matroska segment ends at byte" in result.damage
    assert result.duration == pytest.approx(last_played, abs=0.2)
    assert result.duration < 6  # of 8 s: the header's duration is not what plays


def test_a_transport_stream_cut_mid_packet_is_damaged_and_timed_to_its_end(
    media_dir: MediaSet,
) -> None:
    path = media_dir["ts_cut"]
    result, _ = probe_counted(path)
    assert result.damage and "last transport packet holds" in result.damage
    assert result.duration == pytest.approx(float(ffprobe(path)["format"]["duration"]), abs=0.5)


def test_whole_files_are_not_damaged(media_dir: MediaSet) -> None:
    for name in FAMILIES:
        result, _ = probe_counted(media_dir[f"sample_{name}"])
        assert result.damage is None, name


@pytest.mark.parametrize(
    ("size", "gop", "seconds", "most"),
    [
        ("1280x720", 50, 6, 2.5),  # the first key frame ~2.0 MB in: the 2 MB head, or 8 MB
        ("640x360", 125, 24, 8.5),  # ~5 MB in (a 5 s GOP): only the 8 MB head has it
    ],
)
def test_a_recording_cut_mid_gop_is_read_wider_until_its_first_key_frame(
    tmp_path: Path, size: str, gop: int, seconds: int, most: float
) -> None:
    """A TS whose first key frame is megabytes in: the 64 KB head has no SPS, a wider head has,
    and no more of the file is read than the head that has it. (x264 on one thread: the same
    bytes every run, so the key frame is where the case says.)"""
    from tests.media_factory import run_ffmpeg

    whole = tmp_path / "gop.ts"
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]
    args += ["-f", "lavfi", "-i", f"sine=duration={seconds}"]
    args += ["-vf", "noise=alls=60:allf=t:all_seed=7", "-c:v", "libx264", "-threads", "1"]
    args += ["-preset", "ultrafast", "-g", str(gop), "-b:v", "8000k"]
    args += ["-maxrate", "8000k", "-bufsize", "8000k", "-c:a", "aac", "-f", "mpegts", str(whole)]
    run_ffmpeg(args)
    path = tmp_path / "midgop.ts"
    path.write_bytes(whole.read_bytes()[188 * 3000 :])  # from a packet half a second in

    result, reader = probe_counted(path)
    video = next(s for s in result.streams if s.type is StreamType.VIDEO)
    width, height = (int(n) for n in size.split("x"))
    assert (video.width, video.height, video.frame_rate) == (width, height, 25.0)
    assert result.duration == pytest.approx(float(ffprobe(path)["format"]["duration"]), abs=0.5)
    assert reader.bytes_fetched < most * 1024 * 1024 + 512 * 1024
    assert reader.bytes_fetched < path.stat().st_size / 2


class _LoopingParser:
    """Stands in for libmediainfo (not our code) in the feed loop: a parser that never finishes
    and keeps asking for ``target`` again, as a hostile or broken file can make it do."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.fed = 0

    def MediaInfo_Open_Buffer_Init(self, handle: object, size: int, offset: int) -> int:
        return 1

    def MediaInfo_Open_Buffer_Continue(self, handle: object, data: bytes, n: int) -> int:
        self.fed += n
        return 0

    def MediaInfo_Open_Buffer_Continue_GoTo_Get(self, handle: object) -> int:
        return self.target


def test_a_parser_that_keeps_seeking_back_is_stopped_by_the_budget(tmp_path: Path) -> None:
    from viewra.media.probe import BudgetExceeded, feed

    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(256 * 1024))
    reader = BlockReader(FileRangeSource(path), max_bytes=64 * 1024)
    parser = _LoopingParser(target=0)  # back to the start, all of it cached
    error = feed._feed(parser, None, reader, feed.ReadPlan(parse_speed=0.0))
    assert isinstance(error, BudgetExceeded)
    assert reader.bytes_fetched <= 64 * 1024
    assert parser.fed <= feed.FEED_LIMIT_FACTOR * 64 * 1024 + reader.block_size


def test_a_parser_asking_again_for_the_end_it_was_given_is_finished(tmp_path: Path) -> None:
    from viewra.media.probe import feed

    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(100_000))
    reader = BlockReader(FileRangeSource(path), max_bytes=1 << 20)
    parser = _LoopingParser(target=100_000 - 160)  # an ID3v1/APE look-up, asked for forever
    assert feed._feed(parser, None, reader, feed.ReadPlan(parse_speed=0.0)) is None
    assert parser.fed < 200_000


def test_the_program_map_says_whether_a_transport_stream_has_video(tmp_path: Path) -> None:
    """What decides whether a head with no video frame is read wider: the PMT's stream types."""
    from tests.media_factory import run_ffmpeg
    from viewra.media.probe import timestamps

    video, radio = tmp_path / "tv.ts", tmp_path / "radio.ts"
    tone = ["-f", "lavfi", "-i", "sine=duration=1"]
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", *tone,
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(video)])  # fmt: skip
    run_ffmpeg([*tone, "-c:a", "mp2", str(radio)])
    assert timestamps.declares_video(video.read_bytes()) is True
    assert timestamps.declares_video(radio.read_bytes()) is False
    assert timestamps.declares_video(bytes([0x47]) + bytes(187) * 3) is None  # no program map
    assert timestamps.declares_video(b"") is None

"""What the probe does not read: long sample tables and embedded cover pictures.

Real ffmpeg-made files: a long AAC whose ``stsz`` is bigger than the stand-in threshold (a 96 kHz
track has 94 frames a second, so 200 s make 75 KB of table), fragmented MP4, and FLAC, MP3, M4A,
Opus and Vorbis with a cover of ~800 KB of noise (a PNG that does not compress). What the probe
answers is compared with ffprobe on the whole file; what it reads is counted by the reader.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import mutagen
import pytest
from mutagen.flac import Picture
from mutagen.id3 import APIC, ID3, TALB, TIT2

from tests.media_factory import MediaSet, ffmpeg_available, run_ffmpeg
from viewra.media.models.items import CoverLocation, ProbeResult, StreamType
from viewra.media.probe import (
    BlockReader,
    FileRangeSource,
    ProbeError,
    fetch_cover,
    isobmff,
    ogg,
    probe_reader,
)
from viewra.media.probe.reader import Patch

pytestmark = pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed")


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", path],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def probe_counted(path: Path) -> tuple[ProbeResult, BlockReader]:
    reader = BlockReader(FileRangeSource(path), block_size=16 * 1024, max_bytes=64 << 20)
    return probe_reader(reader), reader


def assert_matches_ffprobe(result: ProbeResult, path: Path) -> dict[str, Any]:
    """Duration, and every stream's codec, size, frame rate, channels and language."""
    reference = ffprobe(path)
    assert result.duration == pytest.approx(float(reference["format"]["duration"]), abs=0.5)
    theirs = [
        s
        for s in reference["streams"]
        if s["codec_type"] in {"video", "audio"}
        and not s.get("disposition", {}).get("attached_pic")
    ]
    ours = [s for s in result.streams if s.type in {StreamType.VIDEO, StreamType.AUDIO}]
    assert [s.codec for s in ours] == [s["codec_name"] for s in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        language = (other.get("tags") or {}).get("language")
        assert mine.language == (None if language in (None, "und") else language)
        if mine.type is StreamType.VIDEO:
            assert (mine.width, mine.height) == (other["width"], other["height"])
            num, _, den = other["r_frame_rate"].partition("/")
            assert mine.frame_rate == pytest.approx(float(num) / float(den), abs=0.01)
        else:
            assert mine.channels == other["channels"]
    return reference


# -- the reader's patches --------------------------------------------------------------------------


class CountingSource:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)
        self.calls: list[tuple[int, int]] = []

    def read_range(self, start: int, length: int) -> bytes:
        self.calls.append((start, length))
        return self.data[start : start + length]


def test_a_patch_is_served_in_place_of_the_bytes_and_its_range_is_never_fetched() -> None:
    data = bytes(range(256)) * 64  # 16 KB
    source = CountingSource(data)
    reader = BlockReader(source, block_size=1024, max_bytes=1 << 20)
    reader.overlay([Patch(3000, b"x" * 8000)])

    assert reader.read() == data[:3000] + b"x" * 8000 + data[11000:]
    fetched = {b for start, length in source.calls for b in range(start, start + length)}
    assert not fetched & set(range(3072, 10240))  # the blocks wholly inside the patch
    assert reader.bytes_fetched < len(data) - 7000


def test_overlapping_patches_are_refused() -> None:
    reader = BlockReader(CountingSource(bytes(100)), block_size=16, max_bytes=1000)
    reader.overlay([Patch(10, b"ab")])
    with pytest.raises(ValueError, match="overlapping"):
        reader.overlay([Patch(11, b"c")])


# -- long sample tables ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_aac(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """200 s of 96 kHz AAC (18,750 frames: a 75 KB stsz), moov first and moov last."""
    root = tmp_path_factory.mktemp("long_aac")
    last = root / "moov_last.m4a"
    run_ffmpeg([
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=96000:duration=200",
        "-c:a", "aac", "-b:a", "24k", "-metadata:s:a:0", "language=fra", str(last),
    ])  # fmt: skip
    first = root / "moov_first.m4a"
    run_ffmpeg(["-i", str(last), "-c", "copy", "-movflags", "+faststart", str(first)])
    return {"moov_last": last, "moov_first": first}


@pytest.mark.parametrize("layout", ["moov_first", "moov_last"])
def test_a_long_audio_track_is_probed_without_its_sample_size_table(
    long_aac: dict[str, Path], layout: str
) -> None:
    path = long_aac[layout]
    reader = BlockReader(FileRangeSource(path), block_size=16 * 1024)
    stands = isobmff.stand_ins(reader)
    (stsz,) = [p for p in stands.patches if p.data[4:8] == b"stsz"]
    assert len(stsz.data) > isobmff.TABLE_THRESHOLD and stands.estimated

    result, counted = probe_counted(path)
    reference = assert_matches_ffprobe(result, path)
    assert counted.bytes_fetched < len(stsz.data)  # the table alone is more than the whole read
    # the bitrate is the track's declared average (esds), not measured: close to ffprobe's
    (audio,) = result.streams
    assert audio.bitrate == pytest.approx(int(reference["streams"][0]["bit_rate"]), rel=0.05)


@pytest.fixture(scope="module")
def remuxed(media_dir: MediaSet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """8 s of H.264 with B-frames (a ctts) and a key frame every 12 (an stss) + French AAC, as
    MP4 moov-first and moov-last, MOV and fragmented MP4."""
    root = tmp_path_factory.mktemp("remuxed")
    source = root / "mp4_moov_first.mp4"
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8",
        "-f", "lavfi", "-i", "sine=duration=8", "-c:v", "libx264", "-preset", "veryfast",
        "-g", "12", "-bf", "2", "-b:v", "1500k", "-c:a", "aac", "-ac", "2",
        "-metadata:s:a:0", "language=fra", "-movflags", "+faststart", str(source),
    ])  # fmt: skip
    made = {"mp4_moov_first": source}
    for name, options in {
        "mp4_moov_last": ("-f", "mp4"),
        "mov": ("-f", "mov"),
        "fragmented": ("-f", "mp4", "-movflags", "frag_keyframe+empty_moov"),
    }.items():
        made[name] = root / f"{name}.{options[1]}"
        run_ffmpeg(["-i", str(source), "-c", "copy", *options, str(made[name])])
    return made


@pytest.mark.parametrize("name", ["mp4_moov_first", "mp4_moov_last", "mov"])
def test_every_table_stood_in_keeps_what_ffprobe_says(
    remuxed: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the threshold at 64 bytes every per-sample table of a short video is a stand-in:
    a long video's, in small (3 h of 25 fps H.264 and AAC: 1 MB stsz and stco, a 1.8 MB audio
    stsc). The video's stts (one entry: constant frame rate) stays real."""
    monkeypatch.setattr(isobmff, "TABLE_THRESHOLD", 64)
    path = remuxed[name]
    stands = isobmff.stand_ins(BlockReader(FileRangeSource(path)))
    kinds = sorted(p.data[4:8] for p in stands.patches)
    # per track a constant stsz, and one chunk (stco + stsc agreeing); the video's ctts and stss
    # become free boxes
    assert kinds == sorted([b"stsz", b"stco", b"stsc"] * 2 + [b"free"] * 2)

    result, _ = probe_counted(path)
    assert_matches_ffprobe(result, path)
    video = next(s for s in result.streams if s.type is StreamType.VIDEO)
    assert video.bitrate and video.bitrate > 500_000  # the mdat's remainder (1.5 Mbit/s asked)


def test_a_fragmented_mp4_is_left_as_it_is(
    remuxed: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its moov's tables are empty (the samples are listed in each moof): nothing to stand in.

    (Its duration is not checked here: at ParseSpeed -1 MediaInfo times a fragmented file by its
    first fragment, with or without stand-ins; a gap of its own.)"""
    monkeypatch.setattr(isobmff, "TABLE_THRESHOLD", 0)
    path = remuxed["fragmented"]
    assert isobmff.stand_ins(BlockReader(FileRangeSource(path))).patches == []
    result, _ = probe_counted(path)
    assert [s.codec for s in result.streams] == ["h264", "aac"]


# -- cover pictures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_cover(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 512x512 PNG of random pixels: ~790 KB, since noise does not compress."""
    root = tmp_path_factory.mktemp("cover")
    raw = root / "noise.rgb"
    raw.write_bytes(os.urandom(512 * 512 * 3))
    path = root / "noise.png"
    run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "512x512", "-i", str(raw), str(path)])
    return path


def _tagged_audio(path: Path, cover: Path, codec: list[str]) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i", "sine=duration=3", "-i", str(cover), "-map", "0:a", "-map", "1:v",
        "-c:v", "copy", "-disposition:v", "attached_pic", "-metadata", "title=Noise Song",
        "-metadata", "album=Noise Album", *codec, str(path),
    ])  # fmt: skip
    return path


def assert_cover_skipped(path: Path, cover: Path) -> ProbeResult:
    result, reader = probe_counted(path)
    image = cover.read_bytes()
    assert reader.bytes_fetched < 200 * 1024 < len(image)  # the probe paid for none of it
    assert result.cover is None and result.cover_at is not None
    source = CountingSource(path.read_bytes())
    assert fetch_cover(source, result.cover_at, max_bytes=10 << 20) == (image, "image/png")
    assert source.calls == [(result.cover_at.offset, result.cover_at.length)]  # one exact read
    if result.cover_at.packing is None:
        assert result.cover_at.length == len(image)
    assert result.tags.title == "Noise Song" and result.tags.album == "Noise Album"
    return result


def test_a_big_flac_cover_is_located_not_read(tmp_path: Path, big_cover: Path) -> None:
    path = _tagged_audio(tmp_path / "a.flac", big_cover, ["-c:a", "flac"])
    assert_matches_ffprobe(assert_cover_skipped(path, big_cover), path)


def test_a_big_mp3_cover_is_located_not_read(tmp_path: Path, big_cover: Path) -> None:
    path = _tagged_audio(tmp_path / "a.mp3", big_cover, ["-c:a", "libmp3lame", "-b:a", "64k"])
    assert_matches_ffprobe(assert_cover_skipped(path, big_cover), path)


def test_frames_after_a_hidden_mp3_cover_are_still_read(tmp_path: Path, big_cover: Path) -> None:
    """Taggers put APIC anywhere: a frame after it (here the title) must still be found."""
    path = tmp_path / "b.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=3", "-c:a", "libmp3lame", str(path)])
    tag = ID3()
    tag.add(TALB(encoding=3, text="Noise Album"))
    tag.add(APIC(encoding=1, mime="image/png", type=3, desc="front ü", data=big_cover.read_bytes()))
    tag.add(TIT2(encoding=3, text="Noise Song"))
    tag.save(path, v2_version=4)
    assert_cover_skipped(path, big_cover)


def test_a_big_m4a_cover_is_located_not_read(tmp_path: Path, big_cover: Path) -> None:
    path = _tagged_audio(tmp_path / "a.m4a", big_cover, ["-c:a", "aac", "-b:a", "64k"])
    assert_matches_ffprobe(assert_cover_skipped(path, big_cover), path)


def _ogg_with_picture(path: Path, cover: Path, codec: str) -> Path:
    """An Ogg file whose cover is a METADATA_BLOCK_PICTURE comment, as mutagen writes it (1 MB
    of base64 over pages of 16 segments); ffmpeg makes the audio and the other tags."""
    run_ffmpeg([
        "-f", "lavfi", "-i", "sine=duration=3", "-c:a", codec, "-metadata", "title=Noise Song",
        "-metadata", "album=Noise Album", str(path),
    ])  # fmt: skip
    picture = Picture()
    picture.type, picture.mime, picture.desc = 3, "image/png", "front"
    picture.data = cover.read_bytes()
    audio = mutagen.File(path)
    audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()
    return path


@pytest.mark.parametrize(("codec", "suffix"), [("libopus", "opus"), ("libvorbis", "ogg")])
def test_a_big_ogg_cover_is_located_not_read(
    tmp_path: Path, big_cover: Path, codec: str, suffix: str
) -> None:
    path = _ogg_with_picture(tmp_path / f"a.{suffix}", big_cover, codec)
    result = assert_cover_skipped(path, big_cover)
    assert result.cover_at is not None and result.cover_at.packing == ogg.PACKING
    assert_matches_ffprobe(result, path)


def test_an_ogg_cover_is_found_page_by_page_when_the_pages_are_not_alike(
    tmp_path: Path, big_cover: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the prediction (as for pages a writer did not fill alike) every page header is
    read: the same cover and tags, at the cost of a block per header."""
    path = _ogg_with_picture(tmp_path / "a.opus", big_cover, "libopus")
    monkeypatch.setattr(ogg._Packet, "_predict", lambda self, first, n: None)
    result, reader = probe_counted(path)
    assert reader.bytes_fetched > 200 * 1024  # the headers are spread over the whole comment
    assert result.tags.title == "Noise Song" and result.cover_at is not None
    fetched = fetch_cover(FileRangeSource(path), result.cover_at, max_bytes=10 << 20)
    assert fetched == (big_cover.read_bytes(), "image/png")


def test_a_cover_larger_than_allowed_or_not_an_image_is_not_fetched() -> None:
    source = CountingSource(b"\x89PNG\r\n\x1a\n" + bytes(100) + b"not an image at all")
    assert fetch_cover(source, CoverLocation(offset=0, length=108), max_bytes=50) is None
    assert source.calls == []
    assert fetch_cover(source, CoverLocation(offset=108, length=19), max_bytes=50) is None
    assert fetch_cover(source, CoverLocation(offset=0, length=108), max_bytes=200) == (
        source.data[:108],
        "image/png",
    )


@pytest.mark.parametrize("kind", ["m4a", "flac", "mp3", "opus"])
def test_cut_or_scrambled_structures_fail_cleanly_or_probe(
    tmp_path: Path, big_cover: Path, long_aac: dict[str, Path], kind: str
) -> None:
    """A file cut inside (or scrambled after) the boxes, blocks, frames or pages the probe walks
    for its stand-ins is judged by the parsers as before: a ProbeError or an answer, nothing
    else (no struct error, no overlapping patches)."""
    whole = {
        "m4a": lambda: long_aac["moov_first"],
        "flac": lambda: _tagged_audio(tmp_path / "w.flac", big_cover, ["-c:a", "flac"]),
        "mp3": lambda: _tagged_audio(tmp_path / "w.mp3", big_cover, ["-c:a", "libmp3lame"]),
        "opus": lambda: _ogg_with_picture(tmp_path / "w.opus", big_cover, "libopus"),
    }[kind]()
    data = whole.read_bytes()
    rng = random.Random(18)
    for n, cut in enumerate((0.02, 0.05, 0.3, 0.7)):
        variants = {
            "cut": data[: int(len(data) * cut)],
            "scrambled": data[:64] + rng.randbytes(int(len(data) * cut)) + data[64:][:4096],
        }
        for name, body in variants.items():
            path = tmp_path / f"{name}{n}{whole.suffix}"
            path.write_bytes(body)
            with contextlib.suppress(ProbeError):
                probe_counted(path)


@pytest.fixture(scope="module")
def variable_rate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s of H.264 keeping 2 frames of every 5 (deltas 1, 4, 1, 4...: an stts of 2 entries per
    5 frames), with AAC: a variable frame rate, as phones record."""
    path = tmp_path_factory.mktemp("vfr") / "vfr.mp4"
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8",
        "-f", "lavfi", "-i", "sine=duration=8", "-vf", "select='lt(mod(n\\,5)\\,2)'",
        "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path),
    ])  # fmt: skip
    return path


def _without_estimates(result: ProbeResult) -> dict[str, Any]:
    answer = result.model_dump()
    for stream in answer["streams"]:
        stream.pop("bitrate")
        stream.pop("frame_rate")
    return answer


@pytest.mark.parametrize("name", ["mp4_moov_first", "mp4_moov_last", "mov", "vfr"])
def test_stand_ins_change_nothing_but_the_estimated_bitrates(
    remuxed: dict[str, Path], variable_rate: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole answer (every field of every stream, tags, duration) with every table fed as
    it is, and with every table stood in, is the same but for the stood-in tracks' bitrates and
    a variable frame rate's last digit (an average of whole ticks)."""
    path = variable_rate if name == "vfr" else remuxed[name]
    monkeypatch.setattr(isobmff, "TABLE_THRESHOLD", 1 << 40)
    real, _ = probe_counted(path)
    monkeypatch.setattr(isobmff, "TABLE_THRESHOLD", 64)
    stood_in, _ = probe_counted(path)
    assert _without_estimates(stood_in) == _without_estimates(real)
    for mine, theirs in zip(stood_in.streams, real.streams, strict=True):
        assert mine.bitrate == pytest.approx(theirs.bitrate, rel=0.05)
        if theirs.frame_rate is None:
            assert mine.frame_rate is None
        else:
            assert mine.frame_rate == pytest.approx(theirs.frame_rate, rel=1e-3)
    if name == "vfr":
        assert 10.1 < (stood_in.streams[0].frame_rate or 0) < 10.2  # 2 frames of 5 at 25 fps

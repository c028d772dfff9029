"""Tiny real media, made on demand by the real ffmpeg CLI.

Tests probe what ffmpeg actually writes instead of committed binaries or hand-made headers: the
files are seconds long and kilobytes big, so a whole set takes a few seconds to build. Every
command is an argument list (never a shell string), built by small functions so each file's recipe
reads on its own. ``big_mp4`` makes benchmark-sized files quickly from noise, which does not
compress, so the size is reached in a few seconds of encoding.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

FFMPEG = "ffmpeg"
SIZE = "320x240"
SECONDS = 2

# The tags written into the music files; tests compare what the prober reads against these.
MUSIC_TAGS: Mapping[str, str] = {
    "title": "Song Of Tests",
    "artist": "The Generators",
    "album": "Synthetic Sounds",
    "album_artist": "Various Generators",
    "track": "3/12",
    "disc": "2/2",
    "date": "1999",
    "genre": "Electronic; Ambient",
}

SUBTITLE_SRT = """1
00:00:00,000 --> 00:00:01,000
Hello from the test subtitle.

2
00:00:01,000 --> 00:00:02,000
Goodbye.
"""


def ffmpeg_available() -> bool:
    """True when an ``ffmpeg`` executable is on PATH (the fixtures skip otherwise)."""
    return shutil.which(FFMPEG) is not None


def run_ffmpeg(args: Sequence[str]) -> None:
    """Run ffmpeg quietly with ``args``; a failure raises with ffmpeg's own stderr."""
    cmd = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")


def _video_input(seconds: float = SECONDS, size: str = SIZE, rate: int = 25) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]


def _audio_input(seconds: float = SECONDS, frequency: int = 440, rate: int = 48000) -> list[str]:
    source = f"sine=frequency={frequency}:sample_rate={rate}:duration={seconds}"
    return ["-f", "lavfi", "-i", source]


def _metadata(tags: Mapping[str, str], spec: str = "") -> list[str]:
    """``-metadata[:spec] key=value`` pairs; ``spec`` targets a stream, e.g. ``s:a:0``."""
    flag = f"-metadata:{spec}" if spec else "-metadata"
    return [arg for key, value in tags.items() for arg in (flag, f"{key}={value}")]


def mp4(path: Path, *, faststart: bool) -> Path:
    """h264 (High) + stereo aac MP4; ``faststart`` puts the moov box before the media data."""
    args = [*_video_input(), *_audio_input()]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-ac", "2", "-b:a", "96k", "-metadata:s:a:0", "language=eng"]
    args += _metadata({"title": "Test Pattern"})
    if faststart:
        args += ["-movflags", "+faststart"]
    run_ffmpeg([*args, str(path)])
    return path


def mkv_hevc(path: Path, workdir: Path) -> Path:
    """hevc + 5.1 ac3 (eng, default) + stereo aac (fra) + forced srt subtitle (ger) in Matroska."""
    srt = workdir / "subtitle.srt"
    srt.write_text(SUBTITLE_SRT, encoding="utf-8")
    args = [*_video_input(), *_audio_input(), *_audio_input(frequency=660), "-i", str(srt)]
    args += ["-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s"]
    args += ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]
    args += ["-c:a:0", "ac3", "-ac:a:0", "6", "-b:a:0", "192k"]
    args += ["-c:a:1", "aac", "-ac:a:1", "2", "-b:a:1", "96k", "-c:s", "srt"]
    args += _metadata({"language": "eng", "title": "Surround"}, "s:a:0")
    args += _metadata({"language": "fra", "title": "Commentary"}, "s:a:1")
    args += _metadata({"language": "ger", "title": "Signs"}, "s:s:0")
    args += ["-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:s:0", "forced"]
    run_ffmpeg([*args, str(path)])
    return path


def hevc_720p(path: Path, frequency: int = 440) -> Path:
    """1280x720 hevc + 5.1 ac3 (eng, default) + stereo aac (fra) in Matroska, no subtitle: what
    a browser cannot play, at a size the 720p optimized-version preset makes (``frequency``
    makes a file with other bytes, a replaced one)."""
    args = [*_video_input(size="1280x720"), *_audio_input(frequency=frequency)]
    args += _audio_input(frequency=frequency + 220)
    args += ["-map", "0:v", "-map", "1:a", "-map", "2:a"]
    args += ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]
    args += ["-c:a:0", "ac3", "-ac:a:0", "6", "-b:a:0", "192k"]
    args += ["-c:a:1", "aac", "-ac:a:1", "2", "-b:a:1", "96k"]
    args += _metadata({"language": "eng"}, "s:a:0") + _metadata({"language": "fra"}, "s:a:1")
    args += ["-disposition:a:0", "default", "-disposition:a:1", "0"]
    run_ffmpeg([*args, str(path)])
    return path


def hevc_hdr10(path: Path) -> Path:
    """10-bit HEVC MP4 tagged BT.2020/PQ with HDR10 mastering metadata, ``hvc1`` sample entry."""
    x265 = (
        "log-level=error:hdr10=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc"
        ":master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
        ":max-cll=1000,400"
    )
    args = [*_video_input(seconds=1), "-c:v", "libx265", "-preset", "ultrafast"]
    args += ["-pix_fmt", "yuv420p10le", "-x265-params", x265, "-tag:v", "hvc1"]
    args += ["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
    run_ffmpeg([*args, str(path)])
    return path


def webm(path: Path) -> Path:
    """vp9 + opus WebM, encoded with the fastest libvpx settings."""
    args = [*_video_input(), *_audio_input()]
    args += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"]
    args += ["-c:a", "libopus", "-b:a", "64k"]
    run_ffmpeg([*args, str(path)])
    return path


def mpegts(path: Path) -> Path:
    """mpeg2video + mp2 in an MPEG transport stream."""
    args = [*_video_input(), *_audio_input()]
    args += ["-c:v", "mpeg2video", "-b:v", "1M", "-c:a", "mp2", "-b:a", "128k", "-f", "mpegts"]
    run_ffmpeg([*args, str(path)])
    return path


def cover_image(path: Path, codec: str = "mjpeg") -> Path:
    """One 200x200 frame of the test pattern as a JPEG (``mjpeg``) or PNG (``png``)."""
    args = [*_video_input(seconds=1, size="200x200"), "-frames:v", "1", "-c:v", codec]
    args += ["-pix_fmt", "yuvj420p" if codec == "mjpeg" else "rgb24"]
    run_ffmpeg([*args, str(path)])
    return path


def _with_cover(cover: Path) -> list[str]:
    """Input and mapping that attach ``cover`` as the front cover picture."""
    return [
        "-i", str(cover), "-map", "0:a", "-map", "1:v", "-c:v", "copy",
        "-disposition:v", "attached_pic",
        "-metadata:s:v", "title=Album cover", "-metadata:s:v", "comment=Cover (front)",
    ]  # fmt: skip


def mp3_tagged(path: Path, cover: Path) -> Path:
    """Stereo MP3 with ID3v2.3 tags (title … genre) and a JPEG front cover (APIC)."""
    args = [*_audio_input(seconds=3), *_with_cover(cover)]
    args += ["-c:a", "libmp3lame", "-ac", "2", "-b:a", "128k", "-id3v2_version", "3"]
    args += _metadata(MUSIC_TAGS)
    run_ffmpeg([*args, str(path)])
    return path


def flac_tagged(path: Path, cover: Path) -> Path:
    """44.1 kHz FLAC with Vorbis comments and a PNG front cover (METADATA_BLOCK_PICTURE)."""
    args = [*_audio_input(seconds=3, rate=44100), *_with_cover(cover)]
    args += ["-c:a", "flac", "-ac", "2"]
    tags = {k: v for k, v in MUSIC_TAGS.items() if k not in {"track", "disc"}}
    args += _metadata({**tags, "track": "3", "disc": "2"})
    run_ffmpeg([*args, str(path)])
    return path


def mp3_untagged(path: Path) -> Path:
    """Mono MP3 with no tags at all: naming must fall back to the path."""
    args = [*_audio_input(seconds=2), "-c:a", "libmp3lame", "-b:a", "64k"]
    args += ["-write_xing", "0", "-id3v2_version", "0", "-write_id3v1", "0"]
    run_ffmpeg([*args, str(path)])
    return path


def truncated(source: Path, path: Path, keep: float = 0.4) -> Path:
    """The first ``keep`` fraction of ``source``: a moov-at-end MP4 cut before its moov."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def garbled(source: Path, path: Path, seed: int = 7) -> Path:
    """``source`` with everything after its first 64 bytes replaced by seeded random bytes."""
    data = source.read_bytes()
    noise = random.Random(seed).randbytes(len(data) - 64)
    path.write_bytes(data[:64] + noise)
    return path


def random_bytes(path: Path, size: int = 256 * 1024, seed: int = 1234) -> Path:
    """Seeded random bytes: nothing a prober should recognise."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def text_file(path: Path) -> Path:
    """A plain text file wearing a media extension."""
    path.write_text("This is not a video.\n" * 200, encoding="utf-8")
    return path


def empty(path: Path) -> Path:
    """A zero-length object."""
    path.write_bytes(b"")
    return path


def big_mp4(path: Path, megabytes: float, *, faststart: bool, seconds: int = 60) -> Path:
    """A ~``megabytes`` MB h264/aac MP4 of ``seconds`` (by default a minute), made quickly.

    Noise over the test pattern defeats compression, so ultrafast x264 at the bitrate the size
    asks for reaches it in a few seconds of encoding; the duration is fixed so the moov box (whose
    size follows the sample count, not the byte count) is like a real file's of that length.
    """
    video_kbps = max(int(megabytes * 8000 / seconds) - 128, 100)
    args = ["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}"]
    args += _audio_input(seconds=seconds)
    args += ["-vf", "noise=alls=60:allf=t:all_seed=7", "-c:v", "libx264", "-preset", "ultrafast"]
    args += ["-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k", "-bufsize", f"{video_kbps}k"]
    args += ["-c:a", "aac", "-b:a", "128k"]
    if faststart:
        args += ["-movflags", "+faststart"]
    run_ffmpeg([*args, str(path)])
    return path


def big_mkv(path: Path, megabytes: float, seconds: int = 60) -> Path:
    """A ~``megabytes`` MB h264/aac Matroska file, the MKV counterpart of :func:`big_mp4`."""
    video_kbps = max(int(megabytes * 8000 / seconds) - 128, 100)
    args = ["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}"]
    args += _audio_input(seconds=seconds)
    args += ["-vf", "noise=alls=60:allf=t:all_seed=7", "-c:v", "libx264", "-preset", "ultrafast"]
    args += ["-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k", "-bufsize", f"{video_kbps}k"]
    args += ["-c:a", "aac", "-b:a", "128k", str(path)]
    run_ffmpeg(args)
    return path


# Containers a library of recordings and old rips holds, each with its usual codecs: (ffmpeg output
# options, file suffix). ``container_sample`` makes a few-MB file of each, big enough that a probe
# reading it whole, or a fixed share of it, is told apart from one reading a head and a tail.
CONTAINER_RECIPES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "ts": (("-c:v", "libx264", "-c:a", "aac", "-f", "mpegts"), "ts"),
    "m2ts": (("-c:v", "libx264", "-c:a", "aac", "-f", "mpegts", "-mpegts_m2ts_mode", "1"), "m2ts"),
    "mpeg_ps": (("-c:v", "mpeg2video", "-c:a", "mp2", "-f", "vob"), "mpg"),
    "avi": (("-c:v", "mpeg4", "-c:a", "libmp3lame", "-f", "avi"), "avi"),
    "asf": (("-c:v", "wmv2", "-c:a", "wmav2", "-f", "asf"), "wmv"),
    "flv": (("-c:v", "libx264", "-c:a", "aac", "-f", "flv"), "flv"),
    "mkv": (("-c:v", "libx264", "-c:a", "aac", "-f", "matroska"), "mkv"),
    "mp4": (("-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart"), "mp4"),
    "ogg": (("-c:v", "libtheora", "-c:a", "libvorbis", "-f", "ogg"), "ogv"),
}


def container_sample(root: Path, family: str, seconds: int = 8, kbps: int = 3000) -> Path:
    """A ~``seconds * kbps / 8`` KB file of ``family`` with a French stereo audio track.

    Noise over the test pattern makes the encoder spend the bitrate asked for, so the size is
    reached in a couple of seconds of encoding at 320x240.
    """
    options, suffix = CONTAINER_RECIPES[family]
    path = root / f"sample_{family}.{suffix}"
    args = [*_video_input(seconds=seconds), *_audio_input(seconds=seconds)]
    args += ["-vf", "noise=alls=60:allf=t:all_seed=7", "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k"]
    args += ["-bufsize", f"{kbps}k", "-b:a", "128k", "-ac", "2", "-metadata:s:a:0", "language=fra"]
    if "libx264" in options:
        args += ["-preset", "ultrafast"]
    run_ffmpeg([*args, *options, str(path)])
    return path


def cut(source: Path, path: Path, keep: float = 0.5, extra: int = 77) -> Path:
    """The first ``keep`` of ``source`` plus ``extra`` bytes: a copy that stopped mid-packet."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep) + extra])
    return path


class MediaSet(Mapping[str, Path]):
    """Name → generated file, built lazily: a test pays only for the files it asks for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}
        self._recipes: dict[str, Callable[[], Path]] = self._build_recipes()

    def _build_recipes(self) -> dict[str, Callable[[], Path]]:
        r = self.root
        return {
            "mp4_faststart": lambda: mp4(r / "faststart.mp4", faststart=True),
            "mp4_moov_end": lambda: mp4(r / "moov_end.mp4", faststart=False),
            "mkv_hevc": lambda: mkv_hevc(r / "hevc_ac3.mkv", r),
            "hevc_hdr10": lambda: hevc_hdr10(r / "hdr10.mp4"),
            "hevc_720p": lambda: hevc_720p(r / "hevc_720p.mkv"),
            "hevc_720p_other": lambda: hevc_720p(r / "hevc_720p_other.mkv", frequency=550),
            "webm": lambda: webm(r / "vp9_opus.webm"),
            "ts": lambda: mpegts(r / "mpeg2.ts"),
            "cover_jpg": lambda: cover_image(r / "cover.jpg"),
            "cover_png": lambda: cover_image(r / "cover.png", codec="png"),
            "mp3_tagged": lambda: mp3_tagged(r / "tagged.mp3", self["cover_jpg"]),
            "flac_tagged": lambda: flac_tagged(r / "tagged.flac", self["cover_png"]),
            "mp3_untagged": lambda: mp3_untagged(r / "untagged.mp3"),
            "episode": lambda: shutil.copyfile(
                self["mp4_faststart"], r / "The.Office.S02E03.The.Fire.mp4"
            ),
            "mp4_truncated": lambda: truncated(self["mp4_moov_end"], r / "truncated.mp4"),
            "mp4_garbled": lambda: garbled(self["mp4_faststart"], r / "garbled.mp4"),
            "random": lambda: random_bytes(r / "random.mkv"),
            "text": lambda: text_file(r / "notes.mp4"),
            "empty": lambda: empty(r / "empty.mp4"),
            "big_mp4_moov_end": lambda: big_mp4(r / "big_moov_end.mp4", 12, faststart=False),
            **{
                f"sample_{family}": (lambda family=family: container_sample(r, family))
                for family in CONTAINER_RECIPES
            },
            "mkv_cut": lambda: cut(self["sample_mkv"], r / "cut.mkv"),
            "ts_cut": lambda: cut(self["sample_ts"], r / "cut.ts"),
            "mp4_moov_first_cut": lambda: cut(self["sample_mp4"], r / "cut.mp4", keep=0.3),
        }

    def __getitem__(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = Path(self._recipes[name]())
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._recipes)

    def __len__(self) -> int:
        return len(self._recipes)

"""The probe benchmark's media: one file per container at ~50 MB and ~500 MB, made with ffmpeg.

    .venv/bin/python bench/probe_media.py [--workdir /tmp/probe-media] [--only ts,avi]

Every file is made once and reused (the machine is shared and encodes are expensive): a short
"base" is encoded per codec family, and the big files are that base repeated with ``-stream_loop``
and ``-c copy`` (no re-encode), which gives a real index and timestamps for the whole length. The
AVI past 1 GB is made the same way, so ffmpeg writes its OpenDML (``indx``/``ix##``, ``AVIX``)
layout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000


@dataclass(frozen=True)
class Base:
    """A short encode that the bench files are remuxed or looped from."""

    name: str
    args: tuple[str, ...]  # ffmpeg output options (codecs, bitrates)
    suffix: str
    seconds: int
    video: bool = True


_VIDEO_IN = ("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration={s}")
_AUDIO_IN = ("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration={s}")
# audio-only bases are noise, so that VBR and lossless encoders reach the size asked for
_NOISE_IN = (
    "-f",
    "lavfi",
    "-i",
    "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:duration={s}",
)
_NOISE = ("-vf", "noise=alls=40:allf=t")
_LANG = ("-metadata:s:a:0", "language=fra")


def _rate(kbps: int) -> tuple[str, ...]:
    return ("-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k")


# One minute at ~6.6 Mbit/s is ~50 MB; the 500 MB files are ten of them.
BASES: dict[str, Base] = {
    "h264": Base(
        "h264",
        ("-c:v", "libx264", "-preset", "ultrafast", *_rate(6500), "-c:a", "aac", "-b:a", "128k"),
        "mp4",
        60,
    ),
    # a long, low-bitrate recording (a lecture, a surveillance clip): 3 h of it is ~160 MB with a
    # moov of ~6 MB (per-sample tables: stsz, stco, an audio stsc of 1.8 MB)
    "h264_low": Base(
        "h264_low",
        ("-c:v", "libx264", "-preset", "ultrafast", *_rate(80), "-c:a", "aac", "-b:a", "24k"),
        "mp4",
        60,
    ),
    "mpeg2": Base(
        "mpeg2",
        ("-c:v", "mpeg2video", *_rate(6500), "-c:a", "mp2", "-b:a", "192k"),
        "mpg",
        60,
    ),
    "mpeg4": Base(
        "mpeg4", ("-c:v", "mpeg4", *_rate(6500), "-c:a", "libmp3lame", "-b:a", "128k"), "avi", 60
    ),
    "wmv": Base("wmv", ("-c:v", "wmv2", *_rate(6500), "-c:a", "wmav2", "-b:a", "128k"), "wmv", 60),
    "vp8": Base(
        "vp8",
        (
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            *_rate(6500),
            "-c:a",
            "libopus",
            "-b:a",
            "128k",
        ),
        "webm",
        60,
    ),
    "theora": Base(
        "theora",
        ("-c:v", "libtheora", "-b:v", "6500k", "-c:a", "libvorbis", "-b:a", "128k"),
        "ogv",
        60,
    ),
    # audio: ~50 MB each
    "aac": Base("aac", ("-c:a", "aac", "-b:a", "320k"), "m4a", 1250, video=False),
    "mp3": Base("mp3", ("-c:a", "libmp3lame", "-b:a", "320k"), "mp3", 1250, video=False),
    "opus": Base(
        "opus", ("-c:a", "libopus", "-b:a", "256k", "-vbr", "off"), "opus", 1560, video=False
    ),
    "flac": Base("flac", ("-c:a", "flac", "-ar", "44100"), "flac", 420, video=False),
    "wav": Base("wav", ("-c:a", "pcm_s16le", "-ar", "44100"), "wav", 283, video=False),
}


@dataclass(frozen=True)
class Sample:
    """One bench file: a base, remuxed into ``container`` and repeated ``loops`` times."""

    name: str
    base: str
    file: str
    loops: int = 1
    muxer: tuple[str, ...] = ()


SAMPLES: tuple[Sample, ...] = (
    Sample("mp4 moov-first 1 min", "h264", "fast_50.mp4", 1, ("-movflags", "+faststart")),
    Sample("mp4 moov-last 1 min", "h264", "end_50.mp4"),
    Sample("mp4 moov-first 10 min", "h264", "fast_500.mp4", 10, ("-movflags", "+faststart")),
    Sample("mp4 moov-last 10 min", "h264", "end_500.mp4", 10),
    Sample("mp4 3 h, 100 kbit/s", "h264_low", "low_3h.mp4", 180),
    Sample(
        "mp4 fragmented 1 min", "h264", "frag_50.mp4", 1, ("-movflags", "frag_keyframe+empty_moov")
    ),
    Sample(
        "mp4 fragmented 10 min",
        "h264",
        "frag_500.mp4",
        10,
        ("-movflags", "frag_keyframe+empty_moov"),
    ),
    Sample("mov", "h264", "a_50.mov"),
    Sample("mov", "h264", "a_500.mov", 10),
    Sample("m4a", "aac", "a_50.m4a"),
    Sample("m4a", "aac", "a_500.m4a", 10),
    Sample("mkv", "h264", "a_50.mkv"),
    Sample("mkv", "h264", "a_500.mkv", 10),
    Sample("webm", "vp8", "a_50.webm"),
    Sample("webm", "vp8", "a_500.webm", 10),
    Sample("ogv", "theora", "a_50.ogv"),
    Sample("ogv", "theora", "a_500.ogv", 10),
    Sample("mpeg-ts", "h264", "a_50.ts", 1, ("-f", "mpegts")),
    Sample("mpeg-ts", "h264", "a_500.ts", 10, ("-f", "mpegts")),
    Sample(
        "m2ts (192 B packets)", "h264", "a_50.m2ts", 1, ("-f", "mpegts", "-mpegts_m2ts_mode", "1")
    ),
    Sample(
        "m2ts (192 B packets)", "h264", "a_500.m2ts", 10, ("-f", "mpegts", "-mpegts_m2ts_mode", "1")
    ),
    Sample("mpeg-ps", "mpeg2", "a_50.mpg", 1, ("-f", "vob")),
    Sample("mpeg-ps", "mpeg2", "a_500.mpg", 10, ("-f", "vob")),
    Sample("avi idx1", "mpeg4", "a_50.avi"),
    Sample("avi idx1", "mpeg4", "a_500.avi", 10),
    Sample("avi OpenDML >1 GB", "mpeg4", "odml_1100.avi", 22),
    Sample("wmv/asf", "wmv", "a_50.wmv"),
    Sample("wmv/asf", "wmv", "a_500.wmv", 10),
    Sample("flv", "h264", "a_50.flv"),
    Sample("flv", "h264", "a_500.flv", 10),
    Sample("mp3", "mp3", "a_50.mp3"),
    Sample("mp3", "mp3", "a_500.mp3", 10),
    Sample("flac + 2 MB cover", "flac", "a_50.flac"),
    Sample("flac + 2 MB cover", "flac", "a_500.flac", 10),
    Sample("opus", "opus", "a_50.opus"),
    Sample("opus", "opus", "a_500.opus", 10),
    Sample("wav", "wav", "a_50.wav"),
    Sample("wav", "wav", "a_500.wav", 10),
)


def ffmpeg(args: list[str]) -> None:
    cmd = ["nice", "-n", "10", "ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")


def base_file(workdir: Path, base: Base) -> Path:
    path = workdir / f"base_{base.name}.{base.suffix}"
    if path.exists():
        return path
    s = str(base.seconds)
    inputs = [a.replace("{s}", s) for a in ((*_VIDEO_IN, *_AUDIO_IN) if base.video else _NOISE_IN)]
    noise = list(_NOISE) if base.video else []
    partial = path.with_name(f".part_{path.name}")
    ffmpeg(
        [*inputs, *noise, *base.args, *_LANG, "-ac", "2", "-f", _format(base.suffix), str(partial)]
    )
    partial.rename(path)
    return path


def _format(suffix: str) -> str:
    return {
        "mp4": "mp4",
        "mpg": "vob",
        "avi": "avi",
        "wmv": "asf",
        "webm": "webm",
        "ogv": "ogg",
        "m4a": "ipod",
        "mp3": "mp3",
        "opus": "ogg",
        "flac": "flac",
        "wav": "wav",
        "mov": "mov",
        "mkv": "matroska",
        "ts": "mpegts",
        "m2ts": "mpegts",
        "flv": "flv",
    }[suffix]


def cover(workdir: Path) -> Path:
    """A ~2 MB PNG of noise in every channel (noise does not compress)."""
    path = workdir / "cover_noise.png"
    if not path.exists():
        noise = "geq=r='random(1)*255':g='random(2)*255':b='random(3)*255'"
        source = f"color=size=1400x1000,format=rgb24,{noise}"
        ffmpeg(["-f", "lavfi", "-i", source, "-frames:v", "1", "-pix_fmt", "rgb24", str(path)])
    return path


def make(workdir: Path, sample: Sample) -> Path:
    path = workdir / sample.file
    if path.exists():
        return path
    base = base_file(workdir, BASES[sample.base])
    partial = path.with_name(f".part_{path.name}")
    args = ["-stream_loop", str(sample.loops - 1), "-i", str(base)]
    suffix = path.suffix[1:]
    if sample.base == "flac":
        args += [
            "-i",
            str(cover(workdir)),
            "-map",
            "0:a",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v",
            "attached_pic",
        ]
    else:
        args += ["-map", "0", "-c", "copy"]
    muxer = list(sample.muxer) or ["-f", _format(suffix)]
    ffmpeg([*args, *muxer, str(partial)])
    partial.rename(path)
    return path


def make_all(workdir: Path, only: Callable[[Sample], bool] = lambda s: True) -> dict[str, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    for sample in SAMPLES:
        if not only(sample):
            continue
        started = time.monotonic()
        fresh = not (workdir / sample.file).exists()
        made[sample.file] = make(workdir, sample)
        if fresh:
            print(f"made {sample.file} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/probe-media"))
    parser.add_argument("--only", default="", help="comma-separated file names or suffixes")
    args = parser.parse_args()
    wanted = {w for w in args.only.split(",") if w}
    make_all(
        args.workdir,
        lambda s: not wanted or s.file in wanted or s.file.rsplit(".", 1)[-1] in wanted,
    )


if __name__ == "__main__":
    main()

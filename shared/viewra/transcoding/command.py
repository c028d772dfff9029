"""ffmpeg argument lists for one job: never a shell string, every value its own argument.

The layout of a job's output directory is fixed here: HLS writes ``media.m3u8`` and
``seg_00000.ts`` (or ``init.mp4`` + ``seg_00000.m4s`` for fMP4), progressive MP4 writes
``video.mp4``. The master playlist is written by :mod:`viewra.transcoding.hls`, not by ffmpeg.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from viewra.transcoding.params import COPY, DEFAULT_SEGMENT_SECONDS, Protocol, TranscodeParams
from viewra.transcoding.providers import HardwareKind, Provider

MEDIA_PLAYLIST = "media.m3u8"
MASTER_PLAYLIST = "master.m3u8"
INIT_SEGMENT = "init.mp4"
MP4_FILE = "video.mp4"
SEGMENT_PATTERN = re.compile(r"^seg_\d{5}\.(ts|m4s)$")

_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")
# Characters that would need filtergraph escaping; local paths we build never contain them.
_FILTER_UNSAFE = re.compile(r"[:'\\,;\[\]=\s]")


class CommandError(ValueError):
    """The job cannot be expressed as an ffmpeg command (e.g. an unsafe subtitle path)."""


@dataclass(frozen=True)
class CommandOptions:
    """How, rather than what: knobs that do not change the hash's meaning."""

    ffmpeg: str = "ffmpeg"
    preset: str = "veryfast"  # x264/x265 preset; tests use ultrafast
    realtime_input: bool = False  # -re: read at native speed (tests; pacing live-like jobs)
    threads: int | None = None
    loglevel: str = "error"


def pinned_input_headers(etag: str) -> dict[str, str]:
    """Headers that pin a URL input to one version of the object: S3 (and MinIO, and the
    emulator) answer 412 once the key holds anything else, so a replaced source fails the run
    instead of being transcoded under the old source's hash."""
    bare = etag.strip('"')  # S3 answers ETags quoted; the job's source keeps them either way
    return {"If-Match": f'"{bare}"'}


def segment_name(index: int, container: str) -> str:
    return f"seg_{index:05d}.{'m4s' if container == 'mp4' else 'ts'}"


def _scale_filter(max_width: int | None, max_height: int | None) -> str | None:
    if max_width and max_height:
        return (
            f"scale=w='min(iw,{max_width})':h='min(ih,{max_height})'"
            ":force_original_aspect_ratio=decrease:force_divisible_by=2"
        )
    if max_width:
        return f"scale=w='min(iw,{max_width})':h=-2"
    if max_height:
        return f"scale=w=-2:h='min(ih,{max_height})'"
    return None


def _hw_input_args(provider: Provider) -> list[str]:
    if provider.hardware is HardwareKind.VAAPI:
        return ["-vaapi_device", provider.device or "/dev/dri/renderD128"]
    if provider.hardware is HardwareKind.QSV:
        return ["-init_hw_device", "qsv=hw", "-filter_hw_device", "hw"]
    return []


def _hw_upload(provider: Provider) -> list[str]:
    if provider.hardware is HardwareKind.VAAPI:
        return ["format=nv12", "hwupload"]
    if provider.hardware is HardwareKind.QSV:
        return ["hwupload=extra_hw_frames=64", "format=qsv"]
    return []


def _encoder_args(provider: Provider, codec: str, options: CommandOptions) -> list[str]:
    encoder = provider.video_encoder(codec)
    if encoder is None:
        raise CommandError(f"provider {provider.name} has no encoder for {codec}")
    args = ["-c:v", encoder]
    hw = provider.hardware
    if hw is HardwareKind.SOFTWARE:
        args += ["-preset", options.preset, "-pix_fmt", "yuv420p"]
        if codec == "hevc":
            args += ["-tag:v", "hvc1", "-x265-params", "log-level=error"]
    elif hw is HardwareKind.NVENC:
        args += ["-preset", "p4", "-pix_fmt", "yuv420p"]
        if codec == "hevc":
            args += ["-tag:v", "hvc1"]
    elif codec == "hevc":
        args += ["-tag:v", "hvc1"]
    return args


def _pinned_profile_args(params: TranscodeParams) -> list[str]:
    """``-profile:v``/``-level:v`` when the request pins them (an optimized version's preset):
    every H.264 encoder ffmpeg has takes these two options by these names."""
    args: list[str] = []
    if params.video_profile:
        args += ["-profile:v", params.video_profile]
    if params.video_level:
        args += ["-level:v", params.video_level]
    return args


def _rate_args(provider: Provider, bitrate: int | None) -> list[str]:
    if bitrate:
        return ["-b:v", str(bitrate), "-maxrate", str(bitrate), "-bufsize", str(2 * bitrate)]
    if provider.hardware is HardwareKind.SOFTWARE:
        return ["-crf", "23"]
    return []


def video_args(
    params: TranscodeParams,
    provider: Provider,
    options: CommandOptions,
    *,
    subtitle_file: Path | None = None,
    subtitle_is_image: bool = False,
) -> list[str]:
    """Mapping, filters and encoder arguments of the video stream (empty when dropped)."""
    codec = params.canonical_video_codec
    if codec is None:
        return ["-vn"]
    if codec == COPY:
        return ["-map", "0:V:0?", "-c:v", "copy"]
    chain: list[str] = []
    scale = _scale_filter(params.max_width, params.max_height)
    if scale:
        chain.append(scale)
    source_label = "[0:V:0]"
    prefix = ""
    if params.burn_subtitle is not None:
        if subtitle_is_image:
            prefix = f"{source_label}[0:s:{params.burn_subtitle}]overlay=eof_action=pass,"
            source_label = ""
        else:
            if subtitle_file is None:
                raise CommandError("burning in a text subtitle needs the source as a local file")
            path = str(subtitle_file)
            if _FILTER_UNSAFE.search(path):
                raise CommandError(f"subtitle path needs filter escaping: {path!r}")
            chain.append(f"subtitles=filename={path}:si={params.burn_subtitle}")
    chain += _hw_upload(provider)
    args: list[str] = []
    if chain or prefix:
        graph = f"{source_label}{prefix}{','.join(chain) or 'null'}[vout]"
        args += ["-filter_complex", graph, "-map", "[vout]"]
    else:
        args += ["-map", "0:V:0?"]
    args += _encoder_args(provider, codec, options)
    args += _pinned_profile_args(params)
    args += _rate_args(provider, params.video_bitrate)
    if params.protocol is Protocol.HLS:
        seconds = params.segment_length or DEFAULT_SEGMENT_SECONDS
        args += ["-force_key_frames", f"expr:gte(t,n_forced*{seconds})"]
        if provider.hardware is HardwareKind.SOFTWARE and codec == "h264":
            args += ["-sc_threshold", "0"]
    return args


def audio_args(params: TranscodeParams, provider: Provider) -> list[str]:
    codec = params.canonical_audio_codec
    if codec is None:
        return ["-an"]
    args = ["-map", f"0:a:{params.audio_stream_index or 0}?"]
    if codec == COPY:
        return [*args, "-c:a", "copy"]
    encoder = provider.audio_encoder(codec)
    if encoder is None:
        raise CommandError(f"provider {provider.name} has no audio encoder for {codec}")
    args += ["-c:a", encoder]
    if params.audio_channels:
        args += ["-ac", str(params.audio_channels)]
    if params.audio_bitrate:
        args += ["-b:a", str(params.audio_bitrate)]
    return args


def output_args(params: TranscodeParams, out_dir: Path) -> list[str]:
    if params.protocol is Protocol.MP4:
        return ["-movflags", "+faststart", "-f", "mp4", str(out_dir / MP4_FILE)]
    container = params.canonical_container
    args = [
        "-f", "hls",
        "-hls_time", str(params.segment_length or DEFAULT_SEGMENT_SECONDS),
        "-hls_playlist_type", "event",  # rewritten after each segment; made VOD at the end
        "-hls_list_size", "0",
        "-hls_flags", "independent_segments+temp_file",
    ]  # fmt: skip
    if container == "mp4":
        args += ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", INIT_SEGMENT]
    else:
        args += ["-hls_segment_type", "mpegts"]
    pattern = "seg_%05d.m4s" if container == "mp4" else "seg_%05d.ts"
    args += ["-hls_segment_filename", str(out_dir / pattern), str(out_dir / MEDIA_PLAYLIST)]
    return args


def build_command(
    params: TranscodeParams,
    provider: Provider,
    input_url: str,
    out_dir: Path,
    options: CommandOptions | None = None,
    *,
    subtitle_is_image: bool = False,
    input_headers: Mapping[str, str] | None = None,
) -> list[str]:
    """The full argument list (``argv[0]`` is ffmpeg) with progress on stdout (``pipe:1``).
    ``input_headers`` go with every HTTP request ffmpeg makes for a URL input."""
    options = options or CommandOptions()
    is_url = "://" in input_url
    args = _input_args(options, provider, input_url, input_headers)
    subtitle_file = None if is_url else Path(input_url)
    args += video_args(
        params,
        provider,
        options,
        subtitle_file=subtitle_file,
        subtitle_is_image=subtitle_is_image,
    )
    args += audio_args(params, provider)
    args += ["-sn", "-dn", "-map_metadata", "-1", "-max_muxing_queue_size", "1024"]
    args += output_args(params, out_dir)
    return args


def _input_args(
    options: CommandOptions,
    provider: Provider | None,
    input_url: str,
    input_headers: Mapping[str, str] | None,
    *,
    start: float | None = None,
    length: float | None = None,
) -> list[str]:
    """ffmpeg, its global options and the input (``start``/``length``: a window of it, seeking
    on the input so a chunk decodes from the keyframe before its start, not from 0)."""
    is_url = "://" in input_url
    args = [options.ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", options.loglevel]
    args += ["-nostats", "-progress", "pipe:1"]
    if options.threads:
        args += ["-threads", str(options.threads)]
    if provider is not None:
        args += _hw_input_args(provider)
    if options.realtime_input:
        args += ["-re"]
    if is_url:
        args += ["-reconnect", "1", "-reconnect_on_network_error", "1"]
        args += ["-reconnect_delay_max", "5", "-rw_timeout", "30000000"]
        if input_headers:
            for name, value in input_headers.items():
                if not _HEADER_NAME.match(name) or any(c in value for c in "\r\n"):
                    raise CommandError(f"not a valid HTTP header: {name!r}")
            args += ["-headers", "".join(f"{k}: {v}\r\n" for k, v in input_headers.items())]
    if start:
        args += ["-ss", f"{start:.6f}"]
    if length is not None:
        args += ["-t", f"{length:.6f}"]
    args += ["-i", input_url]
    if options.threads:  # again after the input: the encoder's threads too, not only the decoder's
        args += ["-threads", str(options.threads)]
    return args


def _chunk_hls_args(
    segment_seconds: int, out_dir: Path, pattern: str, playlist: str, start_number: int
) -> list[str]:
    return [
        "-f", "hls",
        "-hls_time", str(segment_seconds),
        "-hls_playlist_type", "event",
        "-hls_list_size", "0",
        "-hls_flags", "independent_segments+temp_file",
        "-hls_segment_type", "mpegts",
        "-start_number", str(start_number),
        "-hls_segment_filename", str(out_dir / pattern),
        str(out_dir / playlist),
    ]  # fmt: skip


def chunk_command(
    params: TranscodeParams,
    provider: Provider,
    input_url: str,
    out_dir: Path,
    *,
    start: float,
    length: float,
    first_segment: int,
    options: CommandOptions | None = None,
    input_headers: Mapping[str, str] | None = None,
    ts_base: float = 1.4,
) -> list[str]:
    """One chunk of a fanned-out job: the video of ``[start, start + length)``, no audio, as
    MPEG-TS segments numbered from ``first_segment``.

    The input is seeked (``-ss``, accurate: decoded from the keyframe before, frames before
    ``start`` dropped) and cut (``-t``); the encoder forces a keyframe at every segment boundary,
    counted from the chunk's start, which the plan puts on a segment boundary of the whole. The
    output timestamps are shifted back to the source's time (``-output_ts_offset start``, plus
    the common base), with no muxer delay of its own (``-muxdelay 0``): the chunks then line up
    with no gap or overlap, and ffmpeg never shifts one of them alone."""
    options = options or CommandOptions()
    # The input is read a second past the chunk and the output cut at its length: ffmpeg's
    # input -t/-to keep the first frame at or past the end (the 23.976 fps frame at 180.013 s
    # came out of both the chunk before 180 s and the one from it), the output's -t does not.
    args = _input_args(
        options, provider, input_url, input_headers, start=start, length=length + 1.0
    )
    args += video_args(params, provider, options)
    args += ["-t", f"{length:.6f}"]
    # Each frame keeps its own time: by default the encoder's time base is one frame and a
    # constant frame rate is made from the chunk's start, which would move every frame of a
    # chunk that does not start on a frame of the source (23.976 fps, 6 s) by up to a frame.
    args += ["-fps_mode", "passthrough", "-enc_time_base:v", "1:90000"]
    args += ["-an", "-sn", "-dn", "-map_metadata", "-1", "-max_muxing_queue_size", "1024"]
    args += ["-output_ts_offset", f"{start + ts_base:.6f}", "-muxdelay", "0", "-muxpreload", "0"]
    seconds = params.segment_length or DEFAULT_SEGMENT_SECONDS
    return args + _chunk_hls_args(seconds, out_dir, "seg_%05d.ts", MEDIA_PLAYLIST, first_segment)


AUDIO_SEGMENT_PATTERN = re.compile(r"^audio_\d{5}\.ts$")


def audio_command(
    params: TranscodeParams,
    provider: Provider,
    input_url: str,
    out_dir: Path,
    playlist: str,
    *,
    options: CommandOptions | None = None,
    input_headers: Mapping[str, str] | None = None,
    ts_base: float = 1.4,
) -> list[str]:
    """The audio of a fanned-out job in one pass, as an audio-only rendition: chunked AAC would
    restart its encoder (priming samples, a gap or click) at every chunk boundary. On the same
    timeline as the video chunks (the same base, no muxer delay)."""
    options = options or CommandOptions()
    args = _input_args(options, None, input_url, input_headers)
    args += ["-vn", *audio_args(params, provider)]
    args += ["-sn", "-dn", "-map_metadata", "-1"]
    args += ["-output_ts_offset", f"{ts_base:.6f}", "-muxdelay", "0", "-muxpreload", "0"]
    seconds = params.segment_length or DEFAULT_SEGMENT_SECONDS
    return args + _chunk_hls_args(seconds, out_dir, "audio_%05d.ts", playlist, 0)

"""ffmpeg argument lists: one argument per value, never a shell string."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewra.transcoding.command import (
    CommandError,
    CommandOptions,
    build_command,
    pinned_input_headers,
    segment_name,
)
from viewra.transcoding.params import Protocol, TranscodeParams
from viewra.transcoding.providers import NVENC, QSV, REMUX, SOFTWARE, VAAPI

OUT = Path("/work/out")


def _after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_software_hls_command() -> None:
    params = TranscodeParams(
        video_bitrate="1M", max_width=640, max_height=360, audio_channels=2, audio_bitrate="96k"
    )
    args = build_command(params, SOFTWARE, "https://s3/bucket/a.mkv?sig", OUT)
    assert args[0] == "ffmpeg" and all(isinstance(a, str) for a in args)
    assert _after(args, "-i") == "https://s3/bucket/a.mkv?sig"
    assert _after(args, "-progress") == "pipe:1"
    assert _after(args, "-c:v") == "libx264"
    assert _after(args, "-b:v") == "1000000" and _after(args, "-bufsize") == "2000000"
    assert "min(iw,640)" in _after(args, "-filter_complex")
    assert _after(args, "-force_key_frames") == "expr:gte(t,n_forced*6)"
    assert _after(args, "-c:a") == "aac" and _after(args, "-ac") == "2"
    assert _after(args, "-b:a") == "96000"
    assert _after(args, "-f") == "hls" and _after(args, "-hls_time") == "6"
    assert _after(args, "-hls_segment_filename") == "/work/out/seg_%05d.ts"
    assert args[-1] == "/work/out/media.m3u8"
    assert "-reconnect" in args  # a URL input


def test_a_url_input_is_pinned_by_if_match_and_a_bad_header_is_refused() -> None:
    headers = pinned_input_headers("abc-2")
    args = build_command(
        TranscodeParams(), SOFTWARE, "https://s3/b/a.mp4?sig", OUT, input_headers=headers
    )
    assert _after(args, "-headers") == 'If-Match: "abc-2"\r\n'
    assert args.index("-headers") < args.index("-i")  # an input option
    assert pinned_input_headers('"abc-2"') == headers  # quoted or not, as S3 returns it
    local = build_command(TranscodeParams(), SOFTWARE, "/tmp/s.mp4", OUT, input_headers=headers)
    assert "-headers" not in local  # a downloaded file has no requests to pin
    with pytest.raises(CommandError):
        build_command(
            TranscodeParams(), SOFTWARE, "https://x/a.mp4", OUT, input_headers={"A": "b\r\nC: d"}
        )


def test_remux_to_progressive_mp4() -> None:
    params = TranscodeParams(protocol=Protocol.MP4, video_codec="copy", audio_codec="copy")
    args = build_command(params, REMUX, "/tmp/source.mkv", OUT)
    assert _after(args, "-c:v") == "copy" and _after(args, "-c:a") == "copy"
    assert "-filter_complex" not in args and "-reconnect" not in args
    assert _after(args, "-movflags") == "+faststart"
    assert args[-3:] == ["-f", "mp4", "/work/out/video.mp4"]


def test_fmp4_hls_writes_an_init_segment() -> None:
    args = build_command(TranscodeParams(container="mp4"), SOFTWARE, "/tmp/s.mp4", OUT)
    assert _after(args, "-hls_segment_type") == "fmp4"
    assert _after(args, "-hls_fmp4_init_filename") == "init.mp4"
    assert segment_name(3, "mp4") == "seg_00003.m4s" and segment_name(3, "ts") == "seg_00003.ts"


@pytest.mark.parametrize(
    ("provider", "encoder", "input_flag", "upload"),
    [
        (NVENC, "h264_nvenc", None, None),
        (VAAPI, "h264_vaapi", "-vaapi_device", "hwupload"),
        (QSV, "h264_qsv", "-init_hw_device", "format=qsv"),
    ],
)
def test_hardware_encoders(
    provider: object, encoder: str, input_flag: str | None, upload: str | None
) -> None:
    args = build_command(TranscodeParams(max_height=720), provider, "/tmp/s.mkv", OUT)  # type: ignore[arg-type]
    assert _after(args, "-c:v") == encoder
    if input_flag:
        assert args.index(input_flag) < args.index("-i")
    if upload:
        assert upload in _after(args, "-filter_complex")


def test_burned_in_text_subtitle_reads_the_local_file() -> None:
    args = build_command(TranscodeParams(burn_subtitle=1), SOFTWARE, "/tmp/job/source.mkv", OUT)
    assert "subtitles=filename=/tmp/job/source.mkv:si=1" in _after(args, "-filter_complex")


def test_burned_in_image_subtitle_is_overlaid() -> None:
    args = build_command(
        TranscodeParams(burn_subtitle=0), SOFTWARE, "/tmp/s.mkv", OUT, subtitle_is_image=True
    )
    assert _after(args, "-filter_complex").startswith("[0:V:0][0:s:0]overlay")


def test_burn_in_refuses_what_it_cannot_express() -> None:
    with pytest.raises(CommandError):
        build_command(TranscodeParams(burn_subtitle=0), SOFTWARE, "https://x/a.mkv", OUT)
    with pytest.raises(CommandError):
        build_command(TranscodeParams(burn_subtitle=0), SOFTWARE, "/tmp/it's:here.mkv", OUT)


def test_options_do_not_change_what_is_produced_only_how() -> None:
    options = CommandOptions(ffmpeg="/opt/bin/ffmpeg", preset="ultrafast", realtime_input=True)
    args = build_command(TranscodeParams(), SOFTWARE, "/tmp/s.mp4", OUT, options)
    assert args[0] == "/opt/bin/ffmpeg" and "-re" in args
    assert _after(args, "-preset") == "ultrafast"


def test_dropped_streams() -> None:
    audio_only = build_command(TranscodeParams(video_codec=None), SOFTWARE, "/tmp/s.mp3", OUT)
    assert "-vn" in audio_only and "-c:v" not in audio_only
    silent = build_command(TranscodeParams(audio_codec=None), SOFTWARE, "/tmp/s.mp4", OUT)
    assert "-an" in silent and "-c:a" not in silent


def test_a_worker_share_of_threads_reaches_ffmpeg_for_decoding_and_encoding() -> None:
    """What ``make run`` gives each transcode worker process (VIEWRA_TRANSCODE_THREADS, its
    share of the cores) is ffmpeg's ``-threads`` before the input (decoder) and after it
    (encoder), for a whole job and for a chunk; without it ffmpeg chooses."""
    from viewra.common.settings import Settings
    from viewra.transcoding.command import chunk_command
    from viewra.transcoding.context import TranscodeLimits

    env = {"VIEWRA_TRANSCODE_THREADS": "3"}
    options = TranscodeLimits.from_settings(Settings.from_env(env)).command_options()
    whole = build_command(TranscodeParams(), SOFTWARE, "/tmp/s.mp4", OUT, options)
    chunk = chunk_command(
        TranscodeParams(), SOFTWARE, "/tmp/s.mp4", OUT, start=60, length=60,
        first_segment=10, options=options,
    )  # fmt: skip
    for args in (whole, chunk):
        given = [i for i, a in enumerate(args) if a == "-threads"]
        assert [args[i + 1] for i in given] == ["3", "3"]
        assert given[0] < args.index("-i") < given[1]

    default = TranscodeLimits.from_settings(Settings.from_env({})).command_options()
    assert "-threads" not in build_command(TranscodeParams(), SOFTWARE, "/tmp/s.mp4", OUT, default)

"""Subtitle files for the browser: encodings, conversions, and an embedded stream extracted by
the real ffmpeg from a tiny generated MKV, kept in the content bucket and read from there after.

The buckets are a dict-backed stand-in for the media module's ``MediaObjects`` port (what is
tested is the conversion and the cache rule, not S3); ffmpeg is the real one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from viewra.common.errors import NotFound, Unprocessable
from viewra.common.settings import Settings
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem, MediaStream, StreamType
from viewra.media.subtitle_files import (
    convert,
    decode_text,
    extracted_key,
    parse_name,
    subtitle_file,
)

SRT = "1\n00:00:00,200 --> 00:00:01,500\nFirst\n\n2\n00:00:01,800 --> 00:00:02,600\nSecond\n"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Zoë".encode(), "Zoë"),
        ("\ufeffZoë".encode(), "Zoë"),  # a BOM is not text
        ("Zoë".encode("utf-16"), "Zoë"),
        ("Zoë".encode("cp1252"), "Zoë"),  # not UTF-8: Windows-1252
    ],
)
def test_subtitle_files_decode_in_the_encodings_they_come_in(data: bytes, text: str) -> None:
    assert decode_text(data) == text


@pytest.mark.parametrize(
    ("name", "parsed"), [("3.vtt", (3, "vtt")), ("12.SRT", (12, "srt")), ("0.ass", (0, "ass"))]
)
def test_names_are_an_index_and_a_format(name: str, parsed: tuple[int, str]) -> None:
    assert parse_name(name) == parsed


@pytest.mark.parametrize("name", ["vtt", "a.vtt", "-1.vtt", "3.mp4", "3", "3.vtt.vtt", ""])
def test_other_names_are_404(name: str) -> None:
    with pytest.raises(NotFound):
        parse_name(name)


def test_srt_to_webvtt_keeps_every_cue_and_its_timing() -> None:
    vtt = convert(SRT, "vtt")
    assert vtt.startswith("WEBVTT")
    assert "00:00:00.200 --> 00:00:01.500\nFirst" in vtt
    assert "00:00:01.800 --> 00:00:02.600\nSecond" in vtt


def test_a_file_that_is_no_subtitle_is_a_clear_error() -> None:
    with pytest.raises(Unprocessable):
        convert("\x00\x01 not a subtitle at all", "vtt")


class Objects:
    """The MediaObjects port over dicts; ``presign_get`` gives a local path ffmpeg can read."""

    def __init__(self, files: dict[tuple[str, str], Path]) -> None:
        self.files = files
        self.content: dict[str, bytes] = {}

    def head(self, bucket: str, key: str) -> object | None:
        return object() if bucket == "content" and key in self.content else None

    def read_head(self, bucket: str, key: str, max_bytes: int) -> bytes:
        if bucket == "content":
            return self.content[key][:max_bytes]
        return self.files[(bucket, key)].read_bytes()[:max_bytes]

    def put_content(self, key: str, data: bytes, content_type: str) -> None:
        self.content[key] = data

    def presign_get(self, bucket: str, key: str, expires: int | None = None) -> str:
        return str(self.files[(bucket, key)])


@pytest.fixture(scope="module")
def mkv_with_subtitles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")
    d = tmp_path_factory.mktemp("subs")
    (d / "s.srt").write_text(SRT)
    out = d / "movie.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x36:d=3:r=5",
         "-i", str(d / "s.srt"), "-map", "0:v", "-map", "1:s", "-c:v", "libx264",
         "-preset", "ultrafast", "-c:s", "srt", str(out)],
        check=True,
    )  # fmt: skip
    return out


def _item(streams: list[MediaStream]) -> MediaItem:
    return MediaItem(
        id="i1", library_id="lib", bucket="media", key="m/movie.mkv", etag="v1", size=1,
        status=ItemStatus.READY, kind=ItemKind.MOVIE, title="Movie", container="mkv",
        streams=streams, added_at="2026-11-01T00:00:00.000Z",
    )  # fmt: skip


def test_an_embedded_text_stream_is_extracted_once_then_read_from_the_content_bucket(
    mkv_with_subtitles: Path,
) -> None:
    item = _item(
        [
            MediaStream(index=0, type=StreamType.VIDEO, codec="h264"),
            MediaStream(index=1, type=StreamType.SUBTITLE, codec="subrip", language="eng"),
        ]
    )
    objects = Objects({("media", "m/movie.mkv"): mkv_with_subtitles})
    services = SimpleNamespace(settings=Settings(content_bucket="content"), objects=objects)
    first = subtitle_file(services, item, 1, "vtt")  # type: ignore[arg-type]
    assert first.content_type.startswith("text/vtt")
    assert "00:00:00.200 --> 00:00:01.500\nFirst" in first.body
    assert set(objects.content) == {extracted_key(item, 1)}
    assert "v1" in extracted_key(item, 1)  # a new version of the video is a new key
    objects.files.clear()  # the video is gone: the kept extraction still answers
    again = subtitle_file(services, item, 1, "srt")  # type: ignore[arg-type]
    assert "00:00:01,800 --> 00:00:02,600\nSecond" in again.body


def test_a_picture_subtitle_cannot_be_a_file_of_text() -> None:
    item = _item([MediaStream(index=2, type=StreamType.SUBTITLE, codec="hdmv_pgs_subtitle")])
    services = SimpleNamespace(settings=Settings(content_bucket="content"), objects=Objects({}))
    with pytest.raises(Unprocessable) as exc:
        subtitle_file(services, item, 2, "vtt")  # type: ignore[arg-type]
    assert exc.value.code == "NotTextSubtitle"

"""Subtitle files for the browser: encodings, conversions, and the rule by which an embedded
stream is asked of a transcode worker once and read from the content bucket after.

The bucket and queue are dict-backed stand-ins for the media module's ports (what is tested is
the conversion and the asking rule, not S3); the worker's ffmpeg pass is tested in
``tests/functional/test_subtitle_extract.py`` and end to end in ``tests/integration``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from viewra.common.errors import NotFound, Unprocessable
from viewra.common.settings import Settings
from viewra.media import subtitle_files
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem, MediaStream, StreamType
from viewra.media.subtitle_files import (
    SubtitleNotReady,
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
    """The MediaObjects port over a dict of the content bucket."""

    def __init__(self) -> None:
        self.content: dict[str, bytes] = {}

    def head(self, bucket: str, key: str) -> object | None:
        return object() if bucket == "content" and key in self.content else None

    def read_head(self, bucket: str, key: str, max_bytes: int) -> bytes:
        assert bucket == "content"
        return self.content[key][:max_bytes]

    def put_content(self, key: str, data: bytes, content_type: str) -> None:
        self.content[key] = data


class Queues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def send(self, queue: str, bodies: list[dict]) -> None:
        self.sent += [(queue, body) for body in bodies]


def _services() -> SimpleNamespace:
    settings = Settings(content_bucket="content", transcode_queue="tq")
    return SimpleNamespace(settings=settings, objects=Objects(), queues=Queues())


def _item(streams: list[MediaStream]) -> MediaItem:
    return MediaItem(
        id="i1", library_id="lib", bucket="media", key="m/movie.mkv", etag="v1", size=1,
        status=ItemStatus.READY, kind=ItemKind.MOVIE, title="Movie", container="mkv",
        streams=streams, added_at="2026-11-01T00:00:00.000Z",
    )  # fmt: skip


EMBEDDED = [
    MediaStream(index=0, type=StreamType.VIDEO, codec="h264"),
    MediaStream(index=1, type=StreamType.SUBTITLE, codec="subrip", language="eng"),
    MediaStream(index=2, type=StreamType.SUBTITLE, codec="mov_text", language="fra"),
    MediaStream(index=3, type=StreamType.SUBTITLE, codec="dvd_subtitle"),  # a picture
    MediaStream(index=4, type=StreamType.SUBTITLE, codec="subrip", external=True),  # a sidecar
]


def test_an_embedded_stream_is_asked_of_a_worker_once_and_read_from_the_content_bucket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subtitle_files, "EXTRACT_WAIT_SECONDS", 0.0)
    clock = [1000.0]
    monkeypatch.setattr(subtitle_files.time, "time", lambda: clock[0])
    services, item = _services(), _item(EMBEDDED)
    with pytest.raises(SubtitleNotReady) as exc:
        subtitle_file(services, item, 1, "vtt")  # type: ignore[arg-type]
    assert (exc.value.status, exc.value.headers()) == (409, {"Retry-After": "5"})
    [(queue, message)] = services.queues.sent
    assert queue == "tq"
    assert message["outputs"] == {"1": extracted_key(item, 1), "2": extracted_key(item, 2)}
    assert (message["key"], message["etag"]) == ("m/movie.mkv", "v1")
    clock[0] += 599  # a player asking again, for either stream: no second pass over the file
    for index in (1, 2, 1):
        with pytest.raises(SubtitleNotReady):
            subtitle_file(services, item, index, "vtt")  # type: ignore[arg-type]
    assert len(services.queues.sent) == 1
    clock[0] += 2  # nothing came of it in 10 minutes (a lost message, a dead worker): ask again
    with pytest.raises(SubtitleNotReady):
        subtitle_file(services, item, 1, "vtt")  # type: ignore[arg-type]
    assert len(services.queues.sent) == 2
    services.objects.content[extracted_key(item, 1)] = convert(SRT, "vtt").encode()
    assert "v1" in extracted_key(item, 1)  # a new version of the video is a new key
    again = subtitle_file(services, item, 1, "srt")  # type: ignore[arg-type]
    assert "00:00:01,800 --> 00:00:02,600\nSecond" in again.body


def test_an_extraction_that_failed_answers_its_reason() -> None:
    services, item = _services(), _item(EMBEDDED)
    services.objects.content[extracted_key(item, 2) + ".failed"] = b"ffmpeg could not: bad"
    with pytest.raises(Unprocessable) as exc:
        subtitle_file(services, item, 2, "vtt")  # type: ignore[arg-type]
    assert (exc.value.code, str(exc.value)) == ("BadSubtitle", "ffmpeg could not: bad")
    assert services.queues.sent == []


def test_a_picture_subtitle_cannot_be_a_file_of_text() -> None:
    item = _item([MediaStream(index=2, type=StreamType.SUBTITLE, codec="hdmv_pgs_subtitle")])
    services = _services()
    with pytest.raises(Unprocessable) as exc:
        subtitle_file(services, item, 2, "vtt")  # type: ignore[arg-type]
    assert exc.value.code == "NotTextSubtitle"

"""Subtitle extraction on a transcode worker, on moto with the real ffmpeg: every text stream a
message names comes out of one pass as WebVTT at its key; a file ffmpeg cannot read leaves the
reason beside each key; a redelivery does nothing; a message naming a key outside
``subtitles/`` is poison."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.test_transcode_support import (
    _MEDIA,
    in_process_stack,
    run_ffmpeg,
    transcoder,
    upload_source,
)
from viewra.common.errors import PoisonMessage
from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.transcoding.fanout import handle_message
from viewra.transcoding.models import subtitle_message

SRT_EN = "1\n00:00:00,200 --> 00:00:01,000\nHello from English.\n\n"
SRT_DE = "1\n00:00:01,200 --> 00:00:02,000\nHallo auf Deutsch.\n\n"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from in_process_stack(monkeypatch)


def _mkv_with_two_subtitles() -> Path:
    path = _MEDIA / "two_subs.mkv"
    if not path.exists():
        en, de = _MEDIA / "en.srt", _MEDIA / "de.srt"
        en.write_text(SRT_EN)
        de.write_text(SRT_DE)
        args = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=3"]
        args += ["-i", str(en), "-i", str(de), "-map", "0", "-map", "1", "-map", "2"]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:s", "srt"]
        run_ffmpeg([*args, str(path)])
    return path


def _bodies(settings: Settings, keys: list[str]) -> dict[str, str]:
    s3 = client(settings, "s3")
    found = {}
    for key in keys:
        try:
            body = s3.get_object(Bucket=settings.content_bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        found[key] = body.decode()
    return found


def test_every_named_stream_comes_out_of_one_pass_and_a_redelivery_does_nothing(
    settings: Settings,
) -> None:
    source = upload_source(settings, _mkv_with_two_subtitles(), "films/subs.mkv")
    tc = transcoder(settings)
    outputs = {1: "subtitles/i1/e/1.vtt", 2: "subtitles/i1/e/2.vtt"}
    message = subtitle_message(source.bucket, source.key, source.etag, outputs)
    assert handle_message(tc, message) == "done"
    made = _bodies(settings, list(outputs.values()))
    assert made["subtitles/i1/e/1.vtt"].startswith("WEBVTT")
    assert "Hello from English." in made["subtitles/i1/e/1.vtt"]
    assert "Hallo auf Deutsch." in made["subtitles/i1/e/2.vtt"]
    assert "English" not in made["subtitles/i1/e/2.vtt"]
    assert handle_message(tc, message) == "skipped"


def test_a_file_ffmpeg_cannot_read_leaves_its_reason_beside_each_key(settings: Settings) -> None:
    junk = _MEDIA / "junk.mkv"
    junk.write_bytes(b"\x1a\x45\xdf\xa3" + b"not matroska" * 100)
    source = upload_source(settings, junk, "films/junk.mkv")
    tc = transcoder(settings)
    outputs = {2: "subtitles/i2/e/2.vtt", 3: "subtitles/i2/e/3.vtt"}
    message = subtitle_message(source.bucket, source.key, source.etag, outputs)
    assert handle_message(tc, message) == "failed"
    failed = _bodies(settings, [k + ".failed" for k in outputs.values()])
    assert len(failed) == 2
    assert all("ffmpeg could not extract" in reason for reason in failed.values())
    assert _bodies(settings, list(outputs.values())) == {}
    assert handle_message(tc, message) == "skipped"  # recorded: not tried again and again


def test_a_stream_that_is_not_there_is_a_recorded_failure(settings: Settings) -> None:
    source = upload_source(settings, _mkv_with_two_subtitles(), "films/subs2.mkv")
    message = subtitle_message(source.bucket, source.key, source.etag, {7: "subtitles/i3/e/7.vtt"})
    assert handle_message(transcoder(settings), message) == "failed"
    assert _bodies(settings, ["subtitles/i3/e/7.vtt.failed"])


@pytest.mark.parametrize(
    "outputs",
    [{1: "content/aa/bb/x.vtt"}, {1: "subtitles/../content/x.vtt"}, {"one": "subtitles/x"}, {}],
)
def test_a_message_writing_outside_subtitles_is_poison(settings: Settings, outputs) -> None:
    message = subtitle_message("media", "films/x.mkv", '"e"', outputs)
    with pytest.raises(PoisonMessage):
        handle_message(transcoder(settings), message)

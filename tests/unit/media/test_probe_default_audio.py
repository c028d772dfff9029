"""The item's default audio stream (Jellyfin's DefaultAudioStreamIndex), read from the container's
default flags by the real prober on tiny ffmpeg-made files, and what decide() does with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media_factory import ffmpeg_available, run_ffmpeg
from viewra.media.models.items import MediaStream, StreamType, default_audio_index
from viewra.media.probe import BlockReader, FileRangeSource, probe_reader

pytestmark = pytest.mark.skipif(not ffmpeg_available(), reason="needs ffmpeg")


def _two_track_mkv(path: Path, default_track: int | None) -> Path:
    """One second of video and two audio tracks; ``default_track`` (0 or 1) carries the flag."""
    dispositions = []
    for track in (0, 1):
        flag = "default" if track == default_track else "0"
        dispositions += [f"-disposition:a:{track}", flag]
    run_ffmpeg(
        [
            *("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1"),
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=1"),
            *("-f", "lavfi", "-i", "sine=frequency=660:duration=1"),
            *("-map", "0:v", "-map", "1:a", "-map", "2:a"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "32k"),
            *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre"),
            *dispositions,
            str(path),
        ]
    )
    return path


def _probe(path: Path):
    return probe_reader(BlockReader(FileRangeSource(path), block_size=16 * 1024))


def test_the_second_track_flagged_default_is_the_default_stream(tmp_path: Path) -> None:
    # Given an mkv whose second audio track carries the default flag
    result = _probe(_two_track_mkv(tmp_path / "second.mkv", default_track=1))
    audio = [s for s in result.streams if s.type is StreamType.AUDIO]
    # Then the probe names that track as the default audio stream
    assert [s.default for s in audio] == [False, True]
    assert result.default_audio_stream_index == audio[1].index


def test_the_first_track_flagged_default_is_the_default_stream(tmp_path: Path) -> None:
    result = _probe(_two_track_mkv(tmp_path / "first.mkv", default_track=0))
    audio = [s for s in result.streams if s.type is StreamType.AUDIO]
    assert result.default_audio_stream_index == audio[0].index


def test_without_flags_the_first_embedded_track_is_the_default() -> None:
    streams = [
        MediaStream(index=0, type=StreamType.VIDEO, codec="h264"),
        MediaStream(index=1, type=StreamType.AUDIO, codec="aac", external=True, default=True),
        MediaStream(index=2, type=StreamType.AUDIO, codec="ac3"),
        MediaStream(index=3, type=StreamType.AUDIO, codec="aac"),
    ]
    # An external file's flag is not the container's: the first embedded track is the default.
    assert default_audio_index(streams) == 2
    assert default_audio_index(streams[:1]) is None

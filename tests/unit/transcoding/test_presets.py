"""Optimized-version presets: the catalogue, which presets fit a source, their parameters and
content addresses, and a ready version's media facts. Pure, no I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from viewra.media.models.items import MediaItem, MediaStream, OptimizedVersion, StreamType
from viewra.transcoding.command import build_command
from viewra.transcoding.for_playback import source_of
from viewra.transcoding.models import BUILT_IN_PRESETS, Preset, PresetKind, check_names, preset
from viewra.transcoding.optimized import OptimizedVersions, avc_level, version_item
from viewra.transcoding.params import Protocol, TranscodeParams, content_hash
from viewra.transcoding.providers import SOFTWARE


def video_item(
    width: int,
    height: int,
    codec: str = "hevc",
    container: str = "matroska",
    bitrate: int | None = 10_000_000,
    audio: tuple[str, int] = ("ac3", 6),
    etag: str = "e1",
) -> MediaItem:
    return MediaItem(
        id="i1",
        library_id="lib",
        bucket="media",
        key="movies/a.mkv",
        etag=etag,
        size=1000,
        container=container,
        duration=10.0,
        bitrate=bitrate,
        streams=[
            MediaStream(index=0, type=StreamType.VIDEO, codec=codec, width=width, height=height,
                        frame_rate=24.0, bitrate=bitrate),
            MediaStream(index=1, type=StreamType.AUDIO, codec="aac", channels=2, language="fra"),
            MediaStream(index=2, type=StreamType.AUDIO, codec=audio[0], channels=audio[1],
                        language="eng", default=True),
        ],
        default_audio_stream_index=2,
    )  # fmt: skip


def track(codec: str = "flac", container: str = "flac", bitrate: int = 900_000) -> MediaItem:
    return MediaItem(
        id="t1",
        library_id="lib",
        bucket="media",
        key="music/a.flac",
        etag="e2",
        container=container,
        bitrate=bitrate,
        streams=[MediaStream(index=0, type=StreamType.AUDIO, codec=codec, channels=2)],
    )


def test_the_catalogue_names_validated_presets() -> None:
    assert {"1080p-h264-8mbps", "720p-h264-3mbps", "480p-h264-1.5mbps", "aac-256k"} <= set(
        BUILT_IN_PRESETS
    )
    p = preset("1080p-h264-8mbps")
    assert (p.max_width, p.max_height, p.video_bitrate) == (1920, 1080, 8_000_000)
    assert (p.video_profile, p.video_level, p.audio_codec, p.audio_channels) == (
        "high",
        "4.1",
        "aac",
        2,
    )
    assert preset("aac-256k").kind is PresetKind.AUDIO
    with pytest.raises(KeyError, match="unknown preset"):
        preset("4k-av1")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"video_codec": "vp9"}, "video_codec"),
        ({"audio_codec": "opus"}, "audio_codec"),
        ({"container": "mkv"}, "progressive mp4"),
        ({"max_height": None}, "needs max_width"),
        ({"video_profile": "high10"}, "video_profile"),
        ({"name": "Has Spaces"}, "name"),
        ({"kind": "audio"}, "no video"),
    ],
)
def test_a_bad_preset_is_refused(fields: dict[str, Any], error: str) -> None:
    base = {
        "name": "small",
        "title": "t",
        "max_width": 640,
        "max_height": 360,
        "video_bitrate": "1M",
    }
    with pytest.raises(ValidationError, match=error):
        Preset.model_validate({**base, **fields})


def test_library_preset_lists_are_checked() -> None:
    assert check_names(["720p-h264-3mbps", "aac-256k"]) == ["720p-h264-3mbps", "aac-256k"]
    with pytest.raises(ValueError, match=r"unknown preset.*'nope'"):
        check_names(["720p-h264-3mbps", "nope"])
    with pytest.raises(ValueError, match="twice"):
        check_names(["aac-256k", "aac-256k"])


def test_a_preset_asks_for_a_progressive_mp4_with_pinned_profile_and_level() -> None:
    params = preset("720p-h264-3mbps").params_for(video_item(1920, 1080))
    assert params.protocol is Protocol.MP4 and params.canonical_container == "mp4"
    canonical = params.canonical()
    assert canonical["video_profile"] == "high" and canonical["video_level"] == "4.0"
    assert (canonical["max_width"], canonical["max_height"]) == (1280, 720)
    assert canonical["audio_stream_index"] == 1  # the default track (eng) is the 2nd audio
    args = build_command(params, SOFTWARE, "/in/a.mkv", Path("/out"))
    assert args[args.index("-profile:v") + 1] == "high"
    assert args[args.index("-level:v") + 1] == "4.0"
    assert args[-1].endswith("video.mp4")


def test_pinning_profile_or_level_is_part_of_the_hash_and_only_for_h264() -> None:
    item = video_item(1920, 1080)
    plain = TranscodeParams(protocol=Protocol.MP4)
    assert "video_profile" not in plain.canonical()  # older hashes stand unchanged
    pinned = TranscodeParams(protocol=Protocol.MP4, video_profile="High", video_level="4.1")
    assert pinned.video_profile == "high"
    assert content_hash(source_of(item), plain) != content_hash(source_of(item), pinned)
    with pytest.raises(ValidationError, match="h264 encode only"):
        TranscodeParams(video_codec="hevc", video_profile="main")
    with pytest.raises(ValidationError, match="h264 encode only"):
        TranscodeParams(video_codec="copy", video_level="4.1")


# (preset, item, skipped?) — the rules of skip_reason
SKIP_CASES = [
    ("1080p-h264-8mbps", video_item(1280, 720), "larger than the source"),
    ("1080p-h264-8mbps", video_item(1920, 800), None),  # as wide as the box: made
    ("1080p-h264-8mbps", video_item(1440, 1080), None),  # as tall as the box: made
    ("1080p-h264-8mbps", video_item(3840, 2160), None),  # scaled down
    ("720p-h264-3mbps", video_item(1280, 720), None),
    ("480p-h264-1.5mbps", video_item(640, 360), "larger than the source"),
    # already what the preset makes: h264 + stereo aac in mp4, in the box, under the bitrate
    (
        "720p-h264-3mbps",
        video_item(1280, 720, "h264", "mp4", 2_000_000, ("aac", 2)),
        "already",
    ),
    # the same but over the preset's bitrate, or with 5.1 audio, or in mkv: made
    ("720p-h264-3mbps", video_item(1280, 720, "h264", "mp4", 6_000_000, ("aac", 2)), None),
    ("720p-h264-3mbps", video_item(1280, 720, "h264", "mp4", 2_000_000, ("aac", 6)), None),
    ("720p-h264-3mbps", video_item(1280, 720, "h264", "matroska", 2_000_000, ("aac", 2)), None),
    ("aac-256k", video_item(1920, 1080), "audio-only"),
    ("720p-h264-3mbps", track(), "items with video"),
    ("aac-256k", track(), None),
    ("aac-256k", track("aac", "m4a", 200_000), "already"),
    ("aac-256k", track("aac", "m4a", 320_000), None),
]


@pytest.mark.parametrize(("name", "item", "skipped"), SKIP_CASES)
def test_which_presets_fit_a_source(name: str, item: MediaItem, skipped: str | None) -> None:
    reason = preset(name).skip_reason(item)
    if skipped is None:
        assert reason is None
    else:
        assert reason is not None and skipped in reason


def test_the_plan_is_pure_and_addresses_by_source_and_preset() -> None:
    planner = OptimizedVersions(None)  # type: ignore[arg-type]  # plan() needs no transcoder
    names = ["1080p-h264-8mbps", "720p-h264-3mbps", "480p-h264-1.5mbps", "aac-256k"]
    source = video_item(1280, 720)
    plan = planner.plan(source, names)
    assert [v.preset for v in plan] == ["720p-h264-3mbps", "480p-h264-1.5mbps"]
    assert all(v.audio_stream_index == 2 for v in plan)
    assert planner.plan(source, names) == plan  # the same again: nothing new to queue
    replaced = planner.plan(video_item(1280, 720, etag="e-new"), names)
    assert {v.h for v in replaced}.isdisjoint({v.h for v in plan})
    assert len({v.h for v in plan}) == 2
    assert planner.plan(source, ["gone-from-catalogue"]) == []


def test_avc_level_reads_rfc6381_codec_strings() -> None:
    assert avc_level("avc1.640028") == 40.0
    assert avc_level("avc1.4d401f") == 31.0
    assert avc_level("hvc1.1.6.L93.B0") is None
    assert avc_level(None) is None


def test_a_ready_version_has_its_own_media_facts() -> None:
    source = video_item(1920, 1080)
    version = OptimizedVersion(preset="720p-h264-3mbps", h="ab" * 32, audio_stream_index=2)
    manifest = {
        "entry": "video.mp4",
        "duration": 10.0,
        "total_bytes": 4_000_000,
        "params": {"video_bitrate": 3_000_000, "audio_bitrate": 160_000},
        "streams": [
            {"type": "video", "codec": "h264", "codecs": "avc1.640028", "width": 1280,
             "height": 720, "profile": "High"},
            {"type": "audio", "codec": "aac", "codecs": "mp4a.40.2", "channels": 2,
             "sample_rate": "48000"},
        ],
    }  # fmt: skip
    media = version_item(source, version, manifest, "content")
    assert (media.bucket, media.key, media.container) == (
        "content",
        f"content/ab/ab/{'ab' * 32}/video.mp4",
        "mp4",
    )
    video, audio = media.streams
    assert (video.codec, video.level, video.width, video.frame_rate) == ("h264", 40.0, 1280, 24.0)
    assert (audio.codec, audio.channels, audio.sample_rate, audio.language) == (
        "aac",
        2,
        48000,
        "eng",
    )
    assert media.bitrate == 3_200_000 and media.default_audio_stream_index == 1
    assert media.optimized_versions == []

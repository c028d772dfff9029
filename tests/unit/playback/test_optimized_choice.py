"""Which ready optimized version a playback plays, decided by the engine on each version's own
facts (a fake versions port hands them in; no storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from playback_shorthand import build_item

from viewra.common.errors import Unprocessable
from viewra.media.models.items import MediaItem, OptimizedVersion
from viewra.playback.decision import PlaybackOptions, PlayMethod, get_profile, parse_profile
from viewra.playback.service import _decide_with_versions

SOURCE = build_item(
    {
        "container": "mkv",
        "video": {"codec": "hevc", "width": 1920, "height": 1080, "bitrate": 9_000_000},
        "audio": [
            {"codec": "ac3", "channels": 6, "default": True, "lang": "eng"},
            {"codec": "aac", "channels": 2, "lang": "fra"},
        ],
    }
)


def version(preset: str, height: int, bitrate: int, level: float = 40, audio: int = 1):
    media = build_item(
        {
            "container": "mp4",
            "bitrate": bitrate,
            "video": {"codec": "h264", "profile": "High", "level": level, "width": height * 16 // 9,
                      "height": height, "bitrate": bitrate - 160_000},
            "audio": {"codec": "aac", "channels": 2, "default": True},
        }
    )  # fmt: skip
    return OptimizedVersion(preset=preset, h=preset.ljust(64, "0"), audio_stream_index=audio), media


@dataclass
class FakeVersions:
    rows: list[tuple[OptimizedVersion, MediaItem]] = field(default_factory=list)

    def ready(self, item: MediaItem) -> list[tuple[OptimizedVersion, MediaItem]]:
        return self.rows

    def played(self, h: str) -> None:  # pragma: no cover - not called by the decision
        raise AssertionError


@dataclass
class FakeServices:
    versions: FakeVersions


def choose(rows: list[Any], profile: Any = "chrome", item: MediaItem | None = None, **options):
    item = item or SOURCE.model_copy(update={"optimized_versions": [v for v, _ in rows]})
    profile = get_profile(profile) if isinstance(profile, str) else parse_profile(profile)
    services = FakeServices(FakeVersions(rows))
    return _decide_with_versions(services, item, profile, PlaybackOptions(**options))  # type: ignore[arg-type]


ROWS = [version("720p", 720, 3_200_000), version("1080p", 1080, 8_200_000)]


def test_the_best_version_that_direct_plays_wins_and_says_why() -> None:
    decision, media = choose(ROWS)
    assert decision.method is PlayMethod.DIRECT_PLAY and decision.optimized_version == "1080p"
    assert media is ROWS[1][1]
    assert decision.reasons[-1].value == "OptimizedVersion"
    assert "VideoCodecNotSupported" in {r.value for r in decision.reasons}
    assert decision.audio_stream_index == 1 and decision.subtitle_stream_index is None


def test_a_cap_picks_the_version_that_fits_it_or_none() -> None:
    decision, _ = choose(ROWS, max_streaming_bitrate=5_000_000)
    assert decision.optimized_version == "720p"
    decision, media = choose(ROWS, max_streaming_bitrate=1_000_000)
    assert (decision.method, decision.optimized_version, media) == (
        PlayMethod.TRANSCODE,
        None,
        None,
    )


def test_a_version_the_device_cannot_take_is_passed_over() -> None:
    high_level = [version("1080p", 1080, 8_200_000, level=52)]
    strict = get_profile("chrome").model_dump(by_alias=True, mode="json")
    for codec_profile in strict["CodecProfiles"]:
        if codec_profile.get("Codec") == "h264":
            codec_profile["Conditions"] = [
                {"Condition": "LessThanEqual", "Property": "VideoLevel", "Value": "41"}
            ]
    decision, media = choose(high_level, strict)
    assert decision.method is not PlayMethod.DIRECT_PLAY and media is None
    # the same device takes a version at level 4.0
    decision, media = choose([*high_level, ROWS[0]], strict)
    assert decision.optimized_version == "720p" and media is ROWS[0][1]


@pytest.mark.parametrize(
    "options",
    [{"audio_stream_index": 2}, {"allow_direct_play": False}, {"subtitle_stream_index": 3}],
)
def test_a_request_the_version_cannot_serve_decides_on_the_original(options) -> None:
    decision, media = choose(ROWS, **options)
    assert media is None and decision.optimized_version is None
    assert decision.method is not PlayMethod.DIRECT_PLAY


def test_a_chosen_subtitle_keeps_the_original() -> None:
    item = build_item(
        {
            "container": "mkv",
            "video": {"codec": "hevc", "width": 1920, "height": 1080},
            "audio": {"codec": "ac3", "channels": 6, "default": True},
            "subs": {"codec": "subrip", "lang": "eng", "forced": True},
        }
    ).model_copy(update={"optimized_versions": [ROWS[0][0]]})
    decision, media = choose(ROWS, item=item)
    assert decision.subtitle_stream_index is not None and media is None


def test_no_version_and_nothing_playable_is_still_a_422() -> None:
    music_only = {"Name": "m", "DirectPlayProfiles": [{"Type": "Audio", "Container": "mp3"}]}
    with pytest.raises(Unprocessable):
        choose([], music_only)
    # but a version the device plays rescues it, with the original's failure reasons
    mp4_ok = {**music_only, "DirectPlayProfiles": [{"Type": "Video", "Container": "mp4"}]}
    decision, media = choose(ROWS, mp4_ok)
    assert decision.method is PlayMethod.DIRECT_PLAY and media is not None
    assert [r.value for r in decision.reasons][-1] == "OptimizedVersion"
    assert len(decision.reasons) > 1

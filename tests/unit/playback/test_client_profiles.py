"""The real clients' DeviceProfiles (issue 17): what each client sends parses through the API's
own parser into the built-in, and Jellyfin's JSON defaults hold for what a client leaves out."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from viewra.playback.decision import (
    CodecType,
    DlnaProfileType,
    EncodingContext,
    MediaStreamProtocol,
    ProfileConditionType,
    ProfileConditionValue,
    ProfileError,
    SubtitleDeliveryMethod,
    get_profile,
    parse_profile,
)
from viewra.playback.service import resolve_profile

CLIENTS = {
    "jellyfin-web": "jellyfin-web (Chrome, desktop)",
    "jellyfin-media-player": "Jellyfin Media Player",
    "androidtv-exoplayer": "AndroidTV-ExoPlayer",
    "kodi": "Kodi",
    "swiftfin": "Swiftfin (Swiftfin player)",
}


def _raw(name: str) -> dict:
    return json.loads(
        resources.files("viewra").joinpath("data", "profiles", f"{name}.json").read_text()
    )


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_a_client_profile_posted_to_the_api_is_the_builtin(name: str) -> None:
    # Given the JSON the client sends; When the API resolves it as an inline profile
    posted = resolve_profile(_raw(name))
    # Then it is the same profile as the built-in of that name
    assert posted == get_profile(name)
    assert posted.name == CLIENTS[name]


def test_bare_audio_transcoding_profile_defaults_its_container() -> None:
    # Jellyfin Media Player and Kodi send {"Type": "Audio"} alone.
    profile = parse_profile(_raw("jellyfin-media-player"))
    audio = profile.transcoding(DlnaProfileType.AUDIO, EncodingContext.STREAMING)
    assert [tp.container for tp in audio] == [""]
    assert audio[0].protocol is MediaStreamProtocol.HTTP
    assert audio[0].audio_codecs == ()


def test_kodi_playlist_container_means_hls_in_ts() -> None:
    video = get_profile("kodi").transcoding(DlnaProfileType.VIDEO, EncodingContext.STREAMING)[0]
    assert video.container == "m3u8"
    assert (video.target_container, video.delivery_protocol) == ("ts", MediaStreamProtocol.HLS)


def test_missing_types_and_methods_take_the_enums_first_member() -> None:
    profile = parse_profile(
        {
            "DirectPlayProfiles": [{"Container": "mp3"}],
            "TranscodingProfiles": [{"Container": "mp3"}],
            "ContainerProfiles": [{"Container": "mp4"}],
            "CodecProfiles": [{"Codec": "h264"}],
            "SubtitleProfiles": [{"Format": "srt"}],
        }
    )
    assert profile.direct_play_profiles[0].type is DlnaProfileType.AUDIO
    assert profile.transcoding_profiles[0].type is DlnaProfileType.AUDIO
    assert profile.container_profiles[0].type is DlnaProfileType.AUDIO
    assert profile.codec_profiles[0].type is CodecType.VIDEO
    assert profile.subtitle_profiles[0].method is SubtitleDeliveryMethod.ENCODE


def test_numbered_enums_read_as_jellyfin_numbers_them() -> None:
    profile = parse_profile(
        {
            "TranscodingProfiles": [{"Container": "ts", "Type": 1, "Protocol": 1, "Context": 1}],
            "CodecProfiles": [
                {"Type": 1, "Conditions": [{"Condition": 0, "Property": 17, "Value": "false"}]}
            ],
            "SubtitleProfiles": [{"Format": "vtt", "Method": 3}],
        }
    )
    tp = profile.transcoding_profiles[0]
    assert (tp.type, tp.protocol, tp.context) == (
        DlnaProfileType.VIDEO,
        MediaStreamProtocol.HLS,
        EncodingContext.STATIC,
    )
    cond = profile.codec_profiles[0].conditions[0]
    assert profile.codec_profiles[0].type is CodecType.VIDEO_AUDIO
    assert cond.property is ProfileConditionValue.IS_SECONDARY_AUDIO
    assert profile.subtitle_profiles[0].method is SubtitleDeliveryMethod.HLS
    assert cond.condition is ProfileConditionType.EQUALS


def test_a_condition_needs_only_a_value() -> None:
    profile = parse_profile(
        {"CodecProfiles": [{"Type": "VideoAudio", "Conditions": [{"Value": "2"}]}]}
    )
    cond = profile.codec_profiles[0].conditions[0]
    assert cond.condition is ProfileConditionType.EQUALS
    assert cond.property is ProfileConditionValue.AUDIO_CHANNELS
    assert cond.is_required


def test_the_video_rotation_condition_parses() -> None:
    profile = parse_profile(
        {
            "CodecProfiles": [
                {
                    "Type": "Video",
                    "Codec": "hevc",
                    "Conditions": [
                        {"Condition": "EqualsAny", "Property": "VideoRotation", "Value": "0|180"}
                    ],
                }
            ]
        }
    )
    cond = profile.codec_profiles[0].conditions[0]
    assert cond.property is ProfileConditionValue.VIDEO_ROTATION
    assert cond.is_satisfied(180) and not cond.is_satisfied(-90)


@pytest.mark.parametrize("value", ["Stream", 99, -1, "7x"])
def test_an_unknown_enum_value_is_refused_as_jellyfin_refuses_it(value: object) -> None:
    with pytest.raises(ProfileError) as exc:
        parse_profile({"DirectPlayProfiles": [{"Container": "mp4", "Type": value}]})
    assert ("DirectPlayProfiles", 0, "Type") in [e["loc"] for e in exc.value.errors]

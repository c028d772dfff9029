"""Device profiles: Jellyfin's JSON as it is, errors that say where, built-ins parsed once."""

from __future__ import annotations

import json

import pytest

from viewra.playback.decision import (
    CodecType,
    DeviceProfile,
    DlnaProfileType,
    MediaStreamProtocol,
    ProfileConditionType,
    ProfileConditionValue,
    ProfileError,
    SubtitleDeliveryMethod,
    UnknownProfileError,
    get_profile,
    load_builtin_profiles,
    parse_profile,
)

# Shaped like what jellyfin-web's browserDeviceProfile sends, trimmed; extra keys on purpose.
JELLYFIN_WEB_PROFILE = {
    "MaxStreamingBitrate": 120000000,
    "MaxStaticBitrate": 100000000,
    "MusicStreamingTranscodingBitrate": 384000,
    "DirectPlayProfiles": [
        {
            "Container": "webm",
            "Type": "Video",
            "VideoCodec": "vp8,vp9,av1",
            "AudioCodec": "vorbis,opus",
        },
        {"Container": "mp3", "Type": "Audio"},
    ],
    "TranscodingProfiles": [
        {
            "Container": "ts",
            "Type": "Video",
            "AudioCodec": "aac,mp3",
            "VideoCodec": "h264",
            "Context": "Streaming",
            "Protocol": "hls",
            "MaxAudioChannels": "2",
            "MinSegments": "1",
            "BreakOnNonKeyFrames": True,
            "SegmentLength": None,
        }
    ],
    "ContainerProfiles": [],
    "CodecProfiles": [
        {
            "Type": "VideoAudio",
            "Codec": "aac",
            "Conditions": [
                {
                    "Condition": "Equals",
                    "Property": "IsSecondaryAudio",
                    "Value": "false",
                    "IsRequired": False,
                }
            ],
        },
        {
            "Type": "Video",
            "Codec": "h264",
            "Conditions": [
                {
                    "Condition": "EqualsAny",
                    "Property": "VideoRangeType",
                    "Value": "SDR",
                    "IsRequired": False,
                },
                {
                    "Condition": "LessThanEqual",
                    "Property": "VideoLevel",
                    "Value": "52",
                    "IsRequired": False,
                },
            ],
        },
        {
            "Type": "Video",
            "Container": "hls",
            "SubContainer": "mp4",
            "Codec": "h264",
            "Conditions": [],
        },
    ],
    "SubtitleProfiles": [{"Format": "vtt", "Method": "External"}],
    "ResponseProfiles": [{"Type": "Video", "Container": "m4v", "MimeType": "video/mp4"}],
    "SomeFutureField": {"anything": 1},
}


def test_jellyfin_web_profile_parses_as_it_is() -> None:
    profile = parse_profile(JELLYFIN_WEB_PROFILE)

    assert profile.max_streaming_bitrate == 120_000_000
    assert profile.direct_play_profiles[0].type is DlnaProfileType.VIDEO
    tp = profile.transcoding_profiles[0]
    assert (tp.protocol, tp.max_audio_channels, tp.min_segments) == (MediaStreamProtocol.HLS, 2, 1)
    assert tp.segment_length == 0  # null means absent
    cond = profile.codec_profiles[1].conditions[1]
    assert (cond.condition, cond.property, cond.value, cond.is_required) == (
        ProfileConditionType.LESS_THAN_EQUAL,
        ProfileConditionValue.VIDEO_LEVEL,
        "52",
        False,
    )
    assert profile.subtitle_profiles[0].method is SubtitleDeliveryMethod.EXTERNAL


def test_profile_parses_from_json_text_too() -> None:
    assert parse_profile(json.dumps(JELLYFIN_WEB_PROFILE)) == parse_profile(JELLYFIN_WEB_PROFILE)


def test_profile_serialises_back_to_pascal_case() -> None:
    profile = parse_profile(JELLYFIN_WEB_PROFILE)
    dumped = profile.model_dump(by_alias=True, exclude_defaults=True)

    assert dumped["CodecProfiles"][1]["Conditions"][0]["Property"] == "VideoRangeType"
    assert parse_profile(dumped) == profile


def test_enum_names_parse_in_any_case() -> None:
    profile = parse_profile({"CodecProfiles": [{"Type": "videoaudio", "Conditions": []}]})
    assert profile.codec_profiles[0].type is CodecType.VIDEO_AUDIO


def test_condition_is_required_defaults_to_true() -> None:
    profile = parse_profile(
        {
            "CodecProfiles": [
                {
                    "Type": "Video",
                    "Conditions": [{"Condition": "Equals", "Property": "Width", "Value": "1"}],
                }
            ]
        }
    )
    assert profile.codec_profiles[0].conditions[0].is_required is True


def test_bare_numbers_and_booleans_are_accepted_as_values() -> None:
    profile = parse_profile(
        {
            "CodecProfiles": [
                {
                    "Type": "Video",
                    "Conditions": [
                        {"Condition": "LessThanEqual", "Property": "Width", "Value": 1920},
                        {"Condition": "NotEquals", "Property": "IsAnamorphic", "Value": True},
                    ],
                }
            ]
        }
    )
    assert [c.value for c in profile.codec_profiles[0].conditions] == ["1920", "true"]


@pytest.mark.parametrize(
    ("bad", "loc"),
    [
        (
            {"DirectPlayProfiles": [{"Container": "mp4", "Type": "Television"}]},
            ("DirectPlayProfiles", 0, "Type"),
        ),
        (
            {"TranscodingProfiles": [{"Container": "ts", "Type": "Video", "Protocol": "rtsp"}]},
            ("TranscodingProfiles", 0, "Protocol"),
        ),
        (
            {
                "TranscodingProfiles": [
                    {"Container": "ts", "Type": "Video", "MaxAudioChannels": "six"}
                ]
            },
            ("TranscodingProfiles", 0, "MaxAudioChannels"),
        ),
        (
            {"MaxStreamingBitrate": "fast"},
            ("MaxStreamingBitrate",),
        ),
        (
            {
                "CodecProfiles": [
                    {
                        "Type": "Video",
                        "Conditions": [
                            {"Condition": "LessThanEqual", "Property": "Width", "Value": "wide"}
                        ],
                    }
                ]
            },
            ("CodecProfiles", 0, "Conditions", 0, "Value"),
        ),
        (
            {
                "CodecProfiles": [
                    {
                        "Type": "Video",
                        "Conditions": [
                            {
                                "Condition": "LessThanEqual",
                                "Property": "VideoProfile",
                                "Value": "high",
                            }
                        ],
                    }
                ]
            },
            ("CodecProfiles", 0, "Conditions", 0, "Value"),
        ),
        (
            {
                "CodecProfiles": [
                    {
                        "Type": "Video",
                        "Conditions": [
                            {
                                "Condition": "Equals",
                                "Property": "IsInterlaced",
                                "Value": "sometimes",
                            }
                        ],
                    }
                ]
            },
            ("CodecProfiles", 0, "Conditions", 0, "Value"),
        ),
        (
            {
                "CodecProfiles": [
                    {
                        "Type": "Video",
                        "Conditions": [{"Condition": "Roughly", "Property": "Width", "Value": "1"}],
                    }
                ]
            },
            ("CodecProfiles", 0, "Conditions", 0, "Condition"),
        ),
        (
            {
                "CodecProfiles": [
                    {
                        "Type": "Video",
                        "Conditions": [{"Condition": "Equals", "Property": "Colour", "Value": "1"}],
                    }
                ]
            },
            ("CodecProfiles", 0, "Conditions", 0, "Property"),
        ),
        (
            {
                "CodecProfiles": [
                    {
                        "Type": "VideoAudio",
                        "Conditions": [
                            {"Condition": "LessThanEqual", "Property": "Width", "Value": "1"}
                        ],
                    }
                ]
            },
            ("CodecProfiles", 0, "Conditions"),
        ),
        (
            {"SubtitleProfiles": [{"Format": "vtt", "Method": "Teleport"}]},
            ("SubtitleProfiles", 0, "Method"),
        ),
    ],
)
def test_malformed_profile_names_the_bad_field(bad: dict, loc: tuple) -> None:
    with pytest.raises(ProfileError) as exc:
        parse_profile(bad)

    assert loc in [e["loc"] for e in exc.value.errors]
    assert ".".join(map(str, loc)) in str(exc.value) or len(exc.value.errors) > 1


def test_malformed_json_text_is_a_profile_error() -> None:
    with pytest.raises(ProfileError):
        parse_profile("{not json")


def test_builtin_profiles_are_the_documented_set() -> None:
    assert set(load_builtin_profiles()) == {
        "chrome",
        "firefox",
        "safari",
        "android",
        "ios",
        "roku",
        "dlna-tv",
        "jellyfin-web",
        "jellyfin-media-player",
        "androidtv-exoplayer",
        "kodi",
        "swiftfin",
    }


def test_builtin_profiles_are_parsed_once() -> None:
    assert get_profile("roku") is get_profile("roku")
    assert load_builtin_profiles()["roku"] is get_profile("roku")


def test_callers_cannot_change_the_shared_set() -> None:
    mine = load_builtin_profiles()
    mine.pop("roku")
    assert "roku" in load_builtin_profiles()


def test_unknown_builtin_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProfileError) as exc:
        get_profile("betamax")
    assert "chrome" in str(exc.value)


# Viewra's own generic profiles; the client recreations (jellyfin-web, kodi...) are kept as the
# clients send them, gaps included (Swiftfin has no audio transcoding, JMP no streaming cap).
GENERIC = ("chrome", "firefox", "safari", "android", "ios", "roku", "dlna-tv")


@pytest.mark.parametrize("name", GENERIC)
def test_every_builtin_can_transcode_video_and_music(name: str) -> None:
    profile: DeviceProfile = get_profile(name)
    kinds = {tp.type for tp in profile.transcoding_profiles}
    assert {DlnaProfileType.VIDEO, DlnaProfileType.AUDIO} <= kinds
    assert profile.max_streaming_bitrate


def test_profiles_are_frozen() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        get_profile("chrome").name = "Edge"  # type: ignore[misc]

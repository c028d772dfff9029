"""Properties of decide() over generated items, profiles and options (hypothesis).

The tables pin down chosen cases; these check the promises that must hold for every input:
reasons empty exactly on DirectPlay, no DirectPlay past a failed condition, transcode targets
inside the bitrate cap, switches respected, output well-formed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from playback_shorthand import build_item

from viewra.media.models.items import MediaItem, StreamType
from viewra.playback.decision import (
    COPY,
    Decision,
    DeviceProfile,
    NoCompatibleStreamError,
    PlaybackOptions,
    PlayMethod,
    TranscodeReason,
    decide,
    load_builtin_profiles,
    parse_profile,
)
from viewra.playback.decision.direct import DIRECT_STREAM_REASONS
from viewra.playback.decision.enums import DlnaProfileType
from viewra.playback.decision.facts import is_audio_item, primary_video


def decision_is_video(item: MediaItem) -> bool:
    """Whether decide() takes the video path for ``item``."""
    return not is_audio_item(item, primary_video(item))


R = TranscodeReason
BUILTINS = load_builtin_profiles()
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

maybe = st.none().__or__

video_stream = st.fixed_dictionaries(
    {
        "codec": maybe(st.sampled_from(["h264", "hevc", "vp9", "av1", "mpeg2video", "mpeg4"])),
        "width": maybe(st.sampled_from([640, 1280, 1920, 3840, 7680])),
        "height": maybe(st.sampled_from([360, 720, 1080, 2160, 4320])),
        "bit_depth": maybe(st.sampled_from([8, 10, 12])),
        "profile": maybe(st.sampled_from(["High", "Main", "Main 10", "High 10", "Baseline"])),
        "level": maybe(st.sampled_from([30, 41, 51, 52, 120, 153, 183])),
        "range_type": maybe(st.sampled_from(["SDR", "HDR10", "HDR10Plus", "HLG", "DOVI"])),
        "fps": maybe(st.sampled_from([23.976, 25.0, 29.97, 59.94, 120.0])),
        "tag": maybe(st.sampled_from(["avc1", "hvc1", "hev1", "dvh1"])),
        "interlaced": maybe(st.booleans()),
        "anamorphic": maybe(st.booleans()),
        "refs": maybe(st.integers(1, 16)),
        "bitrate": maybe(st.integers(100_000, 80_000_000)),
    }
)
audio_stream = st.fixed_dictionaries(
    {
        "codec": maybe(
            st.sampled_from(["aac", "ac3", "eac3", "dts", "truehd", "mp3", "opus", "flac", "alac"])
        ),
        "channels": maybe(st.sampled_from([1, 2, 6, 8])),
        "bitrate": maybe(st.integers(32_000, 4_000_000)),
        "sample_rate": maybe(st.sampled_from([44100, 48000, 96000])),
        "bit_depth": maybe(st.sampled_from([16, 24])),
        "profile": maybe(st.sampled_from(["LC", "HE-AAC"])),
        "lang": maybe(st.sampled_from(["eng", "fre", "jpn"])),
        "default": st.booleans(),
        "external": st.booleans(),
    }
)
subtitle_stream = st.fixed_dictionaries(
    {
        "codec": st.sampled_from(
            ["subrip", "ass", "webvtt", "hdmv_pgs_subtitle", "dvd_subtitle", "mov_text"]
        ),
        "lang": maybe(st.sampled_from(["eng", "fre"])),
        "forced": st.booleans(),
        "default": st.booleans(),
        "external": st.booleans(),
    }
)


@st.composite
def plausible_items(draw: st.DrawFn, music: bool | None = None) -> MediaItem:
    """Ordinary files, most of which some built-in profile direct plays or remuxes."""
    music = draw(st.booleans()) if music is None else music
    if music:
        codec = draw(st.sampled_from(["mp3", "flac", "aac", "opus", "alac"]))
        container = {"aac": "m4a", "alac": "m4a", "opus": "ogg"}.get(codec, codec)
        audio = {
            "codec": codec,
            "channels": draw(st.sampled_from([2, 6])),
            "sample_rate": draw(st.sampled_from([44100, 48000, 96000])),
        }
        return build_item(
            {
                "kind": "track",
                "container": container,
                "bitrate": draw(st.integers(96_000, 3_000_000)),
                "audio": audio,
            }
        )
    codec = draw(st.sampled_from(["h264", "h264", "hevc", "vp9", "av1"]))
    video = {
        "codec": codec,
        "width": 1920,
        "height": 1080,
        "bit_depth": 8 if codec == "h264" else draw(st.sampled_from([8, 10])),
        "profile": {"h264": "High", "hevc": "Main"}.get(codec),
        "level": {"h264": 41, "hevc": 120}.get(codec),
        "range_type": draw(st.sampled_from(["SDR", "SDR", "HDR10"])) if codec != "h264" else "SDR",
        "fps": 23.976,
        "tag": {"h264": "avc1", "hevc": "hvc1"}.get(codec),
        "interlaced": False,
        "refs": 4,
    }
    audio = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "codec": st.sampled_from(["aac", "aac", "ac3", "eac3", "opus", "dts"]),
                    "channels": st.sampled_from([2, 6]),
                    "bitrate": st.sampled_from([128_000, 384_000, 640_000]),
                    "lang": st.sampled_from(["eng", "fre"]),
                    "default": st.booleans(),
                }
            ),
            min_size=1,
            max_size=2,
        )
    )
    return build_item(
        {
            "kind": "movie",
            "container": draw(st.sampled_from(["mp4", "mkv", "webm", "mov"])),
            "bitrate": draw(st.integers(500_000, 30_000_000)),
            "video": video,
            "audio": audio,
            "subs": draw(st.lists(subtitle_stream, max_size=1)),
        }
    )


@st.composite
def wild_items(draw: st.DrawFn) -> MediaItem:
    music = draw(st.booleans())
    spec: dict[str, Any] = {
        "kind": "track" if music else draw(st.sampled_from(["movie", "episode", "video"])),
        "container": draw(
            maybe(st.sampled_from(["mp4", "mkv", "webm", "ts", "avi", "mov", "mp3", "flac", "ogg"]))
        ),
        "bitrate": draw(maybe(st.integers(64_000, 90_000_000))),
        "audio": draw(st.lists(audio_stream, min_size=1 if music else 0, max_size=3)),
    }
    if not music:
        spec["video"] = draw(st.lists(video_stream, min_size=0, max_size=2))
        spec["subs"] = draw(st.lists(subtitle_stream, max_size=2))
    return build_item(spec)


items = st.one_of(plausible_items(), wild_items())
mostly = st.sampled_from([True, True, True, False])


@st.composite
def options_for(draw: st.DrawFn, item: MediaItem) -> PlaybackOptions:
    indexes = [s.index for s in item.streams]
    return PlaybackOptions(
        max_streaming_bitrate=draw(
            st.one_of(st.none(), st.none(), st.integers(100_000, 150_000_000))
        ),
        audio_stream_index=draw(maybe(st.sampled_from([*indexes, 99]) if indexes else st.none())),
        subtitle_stream_index=draw(
            maybe(st.sampled_from([*indexes, -1]) if indexes else st.none())
        ),
        allow_direct_play=draw(mostly),
        allow_direct_stream=draw(mostly),
        allow_video_stream_copy=draw(mostly),
        allow_audio_stream_copy=draw(mostly),
        max_audio_channels=draw(maybe(st.sampled_from([1, 2, 6]))),
    )


# A small profile whose every condition the test can check without the engine's help.
@st.composite
def checkable_profiles(draw: st.DrawFn) -> tuple[DeviceProfile, list[tuple[str, str, int, bool]]]:
    video_props = draw(
        st.lists(st.sampled_from(["Width", "Height", "VideoBitDepth", "RefFrames"]), unique=True)
    )
    conds = [
        ("Video", prop, draw(st.sampled_from([8, 10, 1280, 1920, 4, 3840])), draw(st.booleans()))
        for prop in video_props
    ]
    if draw(st.booleans()):
        conds.append(
            ("VideoAudio", "AudioChannels", draw(st.sampled_from([2, 6])), draw(st.booleans()))
        )
    codec_profiles = [
        {
            "Type": kind,
            "Conditions": [
                {"Condition": "LessThanEqual", "Property": p, "Value": str(v), "IsRequired": r}
            ],
        }
        for kind, p, v, r in conds
    ]
    profile = parse_profile(
        {
            "Name": "checkable",
            "MaxStreamingBitrate": draw(st.sampled_from([2_000_000, 20_000_000, 200_000_000])),
            "DirectPlayProfiles": [
                {"Container": "mp4,mkv,webm,mov", "Type": "Video"},
                {"Container": "mp3,flac,ogg", "Type": "Audio"},
            ],
            "TranscodingProfiles": [
                {
                    "Container": "ts",
                    "Type": "Video",
                    "VideoCodec": "h264,hevc",
                    "AudioCodec": "aac,ac3",
                    "Protocol": "hls",
                },
                {"Container": "mp3", "Type": "Audio", "AudioCodec": "mp3", "Protocol": "http"},
            ],
            "CodecProfiles": codec_profiles,
            "SubtitleProfiles": [
                {"Format": "vtt", "Method": "External"},
                {"Format": "pgssub", "Method": "External"},
                {"Format": "ass", "Method": "External"},
            ],
        }
    )
    return profile, conds


profiles = st.sampled_from(sorted(BUILTINS)).map(BUILTINS.__getitem__)


def _decide(item: MediaItem, profile: DeviceProfile, options: PlaybackOptions) -> Decision | None:
    """decide(), with the refusals it is allowed to make checked and turned into None."""
    try:
        return decide(item, profile, options)
    except NoCompatibleStreamError as exc:
        no_audio = not item.audio_streams
        kind = DlnaProfileType.VIDEO if decision_is_video(item) else DlnaProfileType.AUDIO
        # A client may send no transcoding profile for a kind (Swiftfin has none for music).
        no_target = not profile.transcoding(kind, options.context)
        assert not options.allow_transcoding or no_audio or no_target, exc
        return None


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_reasons_are_empty_exactly_on_direct_play(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    decision = _decide(item, profile, data.draw(options_for(item)))
    assume(decision is not None)
    assert (decision.method is PlayMethod.DIRECT_PLAY) == (not decision.reasons)


@SETTINGS
@given(
    data=st.data(),
    item=st.one_of(plausible_items(music=False), plausible_items(music=False), wild_items()),
    checkable=checkable_profiles(),
)
def test_no_direct_play_past_a_failed_condition(
    data: st.DataObject, item: MediaItem, checkable: tuple[DeviceProfile, list[Any]]
) -> None:
    profile, conds = checkable
    decision = _decide(item, profile, data.draw(options_for(item)))
    if decision is None or decision.method is not PlayMethod.DIRECT_PLAY:
        return  # the property is about direct plays only
    if decision.media_type.value != "Video":
        return
    video = next(s for s in item.streams if s.index == decision.video_stream_index)
    audio = next((s for s in item.streams if s.index == decision.audio_stream_index), None)
    values = {
        "Width": video.width,
        "Height": video.height,
        "VideoBitDepth": video.bit_depth,
        "RefFrames": video.ref_frames,
        "AudioChannels": audio.channels if audio else None,
    }
    for kind, prop, limit, required in conds:
        if kind == "VideoAudio" and audio is None:
            continue
        value = values[prop]
        if value is None:
            assert not required, f"unknown {prop} passed a required condition"
        else:
            assert value <= limit, f"{prop}={value} passed LessThanEqual {limit}"


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_transcode_targets_stay_within_the_bitrate_cap(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    options = data.draw(options_for(item))
    decision = _decide(item, profile, options)
    assume(decision is not None and decision.method is PlayMethod.TRANSCODE)
    cap = options.max_streaming_bitrate or profile.max_streaming_bitrate
    assume(cap is not None)
    target = decision.target
    assert target is not None
    if decision.media_type.value == "Audio":
        assert (target.audio_bitrate or 0) <= cap
    elif target.video_codec != COPY:
        assert (target.video_bitrate or 0) + (target.audio_bitrate or 0) <= cap
    else:
        # Copying the video means the file itself was under the cap.
        assert R.CONTAINER_BITRATE_EXCEEDS_LIMIT not in decision.reasons


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_request_switches_are_respected(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    options = data.draw(options_for(item))
    decision = _decide(item, profile, options)
    assume(decision is not None)
    if not options.allow_direct_play:
        assert decision.method is not PlayMethod.DIRECT_PLAY
    if not options.allow_direct_stream:
        assert decision.method is not PlayMethod.DIRECT_STREAM
    if decision.target is not None and decision.media_type.value == "Video":
        if not options.allow_video_stream_copy:
            assert decision.target.video_codec != COPY
        if not options.allow_audio_stream_copy:
            assert decision.target.audio_codec != COPY


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_direct_stream_copies_the_video_and_only_fixes_what_a_remux_can(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    decision = _decide(item, profile, data.draw(options_for(item)))
    if decision is None or decision.method is not PlayMethod.DIRECT_STREAM:
        return  # the property is about remuxes only
    assert decision.target is not None
    if decision.media_type.value == "Video":
        assert decision.target.video_codec == COPY
        assert set(decision.reasons) <= DIRECT_STREAM_REASONS | {R.DIRECT_PLAY_ERROR}
    else:
        assert decision.target.audio_codec == COPY


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_decisions_are_well_formed(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    options = data.draw(options_for(item))
    before = item.model_dump()
    decision = _decide(item, profile, options)
    assume(decision is not None)
    assert item.model_dump() == before, "decide must not change its input"
    assert decide(item, profile, options) == decision, "decide must be deterministic"
    assert Decision.model_validate_json(decision.model_dump_json()) == decision
    kinds = {s.index: s.type for s in item.streams}
    for index, kind in (
        (decision.video_stream_index, StreamType.VIDEO),
        (decision.audio_stream_index, StreamType.AUDIO),
        (decision.subtitle_stream_index, StreamType.SUBTITLE),
    ):
        assert index is None or kinds[index] is kind
    assert (decision.subtitle_stream_index is None) == (decision.subtitle_delivery is None)
    assert (decision.target is None) == (decision.method is PlayMethod.DIRECT_PLAY)


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_a_higher_cap_never_takes_direct_play_away(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    options = data.draw(options_for(item))
    decision = _decide(item, profile, options)
    if decision is None or decision.method is not PlayMethod.DIRECT_PLAY:
        return  # the property is about direct plays only
    if options.max_streaming_bitrate is None:
        return
    higher = options.model_copy(update={"max_streaming_bitrate": options.max_streaming_bitrate * 4})
    assert decide(item, profile, higher).method is PlayMethod.DIRECT_PLAY


@SETTINGS
@given(data=st.data(), item=items, profile=profiles)
def test_bitrate_reason_follows_the_cap_for_video(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    options = data.draw(options_for(item))
    decision = _decide(item, profile, options)
    assume(decision is not None and decision.media_type.value == "Video")
    cap = options.max_streaming_bitrate or profile.max_streaming_bitrate
    size = item.bitrate or 40_000_000
    over = cap is not None and size > cap
    assert (R.CONTAINER_BITRATE_EXCEEDS_LIMIT in decision.reasons) == over

"""Properties of decide() on profiles derived from the real clients' DeviceProfiles (issue 17).

Each drawn profile starts from one of the built-ins recreated from a Jellyfin client's source
(jellyfin-web, Jellyfin Media Player, Android TV, Kodi, Swiftfin) and is mutated the way such
profiles vary between devices and settings: direct-play, codec and subtitle profiles dropped,
transcoding profiles reordered, the bitrate caps changed, a rotation or codec-tag condition
added. Whatever the item, the engine must not raise (a refusal is NoCompatibleStreamError, and
only where there is nothing to transcode to), a Transcode must say why, a DirectPlay must not,
and a stream the target copies must meet what the profile asks of the output.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playback_shorthand import build_item
from test_decide_properties import decision_is_video, items, options_for

from viewra.media.models.items import MediaItem, MediaStream, StreamType
from viewra.playback.decision import (
    COPY,
    CodecType,
    Decision,
    DeviceProfile,
    DlnaProfileType,
    MediaStreamProtocol,
    NoCompatibleStreamError,
    PlaybackOptions,
    PlayMethod,
    ProfileConditionValue,
    decide,
    parse_profile,
)
from viewra.playback.decision.names import canonical
from viewra.playback.decision.profiles import CodecProfile, TranscodingProfile

P = ProfileConditionValue
CLIENTS = ("jellyfin-web", "jellyfin-media-player", "androidtv-exoplayer", "kodi", "swiftfin")
# The profiles' JSON as the clients send it, read once: mutations start from the raw JSON so
# every drawn profile goes through the same parser as a profile posted to the API.
RAW: dict[str, dict[str, Any]] = {}
for _name in CLIENTS:
    from importlib import resources

    RAW[_name] = json.loads(
        resources.files("viewra").joinpath("data", "profiles", f"{_name}.json").read_text()
    )

# CI time matters: a bounded number of examples, no deadline (the machine is shared).
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = frozenset({P.VIDEO_PROFILE, P.VIDEO_RANGE_TYPE, P.VIDEO_TIMESTAMP, P.AUDIO_PROFILE})


def _subset(draw: st.DrawFn, values: list[Any], keep_one: bool = False) -> list[Any]:
    chosen = [v for v in values if draw(st.booleans()) or draw(st.booleans())]
    if keep_one and values and not chosen:
        chosen = [values[0]]
    return chosen


@st.composite
def client_profiles(draw: st.DrawFn) -> DeviceProfile:
    """A real client's profile, varied as devices and settings vary it."""
    raw = json.loads(json.dumps(RAW[draw(st.sampled_from(CLIENTS))]))
    raw["DirectPlayProfiles"] = _subset(draw, raw.get("DirectPlayProfiles", []))
    raw["CodecProfiles"] = _subset(draw, raw.get("CodecProfiles", []))
    raw["SubtitleProfiles"] = _subset(draw, raw.get("SubtitleProfiles", []))
    tps = raw.get("TranscodingProfiles", [])
    raw["TranscodingProfiles"] = draw(st.permutations(tps)) if draw(st.booleans()) else tps
    if draw(st.booleans()):
        raw["MaxStreamingBitrate"] = draw(st.sampled_from([1_500_000, 8_000_000, 40_000_000]))
    extra = draw(
        st.sampled_from(
            [
                None,
                {"Condition": "Equals", "Property": "VideoRotation", "Value": "0"},
                {"Condition": "EqualsAny", "Property": "VideoCodecTag", "Value": "hvc1|dvh1"},
                {"Condition": "LessThanEqual", "Property": "VideoLevel", "Value": "41"},
                {"Condition": "LessThanEqual", "Property": "Width", "Value": "1920"},
            ]
        )
    )
    if extra is not None:
        codec = draw(st.sampled_from(["h264", "hevc", ""]))
        container = draw(st.sampled_from(["", "", "hls"]))
        raw["CodecProfiles"].append(
            {
                "Type": "Video",
                "Codec": codec,
                "Container": container,
                "SubContainer": "mp4" if container else "",
                "Conditions": [{**extra, "IsRequired": draw(st.booleans())}],
            }
        )
    return parse_profile(raw)


rotated = st.builds(
    lambda item, degrees: item.model_copy(
        update={
            "streams": [
                s.model_copy(update={"rotation": degrees}) if s.type is StreamType.VIDEO else s
                for s in item.streams
            ]
        }
    ),
    items,
    st.sampled_from([None, 0, 90, 180, 270]),
)
external_subs = st.builds(
    lambda item, ext: build_item(
        {
            "container": item.container,
            "bitrate": item.bitrate,
            "kind": item.kind.value,
            "video": [s.model_dump() for s in item.streams if s.type is StreamType.VIDEO],
            "audio": [s.model_dump() for s in item.streams if s.type is StreamType.AUDIO],
            "subs": [{"codec": "subrip", "external": True, "external_key": f"media/a.{ext}"}],
        }
    ),
    items,
    st.sampled_from(["srt", "ass", "idx", "mks"]),
)
any_items = st.one_of(items, rotated, external_subs)


def _decide(item: MediaItem, profile: DeviceProfile, options: PlaybackOptions) -> Decision | None:
    """decide(); the one refusal allowed is NoCompatibleStreamError with nothing to go to."""
    try:
        return decide(item, profile, options)
    except NoCompatibleStreamError:
        kind = DlnaProfileType.VIDEO if decision_is_video(item) else DlnaProfileType.AUDIO
        nothing = not profile.transcoding(kind, options.context) or not item.audio_streams
        assert nothing or not options.allow_transcoding
        return None


def _applies(cp: CodecProfile, codec: str | None, container: str, hls: bool) -> bool:
    """The test's own reading of CodecProfile.ContainsAnyCodec (with useSubContainer)."""
    containers = cp.sub_container if hls and cp.container.lower() == "hls" else cp.container
    names = {canonical(c) for c in containers.split(",") if c.strip()}
    negative = containers.strip().startswith("-")
    if names and ((canonical(container) in {canonical(n.lstrip("-")) for n in names}) == negative):
        return False
    codecs = {canonical(c) for c in cp.codec.split(",") if c.strip()}
    return not codecs or canonical(codec) in codecs


def _facts(stream: MediaStream) -> dict[P, Any]:
    return {
        P.WIDTH: stream.width,
        P.HEIGHT: stream.height,
        P.VIDEO_BIT_DEPTH: stream.bit_depth,
        P.VIDEO_LEVEL: stream.level,
        P.VIDEO_PROFILE: stream.profile,
        P.VIDEO_RANGE_TYPE: stream.video_range_type,
        P.VIDEO_FRAMERATE: stream.frame_rate,
        P.REF_FRAMES: stream.ref_frames,
        P.IS_INTERLACED: stream.interlaced,
        P.IS_ANAMORPHIC: stream.anamorphic,
        P.AUDIO_CHANNELS: stream.channels,
        P.AUDIO_SAMPLE_RATE: stream.sample_rate,
        P.AUDIO_BIT_DEPTH: stream.bit_depth,
        P.AUDIO_PROFILE: stream.profile,
        P.IS_SECONDARY_AUDIO: False,  # the copy carries the selected track alone
    }


def _output_profiles(profile: DeviceProfile, decision: Decision) -> list[TranscodingProfile]:
    target = decision.target
    assert target is not None
    return [
        tp
        for tp in profile.transcoding_profiles
        if tp.type is DlnaProfileType.VIDEO
        and (tp.target_container or "ts") == target.container
        and tp.delivery_protocol is target.protocol
    ]


def _listed(codec: str | None, names: tuple[str, ...]) -> bool:
    return not names or canonical(codec) in names


@SETTINGS
@given(data=st.data(), item=any_items, profile=client_profiles())
def test_client_profiles_never_raise_and_reasons_match_the_method(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    decision = _decide(item, profile, data.draw(options_for(item)))
    if decision is None:
        return
    if decision.method is PlayMethod.DIRECT_PLAY:
        assert not decision.reasons
        assert decision.target is None
    else:
        assert decision.reasons, "a Transcode or DirectStream must say why"


@SETTINGS
@given(data=st.data(), item=any_items, profile=client_profiles())
def test_a_copied_stream_meets_the_output_profile(
    data: st.DataObject, item: MediaItem, profile: DeviceProfile
) -> None:
    decision = _decide(item, profile, data.draw(options_for(item)))
    if decision is None or decision.target is None or decision.media_type.value != "Video":
        return
    target = decision.target
    outputs = _output_profiles(profile, decision)
    assert outputs, "the target comes from one of the profile's transcoding profiles"
    hls = target.protocol is MediaStreamProtocol.HLS
    streams = {s.index: s for s in item.streams}

    if target.video_codec == COPY:
        video = streams[decision.video_stream_index]  # type: ignore[index]
        assert any(_listed(video.codec, tp.video_codecs) for tp in outputs)
        facts = _facts(video)
        owner: dict[P, int] = {}
        for i, cp in enumerate(profile.codec(CodecType.VIDEO)):
            if not _applies(cp, video.codec, target.container, hls):
                continue
            if not all(c.is_satisfied(facts.get(c.property)) for c in cp.apply_conditions):
                continue
            for cond in cp.conditions:
                prop = cond.property
                if prop not in facts or prop is P.VIDEO_CODEC_TAG:
                    continue  # the copy re-tags; the rest are not the stream's to meet
                if prop in TEXT and owner.setdefault(prop, i) != i:
                    continue  # a text limit is the first profile's to set
                assert cond.is_satisfied(facts[prop]), f"copied video fails {cond}"

    if target.audio_codec == COPY:
        audio = streams[decision.audio_stream_index]  # type: ignore[index]
        assert any(_listed(audio.codec, tp.audio_codecs) for tp in outputs)
        caps = [tp.max_audio_channels for tp in outputs if _listed(audio.codec, tp.audio_codecs)]
        if audio.channels is not None and all(c is not None for c in caps):
            assert audio.channels <= max(c for c in caps if c is not None)
        facts = _facts(audio)
        for cp in profile.codec(CodecType.VIDEO_AUDIO):
            if not _applies(cp, audio.codec, target.container, False):
                continue
            if not all(c.is_satisfied(facts.get(c.property)) for c in cp.apply_conditions):
                continue
            for cond in cp.conditions:
                assert cond.is_satisfied(facts.get(cond.property)), f"copied audio fails {cond}"


@settings(max_examples=60, deadline=None)
@given(item=any_items, name=st.sampled_from(CLIENTS))
def test_each_client_profile_as_sent_decides_without_raising(item: MediaItem, name: str) -> None:
    """The unmutated client profiles, through the API's parser, on default options."""
    profile = parse_profile(RAW[name])
    decision = _decide(item, profile, PlaybackOptions())
    if decision is not None:
        assert (decision.method is PlayMethod.DIRECT_PLAY) == (not decision.reasons)
        assert decision.audio_stream_index is None or any(
            s.index == decision.audio_stream_index and s.type is StreamType.AUDIO
            for s in item.streams
        )

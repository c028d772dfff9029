"""Direct play analysis: Jellyfin's ``StreamBuilder.GetVideoDirectPlayProfile``.

Every video direct-play profile is checked (container, video codec, an audio candidate's codec)
together with container profiles, video codec profiles (gated by ApplyConditions), the audio
candidate's VideoAudio codec profile and the subtitle's delivery. The best profile wins: one
that allows DirectPlay, then DirectStream, then the one whose failures are least severe
(container < other audio < audio codec < other video < video codec), then profile order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from viewra.media.models.items import MediaItem, MediaStream
from viewra.playback.decision import conditions as cnd
from viewra.playback.decision.enums import (
    CodecType,
    DlnaProfileType,
    PlayMethod,
    SubtitleDeliveryMethod,
)
from viewra.playback.decision.enums import ProfileConditionValue as P
from viewra.playback.decision.enums import TranscodeReason as R
from viewra.playback.decision.facts import audio_facts
from viewra.playback.decision.names import canonical
from viewra.playback.decision.profiles import DeviceProfile, DirectPlayProfile
from viewra.playback.decision.subtitles import subtitle_delivery

# Jellyfin's StreamBuilder reason groups (VideoCodecReasons, AudioCodecReasons...).
VIDEO_CODEC_REASONS = frozenset(
    {
        R.VIDEO_RESOLUTION_NOT_SUPPORTED,
        R.ANAMORPHIC_VIDEO_NOT_SUPPORTED,
        R.INTERLACED_VIDEO_NOT_SUPPORTED,
        R.VIDEO_BIT_DEPTH_NOT_SUPPORTED,
        R.VIDEO_BITRATE_NOT_SUPPORTED,
        R.VIDEO_FRAMERATE_NOT_SUPPORTED,
        R.VIDEO_LEVEL_NOT_SUPPORTED,
        R.REF_FRAMES_NOT_SUPPORTED,
        R.VIDEO_RANGE_TYPE_NOT_SUPPORTED,
        R.VIDEO_PROFILE_NOT_SUPPORTED,
        R.VIDEO_ROTATION_NOT_SUPPORTED,
    }
)
VIDEO_REASONS = VIDEO_CODEC_REASONS | {R.VIDEO_CODEC_NOT_SUPPORTED}
AUDIO_CODEC_REASONS = frozenset(
    {
        R.AUDIO_BITRATE_NOT_SUPPORTED,
        R.AUDIO_CHANNELS_NOT_SUPPORTED,
        R.AUDIO_PROFILE_NOT_SUPPORTED,
        R.AUDIO_SAMPLE_RATE_NOT_SUPPORTED,
        R.SECONDARY_AUDIO_NOT_SUPPORTED,
        R.AUDIO_BIT_DEPTH_NOT_SUPPORTED,
        R.AUDIO_IS_EXTERNAL,
    }
)
AUDIO_REASONS = AUDIO_CODEC_REASONS | {R.AUDIO_CODEC_NOT_SUPPORTED}
CONTAINER_REASONS = frozenset({R.CONTAINER_NOT_SUPPORTED, R.CONTAINER_BITRATE_EXCEEDS_LIMIT})
# Jellyfin's StreamBuilder.DirectStreamReasons: what a remux (video copied) can still fix. A
# codec tag is one: the remux writes the tag the client wants (hev1 -> hvc1). Ours: a stream
# count over the limit is one too (the remux drops the streams the client will not play).
DIRECT_STREAM_REASONS = AUDIO_REASONS | {
    R.CONTAINER_NOT_SUPPORTED,
    R.VIDEO_CODEC_TAG_NOT_SUPPORTED,
    R.STREAM_COUNT_EXCEEDS_LIMIT,
}
# Jellyfin's ranking of a failing direct-play profile, most severe first: an unsupported video
# codec, another video failure, an unsupported audio codec, another audio failure, container.
_RANKINGS: tuple[frozenset[R], ...] = (
    frozenset({R.VIDEO_CODEC_NOT_SUPPORTED}),
    VIDEO_CODEC_REASONS,
    frozenset({R.AUDIO_CODEC_NOT_SUPPORTED}),
    AUDIO_CODEC_REASONS,
    CONTAINER_REASONS,
)
_METHOD_ORDER = {PlayMethod.DIRECT_PLAY: 2, PlayMethod.DIRECT_STREAM: 1, None: 0}
# Subtitle deliveries that do not stop a direct play (Jellyfin's GetVideoDirectPlayProfile).
_DIRECT_SUBTITLES = frozenset(
    {SubtitleDeliveryMethod.DROP, SubtitleDeliveryMethod.EXTERNAL, SubtitleDeliveryMethod.EMBED}
)


@dataclass
class Source:
    """Everything about the item one decision needs, computed once."""

    item: MediaItem
    containers: tuple[str, ...]
    video: MediaStream | None
    video_codec: str | None
    vfacts: dict[P, Any]
    audio: MediaStream | None
    candidates: tuple[MediaStream, ...]
    afacts: dict[int, dict[P, Any]] = field(default_factory=dict)
    subtitle: MediaStream | None = None
    can_extract: bool = True

    def audio_facts(self, stream: MediaStream) -> dict[P, Any]:
        facts = self.afacts.get(stream.index)
        if facts is None:
            facts = self.afacts[stream.index] = audio_facts(self.item, stream)
        return facts


@dataclass
class Direct:
    """The outcome of checking the direct-play profiles."""

    method: PlayMethod | None
    profile: DirectPlayProfile | None
    audio: MediaStream | None
    reasons: set[R]


def _rank(reasons: set[R]) -> int:
    for i, group in enumerate(_RANKINGS, start=1):
        if reasons & group:
            return i
    return len(_RANKINGS) + 1


def video_failures(
    src: Source, profile: DeviceProfile, containers: tuple[str, ...]
) -> list[cnd.ProfileCondition]:
    """The video codec-profile conditions the source fails in ``containers``."""
    failed: list[cnd.ProfileCondition] = []
    for cp in profile.codec(CodecType.VIDEO):
        if cp.applies_to(src.video_codec, containers) and cnd.all_satisfied(
            cp.apply_conditions, src.vfacts, cnd.VIDEO_PROPERTIES
        ):
            failed += cnd.failed(cp.conditions, src.vfacts, cnd.VIDEO_PROPERTIES)
    return failed


def _audio_stream_reasons(
    src: Source, stream: MediaStream, profile: DeviceProfile, containers: tuple[str, ...]
) -> set[R]:
    """Jellyfin's ``CheckVideoAudioStreamDirectPlay``: VideoAudio conditions, external audio."""
    facts = src.audio_facts(stream)
    codec = canonical(stream.codec)
    failed: list[cnd.ProfileCondition] = []
    for cp in profile.codec(CodecType.VIDEO_AUDIO):
        if cp.applies_to(codec, containers) and cnd.all_satisfied(
            cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES
        ):
            failed += cnd.failed(cp.conditions, facts, cnd.AUDIO_PROPERTIES)
    reasons = cnd.reasons_for(failed)
    if stream.external:
        reasons.add(R.AUDIO_IS_EXTERNAL)
    return reasons


def check_direct(
    src: Source,
    profile: DeviceProfile,
    eligible_play: bool,
    eligible_stream: bool,
) -> Direct:
    """Jellyfin's ``GetVideoDirectPlayProfile``: analyse every profile, keep the best."""
    containers = src.containers
    shared: set[R] = set()
    for cp in profile.containers(DlnaProfileType.VIDEO):
        if cp.applies_to(containers):
            shared |= cnd.reasons_for(cnd.failed(cp.conditions, src.vfacts, cnd.VIDEO_PROPERTIES))
    if src.subtitle is not None:
        method, _ = subtitle_delivery(
            src.subtitle,
            profile.subtitle_profiles,
            PlayMethod.DIRECT_PLAY,
            containers[0] if containers else None,
            None,
            can_extract=src.can_extract,
        )
        if method not in _DIRECT_SUBTITLES:
            shared.add(R.SUBTITLE_CODEC_NOT_SUPPORTED)
    video_reasons = cnd.reasons_for(video_failures(src, profile, containers))
    audio_reasons = {
        s.index: _audio_stream_reasons(src, s, profile, containers) for s in src.candidates
    }

    results: list[tuple[tuple[int, int, int], Direct]] = []
    container_supported = False
    for order, dp in enumerate(profile.direct_play(DlnaProfileType.VIDEO)):
        failure = set(shared)
        if dp.supports_container(containers):
            container_supported = True
        else:
            failure.add(R.CONTAINER_NOT_SUPPORTED)
        if dp.supports_video_codec(src.video_codec):
            failure |= video_reasons
        else:
            # An unknown codec is an unsupported one (ContainerHelper: no name, no match).
            failure.add(R.VIDEO_CODEC_NOT_SUPPORTED)
        selected = None
        if src.candidates:
            selected = next(
                (s for s in src.candidates if dp.supports_audio_codec(canonical(s.codec))), None
            )
            if selected is not None:
                failure |= audio_reasons[selected.index]
            else:
                failure.add(R.AUDIO_CODEC_NOT_SUPPORTED)
        method = None
        if not failure and eligible_play:
            method = PlayMethod.DIRECT_PLAY
        elif not (failure - DIRECT_STREAM_REASONS) and eligible_stream:
            method = PlayMethod.DIRECT_STREAM
        # Jellyfin: best method, then least severe failure, then profile order.
        key = (-_METHOD_ORDER[method], -_rank(failure), order)
        results.append((key, Direct(method, dp, selected, failure)))

    results.sort(key=lambda r: r[0])
    for _, result in results:
        if result.method is not None:
            return result
    # Jellyfin reports the best failing profile, passing over container failures when some
    # profile did take the container. No video profile at all: nothing failed that Jellyfin
    # can name, so it says DirectPlayError.
    for _, result in results:
        if not container_supported or R.CONTAINER_NOT_SUPPORTED not in result.reasons:
            return Direct(None, None, None, result.reasons or {R.DIRECT_PLAY_ERROR})
    return Direct(None, None, None, {R.DIRECT_PLAY_ERROR})

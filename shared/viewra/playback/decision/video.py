"""The video path: Jellyfin's ``StreamBuilder.BuildVideoItem``.

1. Bitrate: a source above the max streaming bitrate (unknown counts as 40 Mbit/s) cannot be
   sent as it is: ContainerBitrateExceedsLimit, and the video is re-encoded.
2. Direct play analysis (:mod:`viewra.playback.decision.direct`) gives DirectPlay, a DirectStream
   candidate, or the reasons neither works.
3. DirectStream (remux) needs a transcoding profile that can carry the copied video; otherwise,
   and whenever anything about the video fails, Transcode (:mod:`viewra.playback.decision.target`).
"""

from __future__ import annotations

from viewra.media.models.items import MediaItem, MediaStream
from viewra.playback.decision.direct import Direct, Source, check_direct
from viewra.playback.decision.enums import DlnaProfileType, PlayMethod, SubtitleDeliveryMethod
from viewra.playback.decision.enums import TranscodeReason as R
from viewra.playback.decision.facts import UNKNOWN_BITRATE_ASSUMPTION, item_bitrate, video_facts
from viewra.playback.decision.names import canonical
from viewra.playback.decision.outcome import (
    COPY,
    Decision,
    NoCompatibleStreamError,
    PlaybackOptions,
    ordered_reasons,
)
from viewra.playback.decision.profiles import DeviceProfile
from viewra.playback.decision.streams import audio_candidates, choose_audio, choose_subtitle
from viewra.playback.decision.subtitles import subtitle_delivery
from viewra.playback.decision.target import (
    build_target,
    max_bitrate_for,
    pick_transcoding,
    target_container,
)


def decide_video(
    item: MediaItem,
    profile: DeviceProfile,
    options: PlaybackOptions,
    video: MediaStream | None,
    containers: tuple[str, ...],
) -> Decision:
    """The decision for an item with a picture (movie, episode, video)."""
    audio = choose_audio(item, options.audio_stream_index)
    src = Source(
        item=item,
        containers=containers,
        video=video,
        video_codec=canonical(video.codec) if video is not None else None,
        vfacts=video_facts(item, video, containers),
        audio=audio,
        candidates=audio_candidates(item, audio, options.audio_stream_index),
        subtitle=choose_subtitle(item, options.subtitle_stream_index),
        can_extract=options.allow_subtitle_extraction,
    )
    max_bitrate = max_bitrate_for(profile, options, audio=False)
    reasons: set[R] = set()
    exceeded = bool(max_bitrate) and (item_bitrate(item) or UNKNOWN_BITRATE_ASSUMPTION) > (
        max_bitrate or 0
    )
    if exceeded:
        reasons.add(R.CONTAINER_BITRATE_EXCEEDS_LIMIT)
    eligible_play = options.allow_direct_play and not exceeded
    eligible_stream = options.allow_direct_stream and not exceeded
    if eligible_play or eligible_stream:
        direct = check_direct(src, profile, eligible_play, eligible_stream)
        reasons |= direct.reasons
    else:
        # Jellyfin skips the direct-play analysis when neither is possible: a source over the
        # bitrate limit reports ContainerBitrateExceedsLimit, not every profile's failures.
        direct = Direct(None, None, None, set())
    common = {
        "media_type": DlnaProfileType.VIDEO,
        "video_stream_index": video.index if video is not None else None,
        "subtitle_stream_index": src.subtitle.index if src.subtitle is not None else None,
        "start_position": options.start_position,
        "profile_name": profile.name,
    }

    if direct.method is PlayMethod.DIRECT_PLAY and direct.profile is not None:
        container = next(
            (c for c in containers if direct.profile.containers.matches(c)),
            containers[0] if containers else None,
        )
        delivery = fmt = None
        if src.subtitle is not None:
            delivery, fmt = subtitle_delivery(
                src.subtitle,
                profile.subtitle_profiles,
                PlayMethod.DIRECT_PLAY,
                container,
                None,
                can_extract=src.can_extract,
            )
        chosen_audio = direct.audio or audio
        return Decision(
            method=PlayMethod.DIRECT_PLAY,
            container=container,
            audio_stream_index=chosen_audio.index if chosen_audio is not None else None,
            subtitle_delivery=delivery,
            subtitle_format=fmt,
            **common,
        )

    picked = pick_transcoding(src, profile, options)
    if picked is None:
        raise NoCompatibleStreamError(
            f"profile {profile.name!r} has no video transcoding profile",
            ordered_reasons(reasons or {R.DIRECT_PLAY_ERROR}),
        )
    tp = picked
    delivery = fmt = None
    if src.subtitle is not None:
        delivery, fmt = subtitle_delivery(
            src.subtitle,
            profile.subtitle_profiles,
            PlayMethod.TRANSCODE,
            target_container(tp),
            tp.delivery_protocol,
            can_extract=src.can_extract,
        )
    burn_in = delivery is SubtitleDeliveryMethod.ENCODE
    built = build_target(
        src,
        profile,
        options,
        tp,
        options.allow_video_stream_copy and not burn_in,
        reasons,
        max_bitrate,
    )
    method = PlayMethod.TRANSCODE
    if direct.method is PlayMethod.DIRECT_STREAM:
        if built.target.video_codec == COPY:
            method = PlayMethod.DIRECT_STREAM
        elif burn_in:
            reasons.add(R.SUBTITLE_CODEC_NOT_SUPPORTED)
    if not reasons:
        # Nothing about the file fails, yet it is not direct played: the request ruled it out
        # (a client retrying after a failed direct play). Jellyfin says DirectPlayError.
        reasons.add(R.DIRECT_PLAY_ERROR)
    if method is PlayMethod.TRANSCODE and not options.allow_transcoding:
        raise NoCompatibleStreamError(
            "the item needs transcoding and the request does not allow it",
            ordered_reasons(reasons),
        )
    return Decision(
        method=method,
        reasons=ordered_reasons(reasons),
        container=built.target.container,
        audio_stream_index=built.audio_index,
        subtitle_delivery=delivery,
        subtitle_format=fmt,
        target=built.target,
        **common,
    )

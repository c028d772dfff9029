"""Remux and transcode targets: Jellyfin's ``GetVideoTranscodeProfile`` and
``BuildStreamVideoItem``, plus the copy decisions Jellyfin's EncodingHelper makes later.

The first transcoding profile for video wins, preferring one whose video codec list holds the
source codec and whose codec conditions the source meets in that container: then the video can
be copied. Audio is copied when a candidate stream's codec is in the profile's list and it
fits the channel, bitrate and sample-rate limits; otherwise it is encoded to that codec (or the
profile's first). HLS output is limited to the codecs Jellyfin allows in HLS.
"""

from __future__ import annotations

from dataclasses import dataclass

from viewra.media.models.items import MediaStream
from viewra.playback.decision import conditions as cnd
from viewra.playback.decision.direct import VIDEO_REASONS, Source, video_failures
from viewra.playback.decision.enums import (
    CodecType,
    DlnaProfileType,
    EncodingContext,
    MediaStreamProtocol,
)
from viewra.playback.decision.enums import ProfileConditionValue as P
from viewra.playback.decision.enums import TranscodeReason as R
from viewra.playback.decision.limits import Limits, as_int, scale_video_bitrate, video_audio_bitrate
from viewra.playback.decision.names import canonical
from viewra.playback.decision.outcome import COPY, PlaybackOptions, TranscodeTarget
from viewra.playback.decision.profiles import DeviceProfile, TranscodingProfile

# Jellyfin's HLS restrictions (_supportedHlsVideoCodecs / _supportedHlsAudioCodecs{Ts,Mp4}).
HLS_VIDEO_CODECS = frozenset({"h264", "hevc", "vp9", "av1"})
HLS_AUDIO_TS = frozenset({"aac", "ac3", "eac3", "mp3"})
HLS_AUDIO_MP4 = HLS_AUDIO_TS | {"alac", "flac", "opus", "dts", "truehd"}


def pick_transcoding(
    src: Source, profile: DeviceProfile, options: PlaybackOptions
) -> tuple[TranscodingProfile, bool] | None:
    """Jellyfin's ``GetVideoTranscodeProfile``; the flag says the video may be copied into it."""
    candidates = profile.transcoding(DlnaProfileType.VIDEO, options.context)
    if not candidates:
        return None
    if not options.allow_video_stream_copy or src.video_codec is None:
        return candidates[0], False

    def rank(tp: TranscodingProfile) -> int:
        if src.video_codec not in tp.video_codecs:
            return 3
        return 1 if not video_failures(src, profile, (tp.target_container,)) else 2

    best = min(candidates, key=rank)
    return best, rank(best) == 1


def _hls_filter(codecs: tuple[str, ...], allowed: frozenset[str]) -> tuple[str, ...]:
    return tuple(c for c in codecs if c in allowed)


def _audio_conditions_ok(
    src: Source, stream: MediaStream, profile: DeviceProfile, containers: tuple[str, ...]
) -> bool:
    facts = src.audio_facts(stream)
    codec = canonical(stream.codec)
    for cp in profile.codec(CodecType.VIDEO_AUDIO):
        applies = cp.applies_to(codec, containers) and cnd.all_satisfied(
            cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES
        )
        if applies and cnd.failed(cp.conditions, facts, cnd.AUDIO_PROPERTIES):
            return False
    return True


def _min(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _within(value: float | None, limit: float | None) -> bool:
    return value is None or limit is None or value <= limit


@dataclass
class Target:
    target: TranscodeTarget
    audio_index: int | None


def build_target(
    src: Source,
    profile: DeviceProfile,
    options: PlaybackOptions,
    tp: TranscodingProfile,
    copy_ok: bool,
    reasons: set[R],
    max_bitrate: int | None,
) -> Target:
    """Jellyfin's ``BuildStreamVideoItem`` plus the copy decisions its EncodingHelper makes."""
    container = (tp.target_container,)
    hls = tp.protocol is MediaStreamProtocol.HLS
    v_codecs = _hls_filter(tp.video_codecs, HLS_VIDEO_CODECS) if hls else tp.video_codecs
    copy_video = copy_ok and src.video_codec in v_codecs
    if copy_video:
        video_codec = COPY
    elif v_codecs:
        video_codec = v_codecs[0]
    else:
        video_codec = tp.video_codecs[0] if tp.video_codecs else "h264"

    limits = Limits()
    if not copy_video:
        for cp in profile.codec(CodecType.VIDEO):
            if cp.applies_to(video_codec, container) and cnd.all_satisfied(
                cp.apply_conditions, src.vfacts, cnd.VIDEO_PROPERTIES
            ):
                limits.apply(cp.conditions, qualified=True)
        if reasons & (VIDEO_REASONS | {R.CONTAINER_BITRATE_EXCEEDS_LIMIT}):
            limits.apply(tp.conditions, qualified=False)

    audio_codec = audio_bitrate = audio_channels = None
    audio_index = src.audio.index if src.audio is not None else None
    sample_rate = None
    if src.audio is not None:
        allowed = HLS_AUDIO_MP4 if tp.target_container == "mp4" else HLS_AUDIO_TS
        a_codecs = _hls_filter(tp.audio_codecs, allowed) if hls else tp.audio_codecs
        a_codecs = a_codecs or ("aac",)
        direct = next((s for s in src.candidates if canonical(s.codec) in a_codecs), None)
        stream = direct or src.audio
        audio_index = stream.index
        src_codec = canonical(stream.codec)
        target_codec = src_codec if direct is not None else a_codecs[0]
        alimits = Limits()
        facts = src.audio_facts(stream)
        for cp in profile.codec(CodecType.VIDEO_AUDIO):
            if cp.applies_to(target_codec, container) and cnd.all_satisfied(
                cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES
            ):
                alimits.apply(cp.conditions, qualified=True)
        channel_limit = as_int(
            _min(
                options.max_audio_channels,
                tp.max_audio_channels,
                alimits.audio_channels,
                limits.audio_channels,
            )
        )
        bitrate = video_audio_bitrate(
            max_total=max_bitrate,
            target_codec=target_codec,
            target_channels=channel_limit,
            source_codec=src_codec,
            source_channels=stream.channels,
            source_bitrate=stream.bitrate,
            has_source=True,
        )
        cap = _min(alimits.audio_bitrate, limits.audio_bitrate)
        if cap is not None:
            bitrate = min(bitrate, int(cap))
        if max_bitrate:
            # Ours: audio never takes more than half the budget, so video + audio fit under it.
            bitrate = min(bitrate, max_bitrate // 2)
        rate_limit = _min(alimits.audio_sample_rate, limits.audio_sample_rate)
        copy_audio = (
            options.allow_audio_stream_copy
            and direct is not None
            and _audio_conditions_ok(src, stream, profile, container)
            and _within(stream.channels, channel_limit)
            and _within(stream.bitrate, bitrate)
            and _within(stream.sample_rate, rate_limit)
        )
        if copy_audio:
            audio_codec = COPY
            audio_bitrate = stream.bitrate or bitrate
            audio_channels = stream.channels
            sample_rate = stream.sample_rate
        else:
            audio_codec = target_codec
            audio_bitrate = bitrate
            audio_channels = as_int(_min(stream.channels, channel_limit))
            sample_rate = as_int(_min(stream.sample_rate, rate_limit))

    source_rate = src.vfacts.get(P.VIDEO_BITRATE)
    scaled = (
        scale_video_bitrate(source_rate, src.video_codec, video_codec)
        if source_rate and not copy_video
        else None
    )
    if copy_video:
        video_bitrate = source_rate
    elif max_bitrate:
        available = max_bitrate - (audio_bitrate or 0)
        video_bitrate = int(_min(available, limits.video_bitrate, scaled) or available)
        if available >= 64_000:
            # Jellyfin's floor: never ask an encoder for less than 64 kbit/s of video.
            video_bitrate = max(video_bitrate, 64_000)
    else:
        video_bitrate = as_int(_min(limits.video_bitrate, scaled))

    target = TranscodeTarget(
        container=tp.target_container,
        protocol=tp.protocol,
        video_codec=video_codec,
        audio_codec=audio_codec,
        video_bitrate=video_bitrate,
        audio_bitrate=audio_bitrate,
        max_width=as_int(limits.max_width),
        max_height=as_int(limits.max_height),
        max_framerate=limits.max_framerate,
        audio_channels=audio_channels,
        audio_sample_rate=sample_rate,
        video_bit_depth=as_int(limits.video_bit_depth),
        video_level=limits.video_level,
        video_profiles=limits.video_profiles,
        video_range_types=limits.video_range_types,
        max_ref_frames=as_int(limits.max_ref_frames),
        deinterlace=limits.deinterlace and not copy_video and bool(src.vfacts.get(P.IS_INTERLACED)),
        min_segments=tp.min_segments or None,
        segment_length=tp.segment_length or None,
        break_on_non_key_frames=tp.break_on_non_key_frames,
        copy_timestamps=tp.copy_timestamps,
        enable_subtitles_in_manifest=tp.enable_subtitles_in_manifest,
    )
    return Target(target, audio_index)


def max_bitrate_for(profile: DeviceProfile, options: PlaybackOptions, *, audio: bool) -> int | None:
    """Jellyfin's ``MediaOptions.GetMaxBitrate``: the request's cap, else the profile's."""
    if options.max_streaming_bitrate:
        return options.max_streaming_bitrate
    if options.context is EncodingContext.STATIC:
        if audio and profile.max_static_music_bitrate:
            return profile.max_static_music_bitrate
        return profile.max_static_bitrate or None
    return profile.max_streaming_bitrate or None

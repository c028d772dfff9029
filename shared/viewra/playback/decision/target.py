"""Remux and transcode targets: Jellyfin's ``GetVideoTranscodeProfile`` and
``BuildStreamVideoItem``, plus the copy decisions Jellyfin's EncodingHelper makes later.

The video transcoding profile is Jellyfin's: ranked by whether the video, then the audio, could
be copied into it, ties to profile order. The video is copied when its codec is one the profile
takes and it meets the limits the codec profiles put on that output (see copy_failures); the
audio when a candidate track's codec is listed, within MaxAudioChannels and its VideoAudio
conditions (judged as the only track of the output), and the source is under the cap.
Otherwise each is encoded to the profile's first codec (the same codec when it is listed).
HLS output is limited to the codecs Jellyfin allows in HLS. Building the target adds the
reasons Jellyfin adds there (see build_target).
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
from viewra.playback.decision.limits import (
    MIN_AUDIO_BITRATE,
    MIN_VIDEO_BITRATE,
    Limits,
    as_int,
    scale_video_bitrate,
    video_audio_bitrate,
)
from viewra.playback.decision.names import canonical
from viewra.playback.decision.outcome import COPY, PlaybackOptions, TranscodeTarget
from viewra.playback.decision.profiles import DeviceProfile, TranscodingProfile

# What Viewra's transcoder encodes (viewra.transcoding.providers: libx264/libx265 or their
# hardware twins, and its audio encoders). Jellyfin asks the same of its ITranscoderSupport
# (CanEncodeToAudioCodec) and its encoding options (AV1 encoding off by default): a profile's
# first codec is the target only if the server can write it, else the first one it can.
ENCODABLE_VIDEO = frozenset({"h264", "hevc"})
ENCODABLE_AUDIO = frozenset({"aac", "mp3", "opus", "ac3", "flac"})

# Jellyfin's HLS restrictions (_supportedHlsVideoCodecs / _supportedHlsAudioCodecs{Ts,Mp4}).
HLS_VIDEO_CODECS = frozenset({"h264", "hevc", "vp9", "av1"})
HLS_AUDIO_TS = frozenset({"aac", "ac3", "eac3", "mp3"})
HLS_AUDIO_MP4 = HLS_AUDIO_TS | {"alac", "flac", "opus", "dts", "truehd"}


def video_codecs_for(tp: TranscodingProfile, src: Source) -> tuple[str, ...]:
    """The profile's video codecs; none listed takes the source's (Jellyfin 10.10 adds "the
    original codec if no codec is specified"). HLS output keeps only what HLS carries."""
    codecs = tp.video_codecs or ((src.video_codec,) if src.video_codec else ())
    if tp.delivery_protocol is MediaStreamProtocol.HLS:
        codecs = _hls_filter(codecs, HLS_VIDEO_CODECS)
    return codecs


def audio_codecs_for(tp: TranscodingProfile, stream: MediaStream | None) -> tuple[str, ...]:
    """The profile's audio codecs (none listed: the stream's), filtered for HLS as Jellyfin
    does: fMP4 segments carry more codecs than MPEG-TS ones."""
    source = canonical(stream.codec) if stream is not None else None
    codecs = tp.audio_codecs or ((source,) if source else ())
    if tp.delivery_protocol is MediaStreamProtocol.HLS:
        allowed = HLS_AUDIO_MP4 if tp.target_container == "mp4" else HLS_AUDIO_TS
        codecs = _hls_filter(codecs, allowed)
    return codecs


def copy_facts(src: Source, stream: MediaStream) -> dict[P, object]:
    """An audio stream's facts at copy time: Jellyfin evaluates the copy with IsSecondaryAudio
    false, since the copy carries only the selected stream and it is the first in the output."""
    facts = dict(src.audio_facts(stream))
    facts[P.IS_SECONDARY_AUDIO] = False
    return facts


def _audio_failures(
    facts: dict[P, object], codec: str | None, profile: DeviceProfile, container: tuple[str, ...]
) -> list[cnd.ProfileCondition]:
    failed: list[cnd.ProfileCondition] = []
    for cp in profile.codec(CodecType.VIDEO_AUDIO):
        if cp.applies_to(codec, container) and cnd.all_satisfied(
            cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES
        ):
            failed += cnd.failed(cp.conditions, facts, cnd.AUDIO_PROPERTIES)
    return failed


def pick_transcoding(
    src: Source, profile: DeviceProfile, options: PlaybackOptions
) -> TranscodingProfile | None:
    """Jellyfin's ``GetVideoTranscodeProfile``: the first video profile for the context, ranked
    by (video, audio): 1 when the source stream can be copied into it, 2 when its codec is
    listed but a codec condition fails (video) or another listed codec fits (audio), 3 else."""
    candidates = profile.transcoding(DlnaProfileType.VIDEO, options.context)
    if not candidates:
        return None
    audio = src.audio
    audio_codec = canonical(audio.codec) if audio is not None else None

    def rank(tp: TranscodingProfile) -> tuple[int, int]:
        video_rank = audio_rank = 3
        container = (target_container(tp),)
        listed = tp.video_codecs
        if (
            options.allow_video_stream_copy
            and src.video_codec is not None
            and (not listed or src.video_codec in listed)
        ):
            video_rank = 1 if not video_failures(src, profile, container) else 2
        if options.allow_audio_stream_copy and audio is not None:
            facts = copy_facts(src, audio)
            for codec in tp.audio_codecs:
                if not _audio_failures(facts, codec, profile, container):
                    audio_rank = min(audio_rank, 1 if codec == audio_codec else 2)
                if audio_rank == 1:
                    break
        return video_rank, audio_rank

    return min(candidates, key=rank)


def target_container(tp: TranscodingProfile) -> str:
    """A video profile with no Container still needs one: MPEG-TS, what Jellyfin streams."""
    return tp.target_container or "ts"


def copy_failures(
    src: Source, profile: DeviceProfile, container: tuple[str, ...], hls: bool
) -> list[cnd.ProfileCondition]:
    """The video codec conditions a copy of the source into ``container`` fails, as Jellyfin's
    EncodingHelper decides a copy: from the limits the codec profiles put on the output.

    Limits add up (``LessThanEqual`` takes the smallest; a flag any profile sets holds), but a
    text value (profiles, range types) is set by the first codec profile that names it
    (Jellyfin applies them in reverse, "first codec profile has higher priority"). That is how a
    ``Container: hls, SubContainer: mp4`` profile listing ``high 10`` lets High 10 H.264 be
    copied into fMP4 HLS although the general H.264 profile refuses it for direct play. The
    codec tag is not checked: the copy writes the tag the client wants (hvc1 for HEVC in MP4).
    """
    text_owner: dict[P, int] = {}
    failed: list[cnd.ProfileCondition] = []
    for i, cp in enumerate(profile.codec(CodecType.VIDEO)):
        if not (
            cp.applies_to(src.video_codec, container, hls=hls)
            and cnd.all_satisfied(cp.apply_conditions, src.vfacts, cnd.VIDEO_PROPERTIES)
        ):
            continue
        for cond in cp.conditions:
            prop = cond.property
            if prop not in cnd.VIDEO_PROPERTIES or prop is P.VIDEO_CODEC_TAG:
                continue
            if prop in cnd.TEXT_PROPERTIES and text_owner.setdefault(prop, i) != i:
                continue
            if not cond.is_satisfied(src.vfacts.get(prop)):
                failed.append(cond)
    return failed


def _hls_filter(codecs: tuple[str, ...], allowed: frozenset[str]) -> tuple[str, ...]:
    return tuple(c for c in codecs if c in allowed)


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
    copy_allowed: bool,
    reasons: set[R],
    max_bitrate: int | None,
) -> Target:
    """Jellyfin's ``BuildStreamVideoItem`` plus the copy decisions its EncodingHelper makes.

    Adds the reasons Jellyfin adds while building the target: VideoCodecNotSupported when the
    source video codec is not one the profile takes, AudioCodecNotSupported likewise for audio,
    the failed VideoAudio conditions of the stream it would copy, and AudioChannelsNotSupported
    when that stream has more channels than the profile's MaxAudioChannels (it is downmixed).
    """
    container = (target_container(tp),)
    hls = tp.delivery_protocol is MediaStreamProtocol.HLS
    exceeded = R.CONTAINER_BITRATE_EXCEEDS_LIMIT in reasons
    v_codecs = video_codecs_for(tp, src)
    codec_listed = src.video_codec is not None and src.video_codec in v_codecs
    if src.video is not None and not codec_listed:
        reasons.add(R.VIDEO_CODEC_NOT_SUPPORTED)
    copy_video = (
        copy_allowed
        and codec_listed
        and not exceeded
        and not copy_failures(src, profile, container, hls)
    )
    # The first listed codec the transcoder writes; with none (HLS kept none of the profile's
    # codecs, or only ones we cannot encode), H.264, as Jellyfin's encoder falls back to.
    encode_to = next((c for c in v_codecs if c in ENCODABLE_VIDEO), "h264")
    video_codec = COPY if copy_video else encode_to

    limits = Limits()
    if not copy_video:
        applied = [
            cp
            for cp in profile.codec(CodecType.VIDEO)
            if cp.applies_to(video_codec, container, hls=hls)
            and cnd.all_satisfied(cp.apply_conditions, src.vfacts, cnd.VIDEO_PROPERTIES)
        ]
        # Reversed, as Jellyfin applies them: the first codec profile has the last word.
        for cp in reversed(applied):
            limits.apply(cp.conditions, qualified=True)
        if reasons & (VIDEO_REASONS | {R.CONTAINER_BITRATE_EXCEEDS_LIMIT}):
            limits.apply(tp.conditions, qualified=False)

    audio_codec = audio_bitrate = audio_channels = None
    audio_index = src.audio.index if src.audio is not None else None
    sample_rate = None
    if src.audio is not None:
        a_codecs = audio_codecs_for(tp, src.audio)
        candidates = src.candidates or (src.audio,)
        supported = next((s for s in candidates if canonical(s.codec) in a_codecs), None)
        if supported is None:
            reasons.add(R.AUDIO_CODEC_NOT_SUPPORTED)
        a_codecs = a_codecs or ("aac",)
        channels_over = (
            supported is not None
            and supported.channels is not None
            and tp.max_audio_channels is not None
            and supported.channels > tp.max_audio_channels
        )
        satisfied = False
        if supported is not None and not channels_over:
            failed = _audio_failures(
                copy_facts(src, supported), canonical(supported.codec), profile, container
            )
            reasons |= cnd.reasons_for(failed)
            satisfied = not failed and not exceeded
        stream = supported if satisfied and supported is not None else src.audio
        audio_index = stream.index
        src_codec = canonical(stream.codec)
        encodable = [c for c in a_codecs if c in ENCODABLE_AUDIO]
        if src_codec in a_codecs and src_codec in ENCODABLE_AUDIO:
            target_codec = src_codec
        else:
            target_codec = encodable[0] if encodable else "aac"
        alimits = Limits()
        facts = src.audio_facts(stream)
        applied_audio = [
            cp
            for cp in profile.codec(CodecType.VIDEO_AUDIO)
            if cp.applies_to(target_codec, container)
            and cnd.all_satisfied(cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES)
        ]
        for cp in reversed(applied_audio):
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
        bitrate = max(bitrate, MIN_AUDIO_BITRATE)
        rate_limit = _min(alimits.audio_sample_rate, limits.audio_sample_rate)
        copy_audio = (
            options.allow_audio_stream_copy
            and satisfied
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
        if channels_over:
            # Jellyfin's channelsExceedsLimit: the track the profile would take has more
            # channels than the profile's MaxAudioChannels. A downmix that comes with a codec
            # change, or from the request's own limit, adds no reason there either.
            reasons.add(R.AUDIO_CHANNELS_NOT_SUPPORTED)

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
    if video_bitrate is not None and not copy_video:
        video_bitrate = max(video_bitrate, MIN_VIDEO_BITRATE)

    target = TranscodeTarget(
        container=container[0],
        protocol=tp.delivery_protocol,
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

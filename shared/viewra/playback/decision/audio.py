"""The music path: Jellyfin's ``StreamBuilder.GetOptimalAudioStream``.

1. The first audio direct-play profile that takes the container and the codec wins. Failing
   that, a profile that names the stream's codec (as its AudioCodec or as its Container, e.g.
   ``{Container: flac}`` for FLAC in Ogg) allows a remux: DirectStream, ContainerNotSupported.
2. Over the bitrate cap: ContainerBitrateExceedsLimit. Audio codec profiles (Type ``Audio``)
   must pass for direct play, and (ours) for a remux too, since the remux copies the stream.
3. Otherwise the first audio transcoding profile for the context; bitrate is the profile's
   ``MusicStreamingTranscodingBitrate`` (streaming), else the cap, else 128 kbit/s, never above
   the cap or an ``AudioBitrate`` codec condition.
"""

from __future__ import annotations

from viewra.media.models.items import MediaItem
from viewra.playback.decision import conditions as cnd
from viewra.playback.decision.enums import (
    CodecType,
    DlnaProfileType,
    EncodingContext,
    MediaStreamProtocol,
    PlayMethod,
)
from viewra.playback.decision.enums import TranscodeReason as R
from viewra.playback.decision.facts import UNKNOWN_BITRATE_ASSUMPTION, audio_facts, item_bitrate
from viewra.playback.decision.limits import MIN_AUDIO_BITRATE, Limits, as_int
from viewra.playback.decision.names import canonical
from viewra.playback.decision.outcome import (
    COPY,
    Decision,
    NoCompatibleStreamError,
    PlaybackOptions,
    TranscodeTarget,
    ordered_reasons,
)
from viewra.playback.decision.profiles import DeviceProfile, DirectPlayProfile
from viewra.playback.decision.streams import choose_audio
from viewra.playback.decision.target import ENCODABLE_AUDIO, max_bitrate_for

DEFAULT_MUSIC_BITRATE = 128_000


def _min(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _names_codec(dp: DirectPlayProfile, codec: str | None) -> bool:
    """``IsAudioDirectStreamSupported``: the profile names exactly this codec."""
    if codec is None:
        return False
    return canonical(dp.audio_codec) == codec or canonical(dp.container) == codec


def decide_audio(
    item: MediaItem,
    profile: DeviceProfile,
    options: PlaybackOptions,
    containers: tuple[str, ...],
) -> Decision:
    """The decision for a music track (or any item without a picture)."""
    audio = choose_audio(item, options.audio_stream_index)
    if audio is None:
        raise NoCompatibleStreamError(
            "the item has no audio stream to play", (R.UNKNOWN_AUDIO_STREAM_INFO,)
        )
    codec = canonical(audio.codec)
    facts = audio_facts(item, audio)
    profiles = profile.direct_play(DlnaProfileType.AUDIO)
    reasons: set[R] = set()
    method: PlayMethod | None = None

    dp = next(
        (p for p in profiles if p.supports_container(containers) and p.supports_audio_codec(codec)),
        None,
    )
    if codec is not None and dp is not None:
        method = PlayMethod.DIRECT_PLAY
    else:
        dp = next(
            (
                p
                for p in profiles
                if not p.supports_container(containers) and _names_codec(p, codec)
            ),
            None,
        )
        if dp is not None:
            method = PlayMethod.DIRECT_STREAM
            reasons.add(R.CONTAINER_NOT_SUPPORTED)
        else:
            if not any(p.supports_container(containers) for p in profiles):
                reasons.add(R.CONTAINER_NOT_SUPPORTED)
            # GetTranscodeReasonsFromDirectPlayProfile: an unknown codec is an unsupported one
            # (SupportsAudioCodec(null) is false); Jellyfin never sets UnknownAudioStreamInfo.
            if codec is None or not any(
                p.supports_container(containers) and p.supports_audio_codec(codec) for p in profiles
            ):
                reasons.add(R.AUDIO_CODEC_NOT_SUPPORTED)

    max_bitrate = max_bitrate_for(profile, options, audio=True)
    if method is not None:
        bitrate = item_bitrate(item) or audio.bitrate or UNKNOWN_BITRATE_ASSUMPTION
        if max_bitrate and bitrate > max_bitrate:
            reasons.add(R.CONTAINER_BITRATE_EXCEEDS_LIMIT)
        failed = []
        for cp in profile.codec(CodecType.AUDIO):
            if cp.applies_to(codec, containers) and cnd.all_satisfied(
                cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES
            ):
                failed += cnd.failed(cp.conditions, facts, cnd.AUDIO_PROPERTIES)
        reasons |= cnd.reasons_for(failed)

    common = {
        "media_type": DlnaProfileType.AUDIO,
        "audio_stream_index": audio.index,
        "start_position": options.start_position,
        "profile_name": profile.name,
    }
    if method is PlayMethod.DIRECT_PLAY and dp is not None:
        source = next((c for c in containers if dp.containers.matches(c)), None)
        if not reasons and options.allow_direct_play:
            return Decision(method=method, container=source or codec, **common)
        remux_container = source or codec or ""
    elif dp is not None:
        remux_container = (dp.containers.ordered or (codec or "",))[0]
    if (
        method is not None
        and dp is not None
        and options.allow_direct_stream
        and reasons <= {R.CONTAINER_NOT_SUPPORTED}
    ):
        reasons = reasons or {R.DIRECT_PLAY_ERROR}
        return Decision(
            method=PlayMethod.DIRECT_STREAM,
            reasons=ordered_reasons(reasons),
            container=remux_container,
            target=TranscodeTarget(
                container=remux_container,
                protocol=MediaStreamProtocol.HTTP,
                audio_codec=COPY,
                audio_bitrate=audio.bitrate,
                audio_channels=audio.channels,
                audio_sample_rate=audio.sample_rate,
            ),
            **common,
        )

    reasons = reasons or {R.DIRECT_PLAY_ERROR}
    # GetOptimalAudioStream: the first profile for the context whose codec the server can
    # encode (CanEncodeToAudioCodec(AudioCodec ?? Container)).
    tps = [
        tp
        for tp in profile.transcoding(DlnaProfileType.AUDIO, options.context)
        if not tp.audio_codecs or tp.audio_codecs[0] in ENCODABLE_AUDIO
    ]
    if not tps or not options.allow_transcoding:
        why = "transcoding is not allowed" if tps else "the profile has no audio transcoding"
        raise NoCompatibleStreamError(f"cannot play the track: {why}", ordered_reasons(reasons))
    tp = tps[0]
    # A profile naming neither codec nor container (Jellyfin Media Player's and Kodi's bare
    # {"Type": "Audio"}): Jellyfin's audio endpoint infers the codec from the container and,
    # naming none, copies the stream. We copy too, unless the source is over the cap: then
    # (ours) MP3 at the capped bitrate, since a copy would not fit the client's bandwidth.
    if tp.audio_codecs:
        target_codec = tp.audio_codecs[0]
        target_container = tp.target_container or target_codec
    elif R.CONTAINER_BITRATE_EXCEEDS_LIMIT in reasons or (
        max_bitrate and (audio.bitrate or 0) > max_bitrate
    ):
        target_codec = target_container = "mp3"
    else:
        target_codec = COPY
        target_container = containers[0] if containers else (codec or "mka")
    limits = Limits()
    for cp in profile.codec(CodecType.AUDIO):
        if cp.applies_to(target_codec, (target_container,)) and cnd.all_satisfied(
            cp.apply_conditions, facts, cnd.AUDIO_PROPERTIES
        ):
            limits.apply(cp.conditions, qualified=True)
    music_rate = (
        profile.music_streaming_transcoding_bitrate
        if options.context is EncodingContext.STREAMING
        else None
    )
    bitrate = music_rate or max_bitrate or DEFAULT_MUSIC_BITRATE
    if max_bitrate:
        bitrate = min(bitrate, max_bitrate)
    if limits.audio_bitrate is not None:
        bitrate = min(bitrate, int(limits.audio_bitrate))
    bitrate = max(bitrate, MIN_AUDIO_BITRATE)
    channels = as_int(
        _min(
            audio.channels, tp.max_audio_channels, options.max_audio_channels, limits.audio_channels
        )
    )
    return Decision(
        method=PlayMethod.TRANSCODE,
        reasons=ordered_reasons(reasons),
        container=target_container,
        target=TranscodeTarget(
            container=target_container,
            protocol=tp.delivery_protocol,
            audio_codec=target_codec,
            audio_bitrate=audio.bitrate or bitrate if target_codec == COPY else bitrate,
            audio_channels=channels,
            audio_sample_rate=as_int(_min(audio.sample_rate, limits.audio_sample_rate)),
            min_segments=tp.min_segments or None,
            segment_length=tp.segment_length or None,
            break_on_non_key_frames=tp.break_on_non_key_frames,
            copy_timestamps=tp.copy_timestamps,
        ),
        **common,
    )

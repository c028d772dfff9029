"""Turning profile conditions into transcode targets, and Jellyfin's audio bitrate defaults.

:class:`Limits` is Jellyfin's ``StreamBuilder.ApplyTranscodingConditions``: ``LessThanEqual``
tightens a limit, ``Equals`` sets it, ``GreaterThanEqual`` is skipped ("no way to express
this"). Codec-specific limits (profile, level, range type) only come from codec profiles
("qualified" conditions), never from a transcoding profile's own ``Conditions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from viewra.playback.decision.conditions import ProfileCondition
from viewra.playback.decision.enums import ProfileConditionType as C
from viewra.playback.decision.enums import ProfileConditionValue as P


def _tighten(current: float | None, cond: ProfileCondition) -> float | None:
    value = cond.numbers[0]
    if cond.condition is C.EQUALS:
        return value
    if cond.condition is C.LESS_THAN_EQUAL:
        return value if current is None else min(current, value)
    return current


_NUMERIC = {
    P.WIDTH: "max_width",
    P.HEIGHT: "max_height",
    P.VIDEO_BITRATE: "video_bitrate",
    P.AUDIO_BITRATE: "audio_bitrate",
    P.AUDIO_CHANNELS: "audio_channels",
    P.AUDIO_SAMPLE_RATE: "audio_sample_rate",
    P.VIDEO_FRAMERATE: "max_framerate",
}
_QUALIFIED_NUMERIC = {
    P.VIDEO_BIT_DEPTH: "video_bit_depth",
    P.VIDEO_LEVEL: "video_level",
    P.REF_FRAMES: "max_ref_frames",
}


@dataclass
class Limits:
    """Accumulated target limits; ``None`` is "no limit"."""

    max_width: float | None = None
    max_height: float | None = None
    video_bitrate: float | None = None
    audio_bitrate: float | None = None
    audio_channels: float | None = None
    audio_sample_rate: float | None = None
    max_framerate: float | None = None
    video_bit_depth: float | None = None
    video_level: float | None = None
    max_ref_frames: float | None = None
    video_profiles: tuple[str, ...] = ()
    video_range_types: tuple[str, ...] = ()
    deinterlace: bool = False

    def apply(self, conditions: Iterable[ProfileCondition], *, qualified: bool) -> None:
        """Fold conditions in; ``qualified`` when they come from a codec profile."""
        for cond in conditions:
            prop = cond.property
            if cond.condition is C.GREATER_THAN_EQUAL or not cond.value.strip():
                # Jellyfin skips an empty Value, and has "no way to express" a lower bound.
                continue
            if prop in _NUMERIC and cond.condition in (C.EQUALS, C.LESS_THAN_EQUAL):
                name = _NUMERIC[prop]
                setattr(self, name, _tighten(getattr(self, name), cond))
            elif (
                prop in _QUALIFIED_NUMERIC
                and qualified
                and cond.condition
                in (
                    C.EQUALS,
                    C.LESS_THAN_EQUAL,
                )
            ):
                name = _QUALIFIED_NUMERIC[prop]
                setattr(self, name, _tighten(getattr(self, name), cond))
            elif (
                prop is P.VIDEO_PROFILE and qualified and cond.condition in (C.EQUALS, C.EQUALS_ANY)
            ):
                self.video_profiles = cond.texts
            elif (
                prop is P.VIDEO_RANGE_TYPE
                and qualified
                and cond.condition
                in (
                    C.EQUALS,
                    C.EQUALS_ANY,
                )
            ):
                self.video_range_types = cond.texts
            elif prop is P.IS_INTERLACED and (cond.condition is C.EQUALS) != cond.flag:
                # "IsInterlaced NotEquals true" / "Equals false": progressive output wanted.
                self.deinterlace = True


# Ours: the least a transcode asks an encoder for, whatever the budget or a profile's condition
# says (a cap of 1 bit/s, or an AudioBitrate condition of 0). Below these ffmpeg's MP3 and AAC
# encoders refuse or produce nothing playable; the stream then runs over such a cap, as the least
# that can be sent at all.
MIN_AUDIO_BITRATE = 8_000
MIN_VIDEO_BITRATE = 16_000


def as_int(value: float | None) -> int | None:
    return None if value is None else int(value)


def default_audio_bitrate(codec: str | None, channels: int | None) -> int:
    """Jellyfin's ``GetDefaultAudioBitrate``: by codec family and channel count."""
    ch = channels or 0
    if codec in ("aac", "mp3", "ac3", "eac3"):
        if ch < 2:
            return 128_000
        return 640_000 if ch >= 6 else 384_000
    if codec in ("flac", "alac"):
        if ch < 2:
            return 768_000
        return 3_584_000 if ch >= 6 else 1_536_000
    return 192_000


def max_audio_bitrate_for_total(total: int) -> int:
    """Jellyfin's ``GetMaxAudioBitrateForTotalBitrate``: audio's share of a total budget."""
    for ceiling, audio in (
        (640_000, 128_000),
        (2_000_000, 384_000),
        (3_000_000, 448_000),
        (4_000_000, 640_000),
        (5_000_000, 768_000),
        (10_000_000, 1_536_000),
        (15_000_000, 2_304_000),
        (20_000_000, 3_584_000),
    ):
        if total <= ceiling:
            return audio
    return 7_168_000


def video_audio_bitrate(
    *,
    max_total: int | None,
    target_codec: str | None,
    target_channels: int | None,
    source_codec: str | None,
    source_channels: int | None,
    source_bitrate: int | None,
    has_source: bool,
) -> int:
    """Jellyfin's ``GetAudioBitrate`` for a video's audio.

    Downmixing or changing codec uses the target codec's default; otherwise the source bitrate
    is kept. Mono sources below 64 kbit/s cap at 64 kbit/s (encoders fail above), and a total
    budget caps audio at its share of it.
    """
    limit = 2**31 - 1
    if not has_source:
        bitrate = 192_000
    else:
        if (
            target_channels is not None
            and source_channels is not None
            and (source_channels > target_channels)
        ):
            bitrate = default_audio_bitrate(target_codec, target_channels)
        elif (
            target_channels is not None
            and source_channels is not None
            and source_codec
            and target_codec
            and source_codec != target_codec
        ):
            bitrate = default_audio_bitrate(target_codec, source_channels)
        else:
            bitrate = source_bitrate or default_audio_bitrate(target_codec, target_channels)
        if source_channels == 1 and (source_bitrate or 0) < 64_000:
            limit = 64_000
    if max_total:
        bitrate = min(max_audio_bitrate_for_total(max_total), bitrate)
    return min(bitrate, limit)


def _efficiency(codec: str | None) -> float:
    """Jellyfin's ``GetVideoBitrateScaleFactor``: bits a codec needs relative to H.264."""
    if codec in ("hevc", "vp9"):
        return 0.6
    if codec == "av1":
        return 0.5
    return 1.0


def scale_video_bitrate(bitrate: int, source_codec: str | None, target_codec: str | None) -> int:
    """Jellyfin's ``EncodingHelper.ScaleBitrate``: the source bitrate in the target codec's terms,
    with generous floors for low bitrates so a re-encode does not look worse than its source."""
    factor = _efficiency(target_codec) / _efficiency(source_codec)
    for ceiling, floor in ((500_000, 4.0), (1_000_000, 3.0), (2_000_000, 2.5), (3_000_000, 2.0)):
        if bitrate <= ceiling:
            factor = max(factor, floor)
            break
    return int(factor * bitrate)

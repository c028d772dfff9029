"""A playback decision's input (:class:`PlaybackOptions`) and output (:class:`Decision`).

Both are frozen pydantic models so the API can read options from a request and answer with the
decision as JSON without a translation layer. Bitrates are bit/s, positions seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from viewra.playback.decision.enums import (
    REASON_ORDER,
    DlnaProfileType,
    EncodingContext,
    MediaStreamProtocol,
    PlayMethod,
    SubtitleDeliveryMethod,
    TranscodeReason,
)

COPY = "copy"
"""The target codec that means "pass the stream through unchanged" (ffmpeg's ``-c copy``)."""


class PlaybackOptions(BaseModel):
    """The request's side of a decision (Jellyfin's ``MediaOptions``, minus what we do not need).

    ``max_streaming_bitrate`` overrides the profile's ``MaxStreamingBitrate`` when given, as
    Jellyfin's ``MediaOptions.GetMaxBitrate`` does. ``audio_stream_index`` /
    ``subtitle_stream_index`` pick a stream by its ``MediaStream.index``; a subtitle index of -1
    turns subtitles off, ``None`` lets the engine pick (a forced, else a default-flagged track).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_streaming_bitrate: int | None = Field(default=None, gt=0)
    audio_stream_index: int | None = None
    subtitle_stream_index: int | None = None
    allow_direct_play: bool = True
    allow_direct_stream: bool = True
    allow_transcoding: bool = True
    allow_video_stream_copy: bool = True
    allow_audio_stream_copy: bool = True
    max_audio_channels: int | None = Field(default=None, gt=0)
    start_position: float = Field(default=0.0, ge=0)
    context: EncodingContext = EncodingContext.STREAMING
    allow_subtitle_extraction: bool = True
    """Jellyfin's ``CanExtractSubtitles``: whether the server may pull an embedded subtitle out
    of the file to send it as a separate (External or HLS) track. When it may not, an embedded
    subtitle the client cannot take embedded is burned in."""


class TranscodeTarget(BaseModel):
    """What a DirectStream (remux) or Transcode produces; the transcoder's instructions.

    ``video_codec`` / ``audio_codec`` are ``"copy"`` when the source stream passes through.
    Limits (``max_*``, ``video_*``) come from the profile's codec and transcoding conditions and
    are ``None`` where the profile sets none.
    """

    model_config = ConfigDict(frozen=True)

    container: str
    protocol: MediaStreamProtocol
    video_codec: str | None = None
    audio_codec: str | None = None
    video_bitrate: int | None = None
    audio_bitrate: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    max_framerate: float | None = None
    audio_channels: int | None = None
    audio_sample_rate: int | None = None
    video_bit_depth: int | None = None
    video_level: float | None = None
    video_profiles: tuple[str, ...] = ()
    video_range_types: tuple[str, ...] = ()
    max_ref_frames: int | None = None
    deinterlace: bool = False
    min_segments: int | None = None
    segment_length: int | None = None
    break_on_non_key_frames: bool = False
    copy_timestamps: bool = False
    enable_subtitles_in_manifest: bool = False


class Decision(BaseModel):
    """How one item plays on one device: the method, every reason, the streams and the target.

    ``reasons`` is empty exactly when ``method`` is DirectPlay of the original; it is kept in
    Jellyfin's flag order so equal decisions serialise identically. ``container`` is the
    container the client receives: the source's for DirectPlay, the target's otherwise.
    ``optimized_version`` names the preset when the playback service chose to direct-play a
    ready optimized version instead (its reasons then say why the original would not play,
    then ``OptimizedVersion``).
    """

    model_config = ConfigDict(frozen=True)

    method: PlayMethod
    media_type: DlnaProfileType
    reasons: tuple[TranscodeReason, ...] = ()
    container: str | None = None
    video_stream_index: int | None = None
    audio_stream_index: int | None = None
    subtitle_stream_index: int | None = None
    subtitle_delivery: SubtitleDeliveryMethod | None = None
    subtitle_format: str | None = None
    target: TranscodeTarget | None = None
    start_position: float = 0.0
    profile_name: str = ""
    optimized_version: str | None = None

    @property
    def reason_set(self) -> frozenset[TranscodeReason]:
        return frozenset(self.reasons)


def ordered_reasons(reasons: set[TranscodeReason]) -> tuple[TranscodeReason, ...]:
    """Reasons in Jellyfin's flag order, for stable output."""
    return tuple(sorted(reasons, key=REASON_ORDER.__getitem__))


class NoCompatibleStreamError(ValueError):
    """Nothing plays: no direct path, and transcoding is off or the profile offers no target.

    Jellyfin answers this case with ``PlaybackErrorCode.NoCompatibleStream``; ``reasons`` say
    why direct play failed.
    """

    def __init__(self, message: str, reasons: tuple[TranscodeReason, ...]) -> None:
        super().__init__(message)
        self.reasons = reasons

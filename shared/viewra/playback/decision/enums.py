"""The vocabularies a device profile and a decision speak, spelled exactly as Jellyfin spells them.

Jellyfin's device-profile JSON carries these names as strings (``"Type": "Video"``,
``"Condition": "LessThanEqual"``), so the enum values are Jellyfin's PascalCase names and a
profile written for Jellyfin parses unchanged. Parsing is case-insensitive, as .NET's
``Enum.Parse(..., ignoreCase: true)`` is on the Jellyfin side.
"""

from __future__ import annotations

from enum import StrEnum


class _CaseInsensitive(StrEnum):
    """A StrEnum that also accepts any casing of its member values.

    Enums that a device profile carries also take Jellyfin's numbers: .NET's string-enum
    converter reads ``"Type": 1`` as the member numbered 1, and our declaration order is
    Jellyfin's numbering for those (``_numbered``). A value that is neither is refused, as
    Jellyfin refuses it (its converter throws, and the request is a 400).
    """

    @classmethod
    def _missing_(cls, value: object) -> _CaseInsensitive | None:
        if isinstance(value, str):
            folded = value.casefold()
            for member in cls:
                if member.value.casefold() == folded:
                    return member
            if value.strip().isdigit():
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and cls._is_numbered():
            members = list(cls)
            if 0 <= value < len(members):
                return members[value]
        return None

    @classmethod
    def _is_numbered(cls) -> bool:
        return cls.__name__ in _NUMBERED


class PlayMethod(_CaseInsensitive):
    """How the client gets the media (Jellyfin's ``PlayMethod``).

    ``DirectPlay``: the original object, untouched. ``DirectStream``: the original video
    stream copied into a new container (a remux), audio copied or converted. ``Transcode``: the
    video (or, for music, the audio) is re-encoded.
    """

    DIRECT_PLAY = "DirectPlay"
    DIRECT_STREAM = "DirectStream"
    TRANSCODE = "Transcode"


class TranscodeReason(_CaseInsensitive):
    """Why something other than direct play was chosen (Jellyfin's ``TranscodeReason`` flags).

    Declaration order is Jellyfin's bit order, so a sorted reason list reads the way Jellyfin's
    flag enum prints.
    """

    CONTAINER_NOT_SUPPORTED = "ContainerNotSupported"
    VIDEO_CODEC_NOT_SUPPORTED = "VideoCodecNotSupported"
    AUDIO_CODEC_NOT_SUPPORTED = "AudioCodecNotSupported"
    SUBTITLE_CODEC_NOT_SUPPORTED = "SubtitleCodecNotSupported"
    AUDIO_IS_EXTERNAL = "AudioIsExternal"
    SECONDARY_AUDIO_NOT_SUPPORTED = "SecondaryAudioNotSupported"
    VIDEO_PROFILE_NOT_SUPPORTED = "VideoProfileNotSupported"
    VIDEO_LEVEL_NOT_SUPPORTED = "VideoLevelNotSupported"
    VIDEO_RESOLUTION_NOT_SUPPORTED = "VideoResolutionNotSupported"
    VIDEO_BIT_DEPTH_NOT_SUPPORTED = "VideoBitDepthNotSupported"
    VIDEO_FRAMERATE_NOT_SUPPORTED = "VideoFramerateNotSupported"
    REF_FRAMES_NOT_SUPPORTED = "RefFramesNotSupported"
    ANAMORPHIC_VIDEO_NOT_SUPPORTED = "AnamorphicVideoNotSupported"
    INTERLACED_VIDEO_NOT_SUPPORTED = "InterlacedVideoNotSupported"
    AUDIO_CHANNELS_NOT_SUPPORTED = "AudioChannelsNotSupported"
    AUDIO_PROFILE_NOT_SUPPORTED = "AudioProfileNotSupported"
    AUDIO_SAMPLE_RATE_NOT_SUPPORTED = "AudioSampleRateNotSupported"
    AUDIO_BIT_DEPTH_NOT_SUPPORTED = "AudioBitDepthNotSupported"
    CONTAINER_BITRATE_EXCEEDS_LIMIT = "ContainerBitrateExceedsLimit"
    VIDEO_BITRATE_NOT_SUPPORTED = "VideoBitrateNotSupported"
    AUDIO_BITRATE_NOT_SUPPORTED = "AudioBitrateNotSupported"
    UNKNOWN_VIDEO_STREAM_INFO = "UnknownVideoStreamInfo"
    UNKNOWN_AUDIO_STREAM_INFO = "UnknownAudioStreamInfo"
    DIRECT_PLAY_ERROR = "DirectPlayError"
    VIDEO_RANGE_TYPE_NOT_SUPPORTED = "VideoRangeTypeNotSupported"
    VIDEO_CODEC_TAG_NOT_SUPPORTED = "VideoCodecTagNotSupported"
    STREAM_COUNT_EXCEEDS_LIMIT = "StreamCountExceedsLimit"
    VIDEO_ROTATION_NOT_SUPPORTED = "VideoRotationNotSupported"
    # Viewra's own, last: the playback service (never the engine) adds it when a ready
    # optimized version direct-plays where the original would not (the other reasons say why)
    OPTIMIZED_VERSION = "OptimizedVersion"


REASON_ORDER: dict[TranscodeReason, int] = {reason: i for i, reason in enumerate(TranscodeReason)}


class SubtitleDeliveryMethod(_CaseInsensitive):
    """How a subtitle reaches the client (Jellyfin's ``SubtitleDeliveryMethod``).

    ``Encode`` is burn-in: the subtitle is drawn into re-encoded video.
    """

    ENCODE = "Encode"
    EMBED = "Embed"
    EXTERNAL = "External"
    HLS = "Hls"
    DROP = "Drop"


class DlnaProfileType(_CaseInsensitive):
    """What a direct-play, transcoding or container profile is about."""

    AUDIO = "Audio"
    VIDEO = "Video"
    PHOTO = "Photo"
    SUBTITLE = "Subtitle"
    LYRIC = "Lyric"


class CodecType(_CaseInsensitive):
    """Which stream a codec profile constrains: the video, a video's audio, or a music track."""

    VIDEO = "Video"
    VIDEO_AUDIO = "VideoAudio"
    AUDIO = "Audio"


class ProfileConditionType(_CaseInsensitive):
    """The comparison of a profile condition."""

    EQUALS = "Equals"
    NOT_EQUALS = "NotEquals"
    LESS_THAN_EQUAL = "LessThanEqual"
    GREATER_THAN_EQUAL = "GreaterThanEqual"
    EQUALS_ANY = "EqualsAny"


class ProfileConditionValue(_CaseInsensitive):
    """The stream property a condition reads (Jellyfin's ``ProfileConditionValue``).

    ``NumStreams`` is what current jellyfin-web sends for the Tizen stream-count limit;
    ``VideoRotation`` (degrees) is what Jellyfin 10.11 clients send for decoders that cannot
    rotate (the Android TV "no HEVC rotation" quirk).
    """

    AUDIO_CHANNELS = "AudioChannels"
    AUDIO_BITRATE = "AudioBitrate"
    AUDIO_PROFILE = "AudioProfile"
    WIDTH = "Width"
    HEIGHT = "Height"
    HAS_64BIT_OFFSETS = "Has64BitOffsets"
    PACKET_LENGTH = "PacketLength"
    VIDEO_BIT_DEPTH = "VideoBitDepth"
    VIDEO_BITRATE = "VideoBitrate"
    VIDEO_FRAMERATE = "VideoFramerate"
    VIDEO_LEVEL = "VideoLevel"
    VIDEO_PROFILE = "VideoProfile"
    VIDEO_TIMESTAMP = "VideoTimestamp"
    IS_ANAMORPHIC = "IsAnamorphic"
    REF_FRAMES = "RefFrames"
    NUM_AUDIO_STREAMS = "NumAudioStreams"
    NUM_VIDEO_STREAMS = "NumVideoStreams"
    IS_SECONDARY_AUDIO = "IsSecondaryAudio"
    VIDEO_CODEC_TAG = "VideoCodecTag"
    IS_AVC = "IsAvc"
    IS_INTERLACED = "IsInterlaced"
    AUDIO_SAMPLE_RATE = "AudioSampleRate"
    AUDIO_BIT_DEPTH = "AudioBitDepth"
    VIDEO_RANGE_TYPE = "VideoRangeType"
    NUM_STREAMS = "NumStreams"
    VIDEO_ROTATION = "VideoRotation"


class EncodingContext(_CaseInsensitive):
    """Streaming (played as delivered) or Static (downloaded whole); picks transcoding profiles."""

    STREAMING = "Streaming"
    STATIC = "Static"


class MediaStreamProtocol(_CaseInsensitive):
    """How a remux or transcode is delivered: segmented HLS or one progressive HTTP body."""

    HTTP = "http"
    HLS = "hls"


# The enums a device profile carries, numbered in Jellyfin's order (see _CaseInsensitive).
_NUMBERED = frozenset(
    {
        "SubtitleDeliveryMethod",
        "DlnaProfileType",
        "CodecType",
        "ProfileConditionType",
        "ProfileConditionValue",
        "EncodingContext",
        "MediaStreamProtocol",
    }
)

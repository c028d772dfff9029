"""Playback decisions: does an item direct play, remux (DirectStream) or transcode on a device?

A pure core with Jellyfin's semantics (``MediaBrowser.Model.Dlna.StreamBuilder``): a device
profile in Jellyfin's JSON shape, an item as the scan wrote it, and request options go in; a
:class:`Decision` comes out, with Jellyfin's transcode reasons and the transcoder's target.
"""

from viewra.playback.decision.decide import DEFAULT_OPTIONS, decide
from viewra.playback.decision.enums import (
    CodecType,
    DlnaProfileType,
    EncodingContext,
    MediaStreamProtocol,
    PlayMethod,
    ProfileConditionType,
    ProfileConditionValue,
    SubtitleDeliveryMethod,
    TranscodeReason,
)
from viewra.playback.decision.outcome import (
    COPY,
    Decision,
    NoCompatibleStreamError,
    PlaybackOptions,
    TranscodeTarget,
    ordered_reasons,
)
from viewra.playback.decision.profiles import (
    DeviceProfile,
    ProfileError,
    UnknownProfileError,
    get_profile,
    load_builtin_profiles,
    parse_profile,
)
from viewra.playback.decision.subtitles import SubtitleTrack, subtitle_tracks

__all__ = [
    "COPY",
    "DEFAULT_OPTIONS",
    "CodecType",
    "Decision",
    "DeviceProfile",
    "DlnaProfileType",
    "EncodingContext",
    "MediaStreamProtocol",
    "NoCompatibleStreamError",
    "PlayMethod",
    "PlaybackOptions",
    "ProfileConditionType",
    "ProfileConditionValue",
    "ProfileError",
    "SubtitleDeliveryMethod",
    "SubtitleTrack",
    "TranscodeReason",
    "TranscodeTarget",
    "UnknownProfileError",
    "decide",
    "get_profile",
    "load_builtin_profiles",
    "ordered_reasons",
    "parse_profile",
    "subtitle_tracks",
]

"""What a profile condition can ask about an item: its streams' properties, keyed by property.

The scan's :class:`~viewra.media.models.items.MediaStream` is mapped onto Jellyfin's condition
properties
once per decision. Values the scan does not record (``PacketLength``, ``VideoTimestamp``,
``Has64BitOffsets``) are absent, i.e. unknown: they satisfy a condition unless it is required.
"""

from __future__ import annotations

from typing import Any

from viewra.media.models.items import ItemKind, MediaItem, MediaStream, StreamType
from viewra.playback.decision.enums import ProfileConditionValue as P
from viewra.playback.decision.names import IMAGE_CODECS, canonical

VIDEO_KINDS = frozenset({ItemKind.MOVIE, ItemKind.EPISODE, ItemKind.VIDEO})

# h264 in these containers is length-prefixed ("AVC"); in MPEG-TS it is Annex B. Jellyfin reads
# this from the NAL length size; the scan does not record it, so the container stands in.
_AVC_CONTAINERS = frozenset({"mp4", "m4v", "mov", "mkv", "webm", "3gp"})
_ANNEX_B_CONTAINERS = frozenset({"ts", "m2ts"})

UNKNOWN_BITRATE_ASSUMPTION = 40_000_000
"""Jellyfin's ``IsBitrateLimitExceeded``: an item of unknown bitrate counts as 40 Mbit/s."""


def item_bitrate(item: MediaItem) -> int | None:
    """The container bitrate; estimated from size and duration when the scan left it out."""
    if item.bitrate:
        return item.bitrate
    if item.size > 0 and item.duration and item.duration > 0:
        return int(item.size * 8 / item.duration)
    return None


def primary_video(item: MediaItem) -> MediaStream | None:
    """The video stream a player shows: the first embedded one that is not cover art."""
    first_any = None
    for stream in item.streams:
        if stream.type is StreamType.VIDEO and not stream.external:
            if canonical(stream.codec) not in IMAGE_CODECS:
                return stream
            first_any = first_any or stream
    return first_any if item.kind in VIDEO_KINDS else None


def is_audio_item(item: MediaItem, video: MediaStream | None) -> bool:
    """Music takes Jellyfin's audio path: tracks always, unknown kinds when they show no video."""
    if item.kind is ItemKind.TRACK:
        return True
    if item.kind in VIDEO_KINDS:
        return False
    return video is None and any(s.type is StreamType.AUDIO for s in item.streams)


def stream_counts(item: MediaItem) -> tuple[int, int, int]:
    """(video, audio, all) stream counts as Jellyfin's ``MediaSourceInfo.GetStreamCount`` and
    ``MediaStreams.Count`` give them: external files (subtitles, audio) count too, since the
    client is sent them alongside the container's own streams."""
    video = audio = total = 0
    for s in item.streams:
        total += 1
        if s.type is StreamType.VIDEO:
            video += 1
        elif s.type is StreamType.AUDIO:
            audio += 1
    return video, audio, total


def video_facts(
    item: MediaItem, video: MediaStream | None, containers: tuple[str, ...]
) -> dict[P, Any]:
    """Condition values for the video stream and the file (stream counts)."""
    n_video, n_audio, n_all = stream_counts(item)
    facts: dict[P, Any] = {
        P.NUM_VIDEO_STREAMS: n_video,
        P.NUM_AUDIO_STREAMS: n_audio,
        P.NUM_STREAMS: n_all,
    }
    if video is None:
        return facts
    bitrate = video.bitrate
    if bitrate is None:
        # Jellyfin's probe normaliser does the same: container bitrate minus the audio.
        total = item_bitrate(item)
        if total:
            audio = sum(s.bitrate or 0 for s in item.streams if s.type is StreamType.AUDIO)
            bitrate = total - audio if total > audio else None
    codec = canonical(video.codec)
    is_avc = None
    if codec == "h264":
        if any(c in _AVC_CONTAINERS for c in containers):
            is_avc = True
        elif any(c in _ANNEX_B_CONTAINERS for c in containers):
            is_avc = False
    facts.update(
        {
            P.WIDTH: video.width,
            P.HEIGHT: video.height,
            P.VIDEO_BIT_DEPTH: video.bit_depth,
            P.VIDEO_BITRATE: bitrate,
            P.VIDEO_FRAMERATE: video.frame_rate,
            P.VIDEO_LEVEL: video.level,
            P.VIDEO_PROFILE: video.profile,
            P.VIDEO_RANGE_TYPE: video.video_range_type,
            P.VIDEO_CODEC_TAG: video.codec_tag,
            P.IS_ANAMORPHIC: video.anamorphic,
            P.IS_INTERLACED: video.interlaced,
            P.REF_FRAMES: video.ref_frames,
            P.IS_AVC: is_avc,
            P.VIDEO_ROTATION: _rotation(video.rotation),
        }
    )
    return facts


def _rotation(degrees: int | None) -> int | None:
    """Jellyfin's ``MediaStream.Rotation``: signed degrees, a quarter turn either way is +-90
    and a half turn 180 (the scan stores 0-359, so 270 reads as -90)."""
    if degrees is None:
        return None
    turn = degrees % 360
    return turn - 360 if turn > 180 else turn


def is_secondary_audio(item: MediaItem, audio: MediaStream) -> bool | None:
    """Jellyfin's ``MediaSourceInfo.IsSecondaryAudio``: not the first embedded audio stream."""
    if audio.external:
        return False
    for s in item.streams:
        if s.type is StreamType.AUDIO and not s.external:
            return s.index != audio.index
    return None


def audio_facts(item: MediaItem, audio: MediaStream) -> dict[P, Any]:
    """Condition values for one audio stream."""
    return {
        P.AUDIO_CHANNELS: audio.channels,
        P.AUDIO_BITRATE: audio.bitrate,
        P.AUDIO_SAMPLE_RATE: audio.sample_rate,
        P.AUDIO_BIT_DEPTH: audio.bit_depth,
        P.AUDIO_PROFILE: audio.profile,
        P.IS_SECONDARY_AUDIO: is_secondary_audio(item, audio),
    }

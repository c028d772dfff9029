"""The entry point: :func:`decide` picks Jellyfin's video or audio path for an item.

Pure: no I/O, no clock, no globals written. The same item, profile and options always give the
same :class:`~viewra.playback.decision.outcome.Decision`, which is what lets the API cache it and
the
tables in ``tests/data/decisions`` pin it down.
"""

from __future__ import annotations

from viewra.media.models.items import MediaItem
from viewra.playback.decision.audio import decide_audio
from viewra.playback.decision.facts import is_audio_item, primary_video
from viewra.playback.decision.names import split_names
from viewra.playback.decision.outcome import Decision, PlaybackOptions
from viewra.playback.decision.profiles import DeviceProfile
from viewra.playback.decision.video import decide_video

DEFAULT_OPTIONS = PlaybackOptions()


def decide(
    item: MediaItem, profile: DeviceProfile, options: PlaybackOptions = DEFAULT_OPTIONS
) -> Decision:
    """How ``item`` plays on a device described by ``profile``, given the request's ``options``.

    Raises :class:`~viewra.playback.decision.outcome.NoCompatibleStreamError` when nothing can
    play it
    (no transcoding profile, transcoding disallowed, or no audio in a track).
    """
    containers = split_names(item.container)
    video = primary_video(item)
    if is_audio_item(item, video):
        return decide_audio(item, profile, options, containers)
    return decide_video(item, profile, options, video, containers)

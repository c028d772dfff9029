"""The port through which playback asks for a remux or transcode.

Playback does not know how transcoding works; it hands the decision over and gets the session
back with where to play from. Until a transcoder is registered, :class:`WaitingTranscoder` says
so honestly: the session is ``waiting_for_transcoder`` and has no URL.
"""

from __future__ import annotations

from typing import Protocol

from viewra.models import MediaItem
from viewra.playback import Decision
from viewra.sessions import DeliveryStatus, PlaybackSession


class Transcoder(Protocol):
    def request_for_session(
        self, item: MediaItem, decision: Decision, session: PlaybackSession
    ) -> PlaybackSession: ...


class WaitingTranscoder:
    """No transcoder yet: DirectStream/Transcode sessions wait, without a URL."""

    def request_for_session(
        self, item: MediaItem, decision: Decision, session: PlaybackSession
    ) -> PlaybackSession:
        return session.model_copy(
            update={"status": DeliveryStatus.WAITING_FOR_TRANSCODER, "url": None}
        )

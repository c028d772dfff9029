"""Playback sessions as clients see them, and what a client sends to start or report on one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from viewra.playback.decision.subtitles import SubtitleTrack


class SessionState(StrEnum):
    PLAYING = "playing"
    PAUSED = "paused"
    STOPPED = "stopped"


class DeliveryStatus(StrEnum):
    READY = "ready"  # the URL plays now
    TRANSCODING = "transcoding"  # a job is running; the HLS URL plays as segments arrive


# Bounds of what a client reports (an unbounded number reached a stored record: a 500)
MAX_POSITION = 10**7  # seconds: about 115 days
MAX_BITRATE = 10**10  # bits per second
MAX_STREAMS = 1000


class PlaybackRequest(BaseModel):
    """``POST /items/{id}/playback``: a built-in profile's name or a Jellyfin DeviceProfile."""

    profile: Annotated[str, Field(max_length=100)] | dict[str, Any] = Field(
        default="chrome", union_mode="left_to_right"
    )
    max_streaming_bitrate: int | None = Field(default=None, gt=0, le=MAX_BITRATE)
    audio_stream_index: int | None = Field(default=None, ge=-1, le=MAX_STREAMS)
    subtitle_stream_index: int | None = Field(default=None, ge=-1, le=MAX_STREAMS)
    allow_direct_play: bool = True
    allow_direct_stream: bool = True
    start_position: float = Field(default=0.0, ge=0, le=MAX_POSITION)
    # Jellyfin's CanExtractSubtitles: may the server pull an embedded subtitle out of the file?
    allow_subtitle_extraction: bool = True


class ProgressReport(BaseModel):
    position: float = Field(ge=0, le=MAX_POSITION)
    paused: bool = False
    audio_stream_index: int | None = Field(default=None, ge=-1, le=MAX_STREAMS)
    subtitle_stream_index: int | None = Field(default=None, ge=-1, le=MAX_STREAMS)


class StopReport(BaseModel):
    position: float | None = Field(default=None, ge=0, le=MAX_POSITION)


class PlaybackSession(BaseModel):
    id: str
    user_id: str
    item_id: str
    state: SessionState = SessionState.PLAYING
    position: float = 0.0
    audio_stream_index: int | None = None
    subtitle_stream_index: int | None = None
    method: str
    decision: dict[str, Any]
    status: DeliveryStatus
    url: str | None = None
    status_url: str | None = None
    transcode_id: str | None = None
    started_at: str
    last_seen: str
    stopped_at: str | None = None
    play_counted: bool = False
    duration: float | None = None  # the item's, for the resume rules without another read
    # every subtitle stream and how it reaches this client; an External one has its URL
    # (signed like the playlists: a <track> element sends no headers)
    subtitles: list[SubtitleTrack] = Field(default_factory=list)
    # Bumped by every write; a write names the version it read (optimistic concurrency), so a
    # progress report racing a stop cannot bring a stopped session back.
    version: int = 0

"""What a user has watched: resume points, played marks, play counts (Jellyfin's rules).

Below ``min_percent`` of the runtime there is no resume point (a peek is not "continue
watching"); past ``max_percent`` the item counts as played and its resume point is cleared (the
credits do not need finishing). In between, the position is kept to resume from.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class ResumeRules:
    min_percent: float = 5.0
    max_percent: float = 90.0


class UserItemData(BaseModel):
    """One user's state for one item."""

    user_id: str
    item_id: str
    position: float = 0.0  # the resume point in seconds; 0 means none
    played: bool = False
    play_count: int = 0
    last_played: str | None = None
    duration: float | None = None
    kind: str | None = None
    series_key: str | None = None
    episode_order: int | None = None
    # the streams last played, chosen again when a playback start names none (Jellyfin keeps
    # them in UserItemData as well); subtitle -1 means they were off
    audio_stream_index: int | None = None
    subtitle_stream_index: int | None = None

    @property
    def resumable(self) -> bool:
        return self.position > 0 and not self.played


def apply_position(
    data: UserItemData,
    position: float,
    duration: float | None,
    rules: ResumeRules,
    now: str,
    *,
    count_play: bool,
) -> tuple[UserItemData, bool]:
    """The user data after a progress report or stop at ``position``; True if it became played.

    ``count_play`` is False once this playback session has counted its play, so a session that
    reports progress past the threshold several times counts one play.
    """
    percent = (position / duration * 100) if duration else 0.0
    update: dict[str, object] = {"last_played": now, "duration": duration or data.duration}
    finished = False
    if duration and percent >= rules.max_percent:
        update.update(position=0.0, played=True)
        if count_play:
            update["play_count"] = data.play_count + 1
            finished = True
    elif percent < rules.min_percent:
        update["position"] = 0.0
    else:
        update.update(position=round(position, 3), played=False)
    return data.model_copy(update=update), finished


@dataclass(frozen=True)
class PositionUpdate:
    """What one progress report or stop writes, without reading what is stored: the fields to
    set and whether to count a play (an atomic ADD), so concurrent sessions lose no count.
    ``played`` None leaves the played mark as it is (a peek below the resume threshold)."""

    user_id: str
    item_id: str
    position: float
    played: bool | None
    last_played: str
    duration: float | None
    count_play: bool
    audio_stream_index: int | None = None  # the session's streams, remembered for a resume
    subtitle_stream_index: int | None = None


def position_update(
    user_id: str,
    item_id: str,
    position: float,
    duration: float | None,
    rules: ResumeRules,
    now: str,
    *,
    count_play: bool,
) -> PositionUpdate:
    """:func:`apply_position`'s rules as a write: past ``max_percent`` played (and one play
    counted if ``count_play``), below ``min_percent`` no resume point, in between a resume point."""
    percent = (position / duration * 100) if duration else 0.0
    if duration and percent >= rules.max_percent:
        return PositionUpdate(user_id, item_id, 0.0, True, now, duration, count_play)
    if percent < rules.min_percent:
        return PositionUpdate(user_id, item_id, 0.0, None, now, duration, False)
    return PositionUpdate(user_id, item_id, round(position, 3), False, now, duration, False)


def mark(data: UserItemData, played: bool, now: str) -> UserItemData:
    """Mark played (a play is counted, the resume point goes) or unplayed (count kept)."""
    if played:
        return data.model_copy(
            update={
                "played": True,
                "position": 0.0,
                "last_played": now,
                "play_count": data.play_count + (0 if data.played else 1),
            }
        )
    return data.model_copy(update={"played": False, "position": 0.0})

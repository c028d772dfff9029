"""What the playback module needs from a deployment, as small interfaces (``typing.Protocol``s):
items to read, session and user-data records, presigned URLs, a transcoder to hand decisions to,
a publisher. Storage adapters and the transcoding module implement them; :mod:`viewra.bootstrap`
hands them in. Imports no adapter and not the registry."""

from __future__ import annotations

from typing import Any, Protocol

from viewra.common.events import Publisher
from viewra.common.settings import Settings
from viewra.media.models.items import MediaItem, OptimizedVersion
from viewra.playback.decision import Decision
from viewra.playback.models.history import PositionUpdate, UserItemData
from viewra.playback.models.sessions import PlaybackSession


class ItemReader(Protocol):
    def get(self, item_id: str) -> MediaItem | None: ...
    def episodes_after(self, key: str, order: int, limit: int = 10) -> list[MediaItem]: ...


class SessionRecords(Protocol):
    """A session is created once, then replaced only if unchanged since it was read."""

    def put(self, session: PlaybackSession) -> None: ...
    def replace(self, session: PlaybackSession, read_version: int) -> bool: ...
    def get(self, session_id: str) -> PlaybackSession | None: ...
    def active_since(self, since: str, limit: int = 200) -> list[PlaybackSession]: ...


class UserDataRecords(Protocol):
    """Per user and item: resume position, played mark, play count."""

    def get(self, user_id: str, item_id: str) -> UserItemData: ...
    def touch(self, user_id: str, item_id: str, facts: dict[str, Any], now: str) -> None: ...
    def record_position(self, update: PositionUpdate) -> None: ...
    def mark_played(
        self, user_id: str, item_id: str, played: bool, now: str, facts: dict[str, Any]
    ) -> UserItemData: ...
    def resume(self, user_id: str, limit: int = 50) -> list[UserItemData]: ...
    def history(self, user_id: str, limit: int = 50) -> list[UserItemData]: ...


class PresignedUrls(Protocol):
    def presign_get(self, bucket: str, key: str, expires: int | None = None) -> str: ...


class SessionTranscoder(Protocol):
    """Where a DirectStream or Transcode decision is sent (the transcoding module's job queue)."""

    def request_for_session(
        self, item: MediaItem, decision: Decision, session: PlaybackSession, base_url: str
    ) -> PlaybackSession: ...


class ReadyVersions(Protocol):
    """An item's complete optimized versions, each with its own media facts (the transcoding
    module), and a mark of use when one is played."""

    def ready(self, item: MediaItem) -> list[tuple[OptimizedVersion, MediaItem]]: ...
    def played(self, h: str) -> None: ...


class PlaybackServices(Protocol):
    """Everything the playback module is handed; read-only from here."""

    @property
    def settings(self) -> Settings: ...
    @property
    def catalog(self) -> ItemReader: ...
    @property
    def sessions(self) -> SessionRecords: ...
    @property
    def userdata(self) -> UserDataRecords: ...
    @property
    def objects(self) -> PresignedUrls: ...
    @property
    def transcoder(self) -> SessionTranscoder: ...
    @property
    def versions(self) -> ReadyVersions: ...
    @property
    def events(self) -> Publisher: ...

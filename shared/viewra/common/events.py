"""Domain events: typed, versioned payloads in one envelope, published through this module.

Producers build a payload (``ItemAdded(item_id=…)``) and call ``publisher.publish(Event.of(p))``.
Where the events go is the publisher's business: :class:`LogPublisher` logs them and keeps the
recent ones (tests, tools); the SNS publisher in ``viewra.storage.eventbus`` sends them to the
topic, whose SQS subscribers (the events table behind ``GET /events``, among others) each handle
a delivery idempotently, keyed by the envelope's ``id``.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, Field

from viewra.common.logs import logger
from viewra.common.timestamps import now_iso


class DomainEvent(BaseModel):
    """A payload; ``TYPE`` names it on the wire, ``VERSION`` moves when its fields change."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1


class ItemAdded(DomainEvent):
    TYPE = "ItemAdded"
    item_id: str
    key: str
    library_id: str


class ItemUpdated(ItemAdded):
    TYPE = "ItemUpdated"


class ItemRemoved(DomainEvent):
    TYPE = "ItemRemoved"
    item_id: str
    key: str


class ItemFailed(DomainEvent):
    TYPE = "ItemFailed"
    item_id: str
    key: str
    reason: str


class ScanCompleted(DomainEvent):
    TYPE = "ScanCompleted"
    scan_id: str
    library_id: str
    total: int
    done: int
    skipped: int
    failed: int


class TranscodeQueued(DomainEvent):
    TYPE = "TranscodeQueued"
    h: str
    source_key: str


class TranscodeProgress(DomainEvent):
    TYPE = "TranscodeProgress"
    h: str
    progress: float | None = None
    fps: float | None = None
    speed: float | None = None
    eta_seconds: float | None = None


class TranscodeCompleted(DomainEvent):
    TYPE = "TranscodeCompleted"
    h: str


class TranscodeFailed(DomainEvent):
    TYPE = "TranscodeFailed"
    h: str
    error: str


class TranscodeCancelled(DomainEvent):
    TYPE = "TranscodeCancelled"
    h: str


class SessionEvent(DomainEvent):
    session_id: str
    user_id: str
    item_id: str
    state: str
    position: float
    method: str
    status: str


class SessionStarted(SessionEvent):
    TYPE = "SessionStarted"


class SessionProgress(SessionEvent):
    TYPE = "SessionProgress"


class SessionStopped(SessionEvent):
    TYPE = "SessionStopped"


# -- accounts: the audit trail (never a password, a token or a key's secret) -------------------
class UserCreated(DomainEvent):
    TYPE = "UserCreated"
    user_id: str
    role: str
    by: str | None = None  # the admin who created it (None: the CLI)


class UserDeleted(DomainEvent):
    TYPE = "UserDeleted"
    user_id: str
    by: str


class UserLoggedIn(DomainEvent):
    TYPE = "UserLoggedIn"
    user_id: str
    client: str


class LoginFailed(DomainEvent):
    """A refused login: ``reason`` is ``credentials`` or ``throttled``; the name is the one
    given, whether such a user exists or not."""

    TYPE = "LoginFailed"
    username: str
    client: str
    reason: str


class UserLoggedOut(DomainEvent):
    TYPE = "UserLoggedOut"
    user_id: str


class PasswordChanged(DomainEvent):
    TYPE = "PasswordChanged"
    user_id: str


class RefreshTokenReused(DomainEvent):
    """A rotated refresh token came back: every token of the user was revoked."""

    TYPE = "RefreshTokenReused"
    user_id: str


class ApiKeyCreated(DomainEvent):
    TYPE = "ApiKeyCreated"
    user_id: str
    key_id: str
    name: str


class ApiKeyRevoked(DomainEvent):
    TYPE = "ApiKeyRevoked"
    user_id: str
    key_id: str


class GrantsChanged(DomainEvent):
    TYPE = "GrantsChanged"
    user_id: str
    libraries: list[str]
    by: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.TYPE: cls
    for cls in (
        ItemAdded,
        ItemUpdated,
        ItemRemoved,
        ItemFailed,
        ScanCompleted,
        TranscodeQueued,
        TranscodeProgress,
        TranscodeCompleted,
        TranscodeFailed,
        TranscodeCancelled,
        SessionStarted,
        SessionProgress,
        SessionStopped,
        UserCreated,
        UserDeleted,
        UserLoggedIn,
        LoginFailed,
        UserLoggedOut,
        PasswordChanged,
        RefreshTokenReused,
        ApiKeyCreated,
        ApiKeyRevoked,
        GrantsChanged,
    )
}


class Event(BaseModel):
    """The envelope: what the topic carries and the events table stores."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: str
    version: int = 1
    at: str = Field(default_factory=now_iso)
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, payload: DomainEvent) -> Event:
        return cls(type=payload.TYPE, version=payload.VERSION, data=payload.model_dump(mode="json"))

    def payload(self) -> DomainEvent:
        """The typed payload (a ValueError for an unknown type or a bad payload)."""
        kind = EVENT_TYPES.get(self.type)
        if kind is None:
            raise ValueError(f"unknown event type {self.type!r}")
        return kind.model_validate(self.data)

    @property
    def cursor(self) -> str:
        """Events sort by time, then id: the position a follower resumes after."""
        return f"{self.at}_{self.id}"  # URL-safe as it is: clients pass it back in a query


class Publisher(Protocol):
    def publish(self, event: Event) -> None: ...


class LogPublisher:
    """Logs every event and remembers the last ``keep`` of them."""

    def __init__(self, keep: int = 1000) -> None:
        self._recent: deque[Event] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        logger.info(
            "event", extra={"event_type": event.type, "event_id": event.id, "event": event.data}
        )
        with self._lock:
            self._recent.append(event)

    def recent(self, type_: str | None = None) -> list[Event]:
        with self._lock:
            return [e for e in self._recent if type_ is None or e.type == type_]


def publish(publisher: Publisher, payload: DomainEvent) -> Event:
    """Wrap ``payload`` in an envelope and publish it; returns the envelope."""
    event = Event.of(payload)
    publisher.publish(event)
    return event

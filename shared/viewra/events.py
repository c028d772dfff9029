"""Domain events, published through this one module.

Today the publisher writes each event as a structured log line and keeps the most recent ones in
memory (what tests and the local stack read); the bus (SNS/EventBridge with SQS subscribers) plugs
in behind :class:`Publisher` without touching the callers.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Protocol

from pydantic import BaseModel, Field

from viewra.logs import logger
from viewra.timeutil import now_iso


class Event(BaseModel):
    """An event: ``type`` names it, ``version`` lets consumers evolve, ``data`` is the payload."""

    type: str
    version: int = 1
    at: str = Field(default_factory=now_iso)
    data: dict[str, Any] = Field(default_factory=dict)


class Publisher(Protocol):
    def publish(self, event: Event) -> None: ...


class LogPublisher:
    """Logs every event and remembers the last ``keep`` of them."""

    def __init__(self, keep: int = 1000) -> None:
        self._recent: deque[Event] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        logger.info("event", extra={"event_type": event.type, "event": event.model_dump()})
        with self._lock:
            self._recent.append(event)

    def recent(self, type_: str | None = None) -> list[Event]:
        with self._lock:
            return [e for e in self._recent if type_ is None or e.type == type_]

"""Interfaces (``typing.Protocol``s) that more than one module needs from a deployment: a message
queue and the event log. Storage adapters implement them; imports only :mod:`viewra.common`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from viewra.common.events import Event


class MessageQueues(Protocol):
    """Sending messages to a named queue (SQS)."""

    def send(self, name: str, messages: Iterable[dict[str, Any]]) -> int: ...


class EventLog(Protocol):
    """Where published events are kept for ``GET /events`` (the events table)."""

    def add_all(self, events: list[Event]) -> None: ...
    def wait_after(
        self, cursor: str | None, limit: int, wait_seconds: float, interval: float = 0.25
    ) -> list[Event]: ...


class EventServices(Protocol):
    """What following and storing the event feed needs."""

    @property
    def event_store(self) -> EventLog: ...

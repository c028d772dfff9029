"""Following the event stream: ``GET /events?after=CURSOR`` (long-poll) and the subscriber that
fills the events table from the topic."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from viewra.errors import PoisonMessage
from viewra.events import Event

if TYPE_CHECKING:
    from viewra.services import Services


class EventQuery(BaseModel):
    after: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=500)
    wait: float = Field(default=0, ge=0, le=20)  # API Gateway answers within 29 s


def follow(services: Services, query: EventQuery) -> dict[str, Any]:
    """Events after the cursor, waiting up to ``wait`` seconds for one; the cursor to go on from."""
    events = services.event_store.wait_after(query.after, query.limit, query.wait)
    cursor = events[-1].cursor if events else query.after
    return {"events": [e.model_dump(mode="json") for e in events], "cursor": cursor}


def store_delivery(services: Services, body: str) -> bool:
    """One delivery from the topic into the events table; a redelivery changes nothing."""
    try:
        event = Event.model_validate(json.loads(body))
        event.payload()  # refuse unknown types and bad payloads: they go to the DLQ
    except (ValueError, ValidationError) as exc:
        raise PoisonMessage(f"not an event: {exc}") from exc
    return services.event_store.add(event)

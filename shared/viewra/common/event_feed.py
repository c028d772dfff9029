"""Following the event stream: ``GET /events?after=CURSOR`` (long-poll) and the subscriber that
fills the events table from the topic."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, Field, ValidationError

from viewra.common.errors import PoisonMessage, WriteFailed
from viewra.common.events import Event
from viewra.common.logs import logger
from viewra.common.sqs_batch import handle_batch

if TYPE_CHECKING:
    from viewra.common.ports import EventServices as Services


class EventQuery(BaseModel):
    after: str | None = Field(default=None, min_length=1, max_length=200)
    limit: int = Field(default=100, ge=1, le=500)
    wait: float = Field(default=0, ge=0, le=20)  # API Gateway answers within 29 s


def follow(services: Services, query: EventQuery) -> dict[str, Any]:
    """Events after the cursor, waiting up to ``wait`` seconds for one; the cursor to go on from."""
    events = services.event_store.wait_after(query.after, query.limit, query.wait)
    cursor = events[-1].cursor if events else query.after
    return {"events": [e.model_dump(mode="json") for e in events], "cursor": cursor}


def parse_delivery(body: str) -> Event:
    """One delivery from the topic; anything that is not a known event is a poison message."""
    try:
        event = Event.model_validate(json.loads(body))
        event.payload()  # refuse unknown types and bad payloads: they go to the DLQ
    except (ValueError, ValidationError) as exc:
        raise PoisonMessage(f"not an event: {exc}") from exc
    return event


def store_deliveries(services: Services, sqs_event: Any) -> dict[str, Any]:
    """A batch of deliveries into the events table with one batched write; the partial batch
    response. A bad delivery fails alone; a failed write fails every delivery it held, and the
    queue brings them back. A redelivery writes the same item again, which changes nothing."""
    events: dict[str, Event] = {}

    def parse(record: SQSRecord) -> None:
        events[record.message_id] = parse_delivery(record.body)

    response = handle_batch(sqs_event, parse)
    try:
        services.event_store.add_all(list(events.values()))
    except WriteFailed:
        logger.exception("storing a batch of events failed", extra={"events": len(events)})
        response["batchItemFailures"] += [{"itemIdentifier": m} for m in events]
    return response

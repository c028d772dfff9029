"""The event bus on AWS: an SNS topic, SQS subscriptions, and the events table clients follow.

The topic and its subscriptions are declared in viewra.common.stack and created by the bootstrap.

Publishing sends the envelope to the topic (raw delivery, so a subscriber's message body is the
envelope itself). The events table's subscriber writes each batch of envelopes with one batched
write, keyed by their cursors (a redelivery writes the same item again) with a TTL; ``GET
/events`` reads them after a cursor.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

from pynamodb.exceptions import PynamoDBException

from viewra.common.errors import WriteFailed
from viewra.common.events import Event, LogPublisher
from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.storage.tables import Tables

STREAM = "all"


class SnsPublisher(LogPublisher):
    """Logs, remembers, and publishes each event to the topic."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings
        self._sns = client(settings, "sns")
        self._arn: str | None = None

    def publish(self, event: Event) -> None:
        super().publish(event)
        if self._arn is None:
            self._arn = topic_arn(self._settings)
        self._sns.publish(
            TopicArn=self._arn,
            Message=event.model_dump_json(),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event.type}},
        )


def topic_arn(settings: Settings) -> str:
    """The topic's ARN: given as one (deployed), or from create_topic, which is idempotent and
    answers the ARN of an existing topic (local stacks: no account id to configure)."""
    if settings.events_topic.startswith("arn:"):
        return settings.events_topic
    return client(settings, "sns").create_topic(Name=settings.events_topic)["TopicArn"]


class EventStore:
    def __init__(self, tables: Tables, ttl_seconds: int) -> None:
        self._model = tables.events
        self._ttl = ttl_seconds

    def add_all(self, events: list[Event]) -> None:
        """Store the events (BatchWriteItem, 25 a request, unprocessed items retried by
        PynamoDB). Each is keyed by its cursor, so storing one again rewrites the same item.
        Raises WriteFailed when the batch could not be written."""
        if not events:
            return
        try:
            with self._model.batch_write() as batch:
                for event in events:
                    batch.save(
                        self._model(
                            STREAM,
                            event.cursor,
                            doc=json.loads(event.model_dump_json()),
                            expires=timedelta(seconds=self._ttl),
                        )
                    )
        except PynamoDBException as exc:
            raise WriteFailed(f"storing {len(events)} events failed: {exc}") from exc

    def after(self, cursor: str | None, limit: int) -> list[Event]:
        """Events after ``cursor`` in order; without one, the latest ``limit`` (still in order)."""
        model = self._model
        if cursor is None:
            rows = list(model.query(STREAM, scan_index_forward=False, limit=limit))[::-1]
        else:
            rows = list(model.query(STREAM, range_key_condition=model.cursor > cursor, limit=limit))
        return [Event.model_validate(r.doc) for r in rows]

    def wait_after(
        self, cursor: str | None, limit: int, wait_seconds: float, interval: float = 0.25
    ) -> list[Event]:
        """Long-poll: return as soon as there are events after ``cursor``, or empty at the end."""
        deadline = time.monotonic() + wait_seconds
        while True:
            found = self.after(cursor, limit)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(interval)

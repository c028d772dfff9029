"""SQS batches, as every queue-fed function handles them (aws-lambda-powertools).

One record's failure fails that record alone: the answer lists it in ``batchItemFailures`` and
the queue redelivers just it (and, past maxReceiveCount, moves it to the dead-letter queue). A
batch whose every record failed is answered the same way, not raised, so the event source
retries the same records either way. A processor is made per invocation: its state is per
batch, and the local worker invokes a handler from several threads at once (Lambda would use one
process per invocation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from viewra.common import metrics
from viewra.common.logs import logger


def handle_batch(event: Any, record_handler: Callable[[SQSRecord], None]) -> dict[str, Any]:
    """Run ``record_handler`` on each record of a Chalice SQS event, with the message id as the
    log correlation id; return the partial batch response."""

    def one(record: SQSRecord) -> None:
        logger.set_correlation_id(record.message_id)
        record_handler(record)

    body = event.to_dict()
    record_ages(body.get("Records") or [])
    return process_partial_response(
        event=body,
        record_handler=one,
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=event.context,
    )


def record_ages(records: list[dict[str, Any]], now: float | None = None) -> None:
    """How long each message waited in its queue (since SQS's ``SentTimestamp``) when its handler
    got it: the queue's backlog as the consumer sees it. The oldest is CloudWatch's
    ``ApproximateAgeOfOldestMessage`` on AWS; here it is the timing's largest observations."""
    at = time.time() if now is None else now
    for record in records:
        sent = (record.get("attributes") or {}).get("SentTimestamp")
        if not sent:
            continue
        queue = str(record.get("eventSourceARN") or "").rsplit(":", 1)[-1]
        metrics.observe("queue_message_age_seconds", at - int(sent) / 1000, queue=queue)

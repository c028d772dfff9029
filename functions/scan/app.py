"""The scan function: S3 events and library-scan fan-out messages from the scan queue."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Chalice

from viewra.logs import logger
from viewra.scan import handle_message
from viewra.services import get_services
from viewra.settings import get_settings

app = Chalice(app_name="viewra-scan")


def record_handler(record: SQSRecord) -> None:
    """One message: a failure here fails this record alone (partial batch response)."""
    logger.set_correlation_id(record.message_id)
    handle_message(get_services(), json.loads(record.body))


@app.on_sqs_message(queue=get_settings().scan_queue, batch_size=10)
def handle_scan_queue(event: Any) -> dict[str, Any]:
    # A processor per invocation: its state is per batch, and the local worker calls this handler
    # from several threads at once (Lambda would use one process per invocation).
    return process_partial_response(
        event=event.to_dict(),
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=event.context,
    )

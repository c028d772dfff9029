"""The scan function: S3 events and library-scan fan-out messages from the scan queue."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Chalice

from viewra.bootstrap import get_services
from viewra.common.settings import get_settings
from viewra.common.sqs_batch import handle_batch
from viewra.media.service import enrich_delivery, handle_scan_message

app = Chalice(app_name="viewra-scan")


def record_handler(record: SQSRecord) -> None:
    """One message: a failure here fails this record alone (partial batch response)."""
    handle_scan_message(get_services(), json.loads(record.body))


@app.on_sqs_message(queue=get_settings().scan_queue, batch_size=10)
def handle_scan_queue(event: Any) -> dict[str, Any]:
    return handle_batch(event, record_handler)


def enrich_record(record: SQSRecord) -> None:
    enrich_delivery(get_services(), record.body)


@app.on_sqs_message(queue=get_settings().enrich_queue, batch_size=10)
def handle_enrich_queue(event: Any) -> dict[str, Any]:
    """Enrichment after a scan (TMDB, MusicBrainz): its own queue, never in the scan's way."""
    return handle_batch(event, enrich_record)

"""The transcode function: one job per message from the transcode queue.

A message is a whole job, or one chunk of a long job fanned out over many invocations
(:mod:`viewra.transcoding.fanout`). Batch size 1: a job takes minutes and the whole
invocation. The handler gives the worker a heartbeat that extends the message's visibility
while ffmpeg runs; a failed job raises, so the record fails alone, comes back after the
visibility timeout and, past maxReceiveCount, lands in the dead-letter queue. The same
handler also takes the priority queue (chunks a player is waiting for): a second event source
of this function, added by ``infra`` (Chalice gives each ``on_sqs_message`` a function of its
own), and polled first by the local worker.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Chalice

from viewra.bootstrap import transcoder_for, visibility_heartbeat
from viewra.common.settings import get_settings
from viewra.common.sqs_batch import handle_batch
from viewra.transcoding.service import run_transcode_message

app = Chalice(app_name="viewra-transcode")


def record_handler(record: SQSRecord) -> None:
    tc = transcoder_for(get_settings())
    heartbeat = visibility_heartbeat(tc, record.event_source_arn, record.receipt_handle)
    receives = int(record.attributes.approximate_receive_count or 1)
    run_transcode_message(tc, json.loads(record.body), heartbeat, receive_count=receives)


@app.on_sqs_message(queue=get_settings().transcode_queue, batch_size=1)
def handle_transcode_queue(event: Any) -> dict[str, Any]:
    return handle_batch(event, record_handler)

"""viewra.local.moto_speed: the retention check reads one attribute and still expires messages."""

from __future__ import annotations

import time

import boto3
from moto import mock_aws

from viewra.local.moto_speed import speed_up_moto


@mock_aws
def test_retention_check_expires_old_messages_and_keeps_new_ones() -> None:
    speed_up_moto()
    from moto.sqs.models import sqs_backends

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    backend = sqs_backends["123456789012"]["us-east-1"]
    message = backend.get_queue("q")._messages[0]
    assert backend.is_message_valid_based_on_retention_period("q", message)
    message.sent_timestamp = int((time.time() - 61) * 1000)
    assert not backend.is_message_valid_based_on_retention_period("q", message)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)


def test_the_module_list_is_read_once() -> None:
    speed_up_moto()
    from moto import backends

    first = backends.list_of_moto_modules()
    assert "s3" in first and "sqs" in first and "dynamodb" in first
    assert backends.list_of_moto_modules() is first

"""Create the stack on an endpoint, idempotently: running it twice changes nothing.

Used by ``make run`` and the integration tests against the embedded emulator (and by
anyone pointing Viewra at an empty LocalStack or MinIO); on AWS the templates in ``infra/``
create the same.
"""

from __future__ import annotations

import json
import time

from botocore.exceptions import ClientError

from viewra.settings import Settings
from viewra.stack import StackSpec, stack_for
from viewra.storage.clients import client
from viewra.storage.tables import tables_for


def _ensure_bucket(s3: object, name: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=name)  # type: ignore[attr-defined]
        return
    except ClientError:
        pass
    params: dict[str, object] = {"Bucket": name}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**params)  # type: ignore[attr-defined]
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise


def _ensure_queues(settings: Settings, spec: StackSpec) -> dict[str, str]:
    sqs = client(settings, "sqs")
    arns: dict[str, str] = {}
    for queue in spec.queues:
        dlq_url = sqs.create_queue(
            QueueName=queue.dlq_name, Attributes={"MessageRetentionPeriod": "1209600"}
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes = {
            "VisibilityTimeout": str(queue.visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
            ),
        }
        try:
            url = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
        except ClientError as exc:  # exists with other attributes: bring it in line
            if exc.response["Error"]["Code"] not in {"QueueAlreadyExists", "QueueNameExists"}:
                raise
            url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arns[queue.name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    return arns


def _ensure_tables(settings: Settings, timeout: float = 60.0) -> None:
    """Create missing tables, then wait for all of them together (PynamoDB's own wait sleeps
    2 s per table, which is most of a test's set-up time)."""
    models = [m for m in tables_for(settings).all() if not m.exists()]
    for model in models:
        model.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
    ddb = client(settings, "dynamodb")
    deadline = time.monotonic() + timeout
    for model in models:
        while (
            ddb.describe_table(TableName=model.Meta.table_name)["Table"]["TableStatus"] != "ACTIVE"
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"table {model.Meta.table_name} not active after {timeout}s")
            time.sleep(0.1)


def bootstrap(settings: Settings, *, visibility_timeout: int = 60) -> StackSpec:
    """Buckets, queues with DLQs, tables, and the media bucket's notification to the scan queue."""
    spec = stack_for(settings, visibility_timeout=visibility_timeout)
    s3 = client(settings, "s3")
    for bucket in spec.buckets:
        _ensure_bucket(s3, bucket, settings.region)
    arns = _ensure_queues(settings, spec)
    _ensure_tables(settings)
    for note in spec.notifications:
        s3.put_bucket_notification_configuration(
            Bucket=note.bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": f"{note.bucket}-to-{note.queue}",
                        "QueueArn": arns[note.queue],
                        "Events": list(note.events),
                    }
                ]
            },
        )
    return spec

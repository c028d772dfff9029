"""Create the stack on an endpoint, idempotently: running it twice changes nothing.

Used by ``make run`` and the integration tests against the embedded emulator (and by
anyone pointing Viewra at an empty LocalStack or MinIO); on AWS the templates in ``infra/``
create the same, from the same declaration (:mod:`viewra.common.stack`), and ``tests/infra`` checks
that
the two agree.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import TTLAttribute

from viewra.common.settings import Settings
from viewra.common.stack import StackSpec, queue_policy, queue_senders, stack_for
from viewra.storage.clients import client
from viewra.storage.tables import tables_for


def _ensure_bucket(s3: Any, name: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=name)
        return
    except ClientError:
        pass
    params: dict[str, object] = {"Bucket": name}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**params)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> str:
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as exc:  # exists with other attributes: bring it in line
        if exc.response["Error"]["Code"] not in {"QueueAlreadyExists", "QueueNameExists"}:
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def _ensure_queues(settings: Settings, spec: StackSpec) -> dict[str, tuple[str, str]]:
    """Every queue and its DLQ; returns name → (url, arn)."""
    sqs = client(settings, "sqs")
    found: dict[str, tuple[str, str]] = {}
    for queue in spec.queues:
        dlq_url = _ensure_queue(
            sqs, queue.dlq_name, {"MessageRetentionPeriod": str(queue.dlq_retention_seconds)}
        )
        attributes = {
            "VisibilityTimeout": str(queue.visibility_timeout),
            "MessageRetentionPeriod": str(queue.retention_seconds),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": _queue_arn(sqs, dlq_url),
                    "maxReceiveCount": str(queue.max_receive_count),
                }
            ),
        }
        url = _ensure_queue(sqs, queue.name, attributes)
        found[queue.name] = (url, _queue_arn(sqs, url))
    return found


def _ensure_topics(settings: Settings, spec: StackSpec) -> dict[str, str]:
    """Topics (create_topic is idempotent and answers the ARN); returns name → ARN."""
    if not spec.topics:
        return {}
    sns = client(settings, "sns")
    return {t.name: sns.create_topic(Name=t.name)["TopicArn"] for t in spec.topics}


def _ensure_subscriptions(
    settings: Settings, spec: StackSpec, topics: dict[str, str], queues: dict[str, tuple[str, str]]
) -> None:
    if not spec.topics:
        return
    sns = client(settings, "sns")
    for topic in spec.topics:
        arn = topics[topic.name]
        existing = {
            s["Endpoint"]: s["SubscriptionArn"]
            for s in sns.list_subscriptions_by_topic(TopicArn=arn).get("Subscriptions", [])
            if s.get("Protocol") == "sqs"
        }
        for sub in topic.subscriptions:
            queue_arn = queues[sub.queue][1]
            attributes = {"RawMessageDelivery": "true" if sub.raw_delivery else "false"}
            if sub.filter_policy:
                attributes["FilterPolicy"] = sub.filter_policy
            sub_arn = existing.get(queue_arn)
            if sub_arn is None or sub_arn == "PendingConfirmation":
                sns.subscribe(
                    TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes
                )
                continue
            for name, value in attributes.items():
                sns.set_subscription_attributes(
                    SubscriptionArn=sub_arn, AttributeName=name, AttributeValue=value
                )


def _set_queue_policies(
    settings: Settings, spec: StackSpec, topics: dict[str, str], queues: dict[str, tuple[str, str]]
) -> None:
    """Allow the bucket (S3) and the topics (SNS) to send to their queues; on AWS a bucket
    notification to a queue without this policy is refused."""
    sqs = client(settings, "sqs")
    for queue, senders in queue_senders(spec).items():
        url, arn = queues[queue]
        _, partition, _, _, account, _ = arn.split(":", 5)
        sources = [
            (svc, f"arn:{partition}:s3:::{name}" if svc == "s3" else topics[name])
            for svc, name in senders
        ]
        policy = queue_policy(arn, sources, account)
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})


def _ttl_attribute(model: Any) -> str | None:
    for name, attr in model.get_attributes().items():
        if isinstance(attr, TTLAttribute):
            return attr.attr_name or name
    return None


def _add_missing_indexes(ddb: Any, model: Any, deadline: float) -> None:
    """Create the global secondary indexes a table made by an earlier version lacks (one per
    UpdateTable, as DynamoDB allows), each waited for; their keys fill as items are written
    (``viewra reindex`` rewrites the old ones)."""
    name = model.Meta.table_name
    for index in _absent_indexes(ddb, model):
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=index["attribute_definitions"],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": index["index_name"],
                        "KeySchema": index["key_schema"],
                        "Projection": index["projection"],
                    }
                }
            ],
        )
        while True:
            table = ddb.describe_table(TableName=name)["Table"]
            states = {g["IndexName"]: g.get("IndexStatus") for g in table["GlobalSecondaryIndexes"]}
            if states.get(index["index_name"]) == "ACTIVE" and table["TableStatus"] == "ACTIVE":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"index {index['index_name']} of {name} not active")
            time.sleep(0.5)


def missing_indexes(settings: Settings) -> list[str]:
    """The global secondary indexes that tables made by an earlier version lack (tables not made
    yet are not counted): bootstrap adds them, and the items already written need a reindex to
    appear in them."""
    ddb = client(settings, "dynamodb")
    return [
        f"{model.Meta.table_name}/{index['index_name']}"
        for model in tables_for(settings).all()
        if model.exists()
        for index in _absent_indexes(ddb, model)
    ]


def _absent_indexes(ddb: Any, model: Any) -> list[dict[str, Any]]:
    """The global secondary indexes of ``model``'s schema its existing table does not have."""
    found = ddb.describe_table(TableName=model.Meta.table_name)["Table"]
    have = {g["IndexName"] for g in found.get("GlobalSecondaryIndexes", [])}
    return [
        index
        for index in model._get_schema()["global_secondary_indexes"]
        if index["index_name"] not in have
    ]


def _ensure_tables(settings: Settings, timeout: float = 60.0) -> None:
    """Create missing tables, then wait for all of them together (PynamoDB's own wait sleeps
    2 s per table, which is most of a test's set-up time); then their time-to-live attribute."""
    everything = tables_for(settings).all()
    models = [m for m in everything if not m.exists()]
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
    for model in everything:
        if model not in models:
            _add_missing_indexes(ddb, model, deadline)
    for model in everything:
        ttl = _ttl_attribute(model)
        if ttl is None:
            continue
        name = model.Meta.table_name
        status = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
            continue
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )


def _put_notifications(settings: Settings, spec: StackSpec, queues: dict) -> None:
    s3 = client(settings, "s3")
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for note in spec.notifications:
        config: dict[str, Any] = {
            "Id": f"{note.bucket}-to-{note.queue}",
            "QueueArn": queues[note.queue][1],
            "Events": list(note.events),
        }
        if note.filter_rules():
            config["Filter"] = {"Key": {"FilterRules": note.filter_rules()}}
        by_bucket.setdefault(note.bucket, []).append(config)
    for bucket, configs in by_bucket.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs}
        )


def bootstrap(settings: Settings, *, visibility_timeout: int = 60) -> StackSpec:
    """Buckets, queues with DLQs and their policies, topics and subscriptions, tables (with TTL),
    and the media bucket's notification to the scan queue."""
    spec = stack_for(settings, visibility_timeout=visibility_timeout)
    return bootstrap_spec(settings, spec)


def bootstrap_spec(settings: Settings, spec: StackSpec) -> StackSpec:
    """Create ``spec`` (any :class:`StackSpec`, e.g. :func:`viewra.common.stack.deploy_stack`'s)."""
    s3 = client(settings, "s3")
    for bucket in spec.buckets:
        _ensure_bucket(s3, bucket, settings.region)
    queues = _ensure_queues(settings, spec)
    topics = _ensure_topics(settings, spec)
    _set_queue_policies(settings, spec, topics, queues)
    _ensure_subscriptions(settings, spec, topics, queues)
    _ensure_tables(settings)
    _put_notifications(settings, spec, queues)
    return spec

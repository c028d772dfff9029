"""Each functional test starts from the stack bootstrap makes, whatever the test before it did
(tests/functional/moto_snapshot.py puts moto's backends back from a snapshot)."""

from __future__ import annotations

from moto import mock_aws

from tests.functional.conftest import VISIBILITY_TIMEOUT, fresh_stack
from viewra.bootstrap import Services
from viewra.common.settings import Settings
from viewra.storage.bootstrap import bootstrap
from viewra.storage.clients import client


def _stack(settings: Settings) -> dict[str, object]:
    """What a test can see of the stack: tables, buckets and their objects, queues and their
    attributes and backlog, subscriptions, the media bucket's notifications."""
    ddb, s3, sqs, sns = (client(settings, s) for s in ("dynamodb", "s3", "sqs", "sns"))
    queues = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        for moving in ("CreatedTimestamp", "LastModifiedTimestamp"):
            attrs.pop(moving, None)
        queues[url] = attrs
    tables = {}
    for name in ddb.list_tables()["TableNames"]:
        table = ddb.describe_table(TableName=name)["Table"]
        tables[name] = (
            table["KeySchema"],
            sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])),
            table["ItemCount"],
            ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
        )
    buckets = {
        b["Name"]: [o["Key"] for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])]
        for b in s3.list_buckets()["Buckets"]
    }
    return {
        "tables": tables,
        "buckets": buckets,
        "queues": queues,
        "subscriptions": sorted(
            (s["TopicArn"], s["Endpoint"]) for s in sns.list_subscriptions()["Subscriptions"]
        ),
        "notifications": s3.get_bucket_notification_configuration(Bucket=settings.media_bucket)[
            "QueueConfigurations"
        ],
    }


def _scribble(settings: Settings) -> None:
    """What tests do to the stack: write, drop a table, reconfigure a queue."""
    ddb, s3, sqs = (client(settings, s) for s in ("dynamodb", "s3", "sqs"))
    s3.put_object(Bucket=settings.media_bucket, Key="movies/left-behind.mp4", Body=b"x")
    s3.put_object(Bucket=settings.content_bucket, Key="left/behind", Body=b"x")
    url = sqs.get_queue_url(QueueName=settings.transcode_queue)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    ddb.delete_table(TableName=settings.table_name("scans"))
    ddb.put_item(TableName=settings.table_name("items"), Item={"id": {"S": "left-behind"}})
    sqs.create_queue(QueueName="a-queue-of-its-own")


def test_a_restored_stack_is_the_one_bootstrap_makes_whatever_the_last_test_did(
    services: Services,
) -> None:
    settings = services.settings
    fresh = _stack(settings)
    _scribble(settings)
    assert _stack(settings) != fresh
    # (nested in the fixture's mock_aws, which resets moto only when it is the outermost)
    with mock_aws():  # the next test
        fresh_stack(settings)
        assert _stack(settings) == fresh
        _scribble(settings)
    with mock_aws() as moto:  # a test with a bootstrap of its own, as before the snapshots
        moto.reset()
        bootstrap(settings, visibility_timeout=VISIBILITY_TIMEOUT)
        assert _stack(settings) == fresh

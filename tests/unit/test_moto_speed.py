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


@mock_aws
def test_dynamodb_answers_written_directly_equal_motos_own(monkeypatch) -> None:
    """Every kind of attribute value through the item operations, each answer checked against
    moto's serializer (VIEWRA_MOTO_VERIFY raises on any difference)."""
    speed_up_moto()
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    from viewra.local import moto_speed

    written = []  # the answers that skipped moto's serializer
    plain_json = moto_speed._plain_json

    def spying(result, members):  # type: ignore[no-untyped-def]
        body = plain_json(result, members)
        if body is not None:
            written.append(sorted(result))
        return body

    monkeypatch.setattr(moto_speed, "_plain_json", spying)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {
        "k": {"S": "a"},
        "n": {"N": "12.50"},
        "flag": {"BOOL": True},
        "none": {"NULL": True},
        "names": {"SS": ["x", "y"]},
        "nums": {"NS": ["1", "2"]},
        "nested": {"M": {"l": {"L": [{"S": "é"}, {"N": "-3"}, {"M": {}}]}}},
    }
    ddb.put_item(TableName="t", Item=item, ReturnConsumedCapacity="TOTAL")
    got = ddb.get_item(TableName="t", Key={"k": {"S": "a"}}, ConsistentRead=True)["Item"]
    assert got["nested"] == item["nested"] and got["nums"]["NS"] in (["1", "2"], ["2", "1"])
    assert got["n"] == {"N": "12.50"} or got["n"] == {"N": "12.5"}
    updated = ddb.update_item(
        TableName="t",
        Key={"k": {"S": "a"}},
        UpdateExpression="SET n = n + :one REMOVE flag",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert updated["n"]["N"] in ("13.5", "13.50") and "flag" not in updated
    rows = ddb.query(
        TableName="t",
        KeyConditionExpression="k = :k",
        ExpressionAttributeValues={":k": {"S": "a"}},
    )
    assert rows["Count"] == 1 and rows["Items"][0]["names"]["SS"] == ["x", "y"]
    assert ddb.get_item(TableName="t", Key={"k": {"S": "missing"}}).get("Item") is None
    ddb.delete_item(TableName="t", Key={"k": {"S": "a"}})
    # binary values are bytes to moto: that answer takes moto's serializer, and still arrives
    ddb.put_item(TableName="t", Item={"k": {"S": "b"}, "blob": {"B": b"\x00\xff"}})
    blob = ddb.get_item(TableName="t", Key={"k": {"S": "b"}})["Item"]["blob"]["B"]
    assert blob == b"\x00\xff"
    assert ["Item"] in written and ["Count", "Items", "ScannedCount"] in written
    assert ["Attributes", "ConsumedCapacity"] in written

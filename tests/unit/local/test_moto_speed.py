"""viewra.local.moto_speed: the retention check reads one attribute and still expires messages."""

from __future__ import annotations

import time
from typing import Any

import boto3
from moto import mock_aws

from viewra.local.moto_speed import speed_up_moto


def _string_keyed_table(name: str, *keys: str) -> Any:
    """A DynamoDB client and a new on-demand table ``name`` keyed by strings: ``keys`` (hash,
    then range) or the hash key ``k`` alone."""
    names = keys or ("k",)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": a, "KeyType": kind}
            for a, kind in zip(names, ("HASH", "RANGE")[: len(names)], strict=True)
        ],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in names],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


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
    ddb = _string_keyed_table("t")
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


@mock_aws
def test_dynamodb_results_built_directly_equal_motos_own(monkeypatch) -> None:
    """Pages, batches, projections and table descriptions: each result is converted both ways
    and compared (VIEWRA_MOTO_VERIFY), and what arrives is what was written."""
    speed_up_moto()
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    ddb = _string_keyed_table("rows", "p", "r")
    rows = [
        {
            "p": {"S": "x"},
            "r": {"S": f"{n:03d}"},
            "n": {"N": str(n)},
            "none": {"NULL": True},
            "flag": {"BOOL": n % 2 == 0},
            "tags": {"SS": ["a", f"t{n}"]},
            "deep": {"M": {"l": {"L": [{"S": "ü"}, {"M": {"k": {"NS": ["1", "2.5"]}}}]}}},
        }
        for n in range(7)
    ]
    for row in rows:
        ddb.put_item(TableName="rows", Item=row)
    first = ddb.query(
        TableName="rows",
        KeyConditionExpression="p = :p",
        ExpressionAttributeValues={":p": {"S": "x"}},
        Limit=3,
    )
    assert [i["r"]["S"] for i in first["Items"]] == ["000", "001", "002"]
    assert first["LastEvaluatedKey"] == {"p": {"S": "x"}, "r": {"S": "002"}}
    assert first["Items"][1]["deep"] == rows[1]["deep"] and first["Items"][1]["none"] == {
        "NULL": True
    }
    rest = ddb.query(
        TableName="rows",
        KeyConditionExpression="p = :p",
        ExpressionAttributeValues={":p": {"S": "x"}},
        ExclusiveStartKey=first["LastEvaluatedKey"],
        ProjectionExpression="r, flag",
    )
    assert [set(i) for i in rest["Items"]] == [{"r", "flag"}] * 4 and "LastEvaluatedKey" not in rest
    batch = ddb.batch_get_item(
        RequestItems={
            "rows": {
                "Keys": [{"p": {"S": "x"}, "r": {"S": "004"}}, {"p": {"S": "y"}, "r": {"S": "0"}}]
            }
        }
    )
    assert batch["Responses"]["rows"] == [rows[4]] and batch["UnprocessedKeys"] == {}
    assert ddb.describe_table(TableName="rows")["Table"]["KeySchema"][1]["AttributeName"] == "r"


NAMES = {"#0": "title", "#1": "n", "#2": "gone", "#3": "pk", "#4": "when"}
VALUES = {":0": {"S": "x"}, ":1": {"N": "1"}, ":2": {"S": ""}, ":3": {"SS": ["a"]}}
DECLARED = {"pk": "S", "sk": "S", "when": "S"}


def _plan(expression: str, values: dict | None = None):  # type: ignore[no-untyped-def]
    from viewra.local.moto_speed import plain_update

    return plain_update(expression, NAMES, values or VALUES, {"pk", "sk"}, DECLARED)


def test_plain_updates_are_recognised_in_pynamodbs_form() -> None:
    assert _plan("SET #0 = :0, #1 = :1 REMOVE #2") == (
        [("title", {"S": "x"}), ("n", {"N": "1"})],
        ["gone"],
    )
    assert _plan("REMOVE #2") == ([], ["gone"])
    assert _plan("SET #4 = :0") == ([("when", {"S": "x"})], [])


def test_anything_moto_could_reject_or_compute_is_left_to_moto() -> None:
    for expression in (
        "SET title = :0",  # a bare name (could be a reserved word)
        "SET #1 = #1 + :1",  # arithmetic reads the item
        "SET #0 = if_not_exists(#0, :0)",  # functions
        "ADD #1 :1",  # ADD and DELETE
        "SET #0 = :0 SET #1 = :1",  # two SET clauses
        "SET #0 = :0, #0 = :1",  # the same attribute twice
        "SET #0 = :9",  # an undefined value
        "SET #9 = :0",  # an undefined name
        "SET #3 = :0",  # a key attribute
        "SET #4 = :1",  # an index key of the wrong type
        "SET #4 = :2",  # an empty index key
        "SET #0 = :3",  # a set (moto checks those for emptiness)
        "SET #0.a = :0",  # a nested path
        "",
    ):
        assert _plan(expression) is None, expression


@mock_aws
def test_plain_updates_applied_directly_equal_motos_own(monkeypatch) -> None:
    """Each update applied both ways from the same state (VIEWRA_MOTO_VERIFY raises on any
    difference in the item or the error), and the errors DynamoDB gives still given."""
    import pytest
    from botocore.exceptions import ClientError

    speed_up_moto()
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    from viewra.local import moto_speed

    plans = []
    plain_update = moto_speed.plain_update

    def spying(*args):  # type: ignore[no-untyped-def]
        plans.append(plain_update(*args))
        return plans[-1]

    monkeypatch.setattr(moto_speed, "plain_update", spying)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName="u",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "when")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-when",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": {"S": "u1"}, "sk": {"S": "i1"}}

    def update(expression: str, values: dict, **kw):  # type: ignore[no-untyped-def]
        names = {p: NAMES[p] for p in NAMES if p in expression}
        extra = {"ExpressionAttributeValues": values} if values else {}
        return ddb.update_item(
            TableName="u",
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeNames={**names, **kw.pop("names", {})},
            ReturnValues="ALL_NEW",
            **extra,
            **kw,
        ).get("Attributes")

    # a new item, then more attributes, an index key, a removal
    assert update("SET #0 = :0", {":0": {"S": "a"}})["title"] == {"S": "a"}
    got = update("SET #1 = :1, #4 = :4", {":1": {"N": "2"}, ":4": {"S": "2026"}})
    assert got["n"] == {"N": "2"} and got["title"] == {"S": "a"}
    assert "title" not in update("REMOVE #0", {})
    rows = ddb.query(
        TableName="u",
        IndexName="by-when",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "u1"}},
    )["Items"]
    assert [r["when"] for r in rows] == [{"S": "2026"}]
    # a condition: met, then not met
    update("SET #0 = :0", {":0": {"S": "b"}, ":n": {"N": "2"}}, ConditionExpression="n = :n")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        update("SET #0 = :0", {":0": {"S": "c"}, ":n": {"N": "9"}}, ConditionExpression="n = :n")
    assert ddb.get_item(TableName="u", Key=key)["Item"]["title"] == {"S": "b"}
    # a missing item against a condition is not created
    key = {"pk": {"S": "u2"}, "sk": {"S": "i1"}}
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        update(
            "SET #0 = :0",
            {":0": {"S": "c"}},
            ConditionExpression="attribute_exists(pk)",
        )
    assert "Item" not in ddb.get_item(TableName="u", Key=key)
    taken = sum(p is not None for p in plans)
    assert taken == 6 and len(plans) == 6
    # what moto's own path rejects is still rejected (an index key of the wrong type is left to
    # moto too, which, unlike DynamoDB, lets it through)
    for expression, values in (
        ("SET #3 = :0", {":0": {"S": "x"}}),  # a key attribute
        ("SET #0 = :0", {":0": {"S": "x" * 410_000}}),  # the item size limit
    ):
        with pytest.raises(ClientError, match="ValidationException"):
            update(expression, values)
    assert ddb.get_item(TableName="u", Key={"pk": {"S": "u1"}, "sk": {"S": "i1"}})["Item"][
        "title"
    ] == {"S": "b"}


@mock_aws
def test_queue_attributes_in_one_pass_equal_motos_own() -> None:
    """Standard, FIFO and KMS queues with a policy and a redrive policy, their messages ready,
    in flight and delayed: the one-pass property gives moto's dict, key for key and in order."""
    speed_up_moto()
    from moto.sqs.models import Queue, sqs_backends

    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    redrive = f'{{"deadLetterTargetArn": "{dlq_arn["QueueArn"]}", "maxReceiveCount": "3"}}'
    sqs.create_queue(QueueName="plain", Attributes={"RedrivePolicy": redrive})
    sqs.create_queue(
        QueueName="ordered.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )
    sqs.create_queue(QueueName="sealed", Attributes={"KmsMasterKeyId": "alias/key"})
    plain = sqs.get_queue_url(QueueName="plain")["QueueUrl"]
    for n in range(6):
        sqs.send_message(QueueUrl=plain, MessageBody=str(n), DelaySeconds=60 if n == 5 else 0)
    sqs.receive_message(QueueUrl=plain, MaxNumberOfMessages=2, VisibilityTimeout=60)
    fifo = sqs.get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
    sqs.send_message(QueueUrl=fifo, MessageBody="x", MessageGroupId="g")

    backend = sqs_backends["123456789012"]["us-east-1"]
    original = Queue._viewra_original_attributes.fget  # type: ignore[attr-defined]
    for name in ("dlq", "plain", "ordered.fifo", "sealed"):
        queue = backend.get_queue(name)
        ours = queue.attributes
        assert list(ours.items()) == list(original(queue).items()), name
    counts = backend.get_queue("plain").attributes
    assert (
        counts["ApproximateNumberOfMessages"],
        counts["ApproximateNumberOfMessagesNotVisible"],
        counts["ApproximateNumberOfMessagesDelayed"],
    ) == (3, 2, 1)
    assert backend.get_queue("ordered.fifo").attributes["ContentBasedDeduplication"] == "true"


@mock_aws
def test_queue_counts_are_right_though_a_send_skips_them() -> None:
    """A send builds the queue's attributes without counting its messages; GetQueueAttributes
    (all of them, or by name) still counts ready, delayed and in-flight messages."""
    speed_up_moto()
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    named = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesDelayed",
            "ApproximateNumberOfMessagesNotVisible",
        ],
    )["Attributes"]
    for attrs in (every, named):
        assert attrs["ApproximateNumberOfMessages"] == "3"
        assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "2"
    assert every["VisibilityTimeout"] == "30"


@mock_aws
def test_fifo_sends_still_read_content_based_deduplication() -> None:
    speed_up_moto()
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(
        QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["same"]  # deduplicated by content


@mock_aws
def test_a_receive_takes_visible_messages_in_order_past_delayed_and_in_flight_ones() -> None:
    """The receive walks the queue lazily: what it hands out is what moto's full list gave,
    the oldest visible undelayed messages first, and the queue's visible count agrees."""
    speed_up_moto()
    from moto.sqs.models import sqs_backends

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="walked")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="d0", DelaySeconds=60)
    for n in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    assert [m["Body"] for m in first["Messages"]] == ["m0", "m1"]
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=60)
    assert [m["Body"] for m in second["Messages"]] == ["m2", "m3", "m4"]
    queue = sqs_backends["123456789012"]["us-east-1"].get_queue("walked")
    assert [m.body for m in queue.messages] == ["m5"] and len(queue.messages) == 1
    assert queue.messages  # what a long poll's wait tests
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first["Messages"][1]["ReceiptHandle"], VisibilityTimeout=0
    )
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
    assert [m["Body"] for m in again["Messages"]] == ["m1", "m5"]
    assert not queue.messages and len(queue.messages) == 0


@mock_aws
def test_projections_of_names_give_what_motos_own_gave(monkeypatch) -> None:
    """Top-level names are copied as they are (VIEWRA_MOTO_VERIFY compares each with moto's
    round trip); a nested path or a list element takes moto's way; a name the item lacks is
    left out."""
    speed_up_moto()
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    ddb = _string_keyed_table("p")
    item = {
        "k": {"S": "a"},
        "n": {"N": "12"},
        "doc": {"S": '{"title": "Stalker"}'},
        "b": {"B": b"\x00\x01"},
        "ss": {"SS": ["x", "y"]},
        "m": {"M": {"inner": {"L": [{"S": "one"}, {"N": "2"}]}}},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
    }
    ddb.put_item(TableName="p", Item=item)

    def projected(expression: str, names: dict[str, str] | None = None) -> dict:
        extra = {"ExpressionAttributeNames": names} if names else {}
        return ddb.get_item(
            TableName="p", Key={"k": {"S": "a"}}, ProjectionExpression=expression, **extra
        )["Item"]

    assert projected("k, n, doc, b, ss, flag, nothing, absent") == {
        key: value for key, value in item.items() if key != "m"
    }
    assert projected("#m, #d", {"#m": "m", "#d": "doc"}) == {"m": item["m"], "doc": item["doc"]}
    assert projected("m.inner[1]") == {"m": {"M": {"inner": {"L": [{"N": "2"}]}}}}
    got = ddb.query(
        TableName="p",
        KeyConditionExpression="k = :k",
        ExpressionAttributeValues={":k": {"S": "a"}},
        ProjectionExpression="doc, k",
    )["Items"]
    assert got == [{"doc": item["doc"], "k": item["k"]}]

"""moto, made atomic as DynamoDB is: a GetItem never sees half of a transaction."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from viewra.local.moto_atomic import make_dynamodb_writes_atomic


def _table(ddb: Any) -> None:
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk in ("version", "record"):
        ddb.put_item(TableName="t", Item={"pk": {"S": pk}, "n": {"N": "1"}})


def test_a_get_between_two_writes_of_a_transaction_waits_for_the_whole_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The library store reads a version row, then the record it guards; a reader that got the
    new version with the old record would write from a stale copy and pass its condition."""
    make_dynamodb_writes_atomic()
    written = threading.Event()
    put_item = DynamoDBBackend.put_item

    def slow_put(self: Any, table_name: str, item_attrs: dict[str, Any], *a: Any, **k: Any) -> Any:
        result = put_item(self, table_name, item_attrs, *a, **k)
        if item_attrs["pk"]["S"] == "version" and item_attrs["n"]["N"] == "2":
            written.set()
            time.sleep(0.3)  # the record's write comes later: a reader now would see half
        return result

    monkeypatch.setattr(DynamoDBBackend, "put_item", slow_put)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        _table(ddb)
        seen: dict[str, str] = {}

        def reader() -> None:
            written.wait(5)
            for pk in ("version", "record"):
                seen[pk] = ddb.get_item(TableName="t", Key={"pk": {"S": pk}})["Item"]["n"]["N"]

        thread = threading.Thread(target=reader)
        thread.start()
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": pk}, "n": {"N": "2"}}}}
                for pk in ("version", "record")
            ]
        )
        thread.join()
    assert written.is_set()
    assert seen == {"version": "2", "record": "2"}

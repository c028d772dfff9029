"""The embedded emulator's DynamoDB honours conditional writes under concurrency, as AWS does."""

from __future__ import annotations

import threading

from botocore.exceptions import ClientError

from viewra.storage.clients import client


def test_only_one_of_many_concurrent_conditional_creates_wins(services) -> None:
    ddb = client(services.settings, "dynamodb")
    table = services.tables.scans.Meta.table_name
    barrier = threading.Barrier(16)
    wins: list[int] = []

    def create(n: int) -> None:
        barrier.wait()
        try:
            ddb.put_item(
                TableName=table,
                Item={"pk": {"S": "race"}, "sk": {"S": "marker"}, "outcome": {"S": str(n)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            wins.append(n)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"

    threads = [threading.Thread(target=create, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    stored = ddb.get_item(TableName=table, Key={"pk": {"S": "race"}, "sk": {"S": "marker"}})
    assert stored["Item"]["outcome"]["S"] == str(wins[0])

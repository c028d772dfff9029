"""viewra.local.moto_index: Queries answered from the ordered index equal moto's own answers.

Every Query below runs with ``VIEWRA_MOTO_VERIFY=1``, which answers it both ways (the window
from the index and moto's walk of every item) and raises on any difference; the test also
pages through each query and checks the pages against the items written.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from viewra.local import moto_index
from viewra.local.moto_atomic import make_dynamodb_writes_atomic
from viewra.local.moto_index import index_moto_queries
from viewra.local.moto_speed import speed_up_moto

PARTS = ("a", "b")
TITLES = ("", "al", "alpha", "alpine", "beta", "bet", "zeta", "Ängel", "ß")


def _table(ddb) -> None:  # type: ignore[no-untyped-def]
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "part", "AttributeType": "S"},
            {"AttributeName": "title", "AttributeType": "S"},
            {"AttributeName": "year", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": "part", "KeyType": "HASH"},
                    {"AttributeName": rng, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, rng in (("by-title", "title"), ("by-year", "year"))
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.create_table(
        TableName="r",
        KeySchema=[
            {"AttributeName": "part", "KeyType": "HASH"},
            {"AttributeName": "title", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "part", "AttributeType": "S"},
            {"AttributeName": "title", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


writes = st.lists(
    st.tuples(
        st.sampled_from(("put", "update", "delete")),
        st.integers(0, 11),  # the item
        st.sampled_from((*PARTS, None)),  # None: out of the sparse index
        st.sampled_from(TITLES),
        st.integers(1990, 1995),
    ),
    max_size=40,
)
conditions = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(("=", "<", "<=", ">", ">=")), st.sampled_from(TITLES[1:])),
    st.tuples(st.just("between"), st.sampled_from(TITLES[1:]), st.sampled_from(TITLES[1:])),
    st.tuples(st.just("begins_with"), st.sampled_from(("a", "al", "alp", "b", "z", "x"))),
)


def _apply(ddb, ops) -> None:  # type: ignore[no-untyped-def]
    for op, n, part, title, year in ops:
        key = {"id": {"S": f"i{n:02d}"}}
        if op == "delete":
            ddb.delete_item(TableName="t", Key=key)
            if part:
                row_key = {"part": {"S": part}, "title": {"S": title or "-"}}
                ddb.delete_item(TableName="r", Key=row_key)
            continue
        attrs = {"year": {"N": str(year)}, **({"title": {"S": title}} if title else {})}
        if part:
            attrs["part"] = {"S": part}
        if op == "put":
            ddb.put_item(TableName="t", Item={**key, **attrs})
            if part:
                row = {"part": {"S": part}, "title": {"S": title or "-"}, "n": {"N": str(n)}}
                ddb.put_item(TableName="r", Item=row)
        else:
            names = {f"#{i}": k for i, k in enumerate(attrs)}
            values = {f":{i}": v for i, v in enumerate(attrs.values())}
            sets = ", ".join(f"#{i} = :{i}" for i in range(len(attrs)))
            removes = [] if part else ["part"]
            expr = f"SET {sets}" + (" REMOVE #r" if removes else "")
            if removes:
                names["#r"] = "part"
            ddb.update_item(
                TableName="t",
                Key=key,
                UpdateExpression=expr,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )


def _pages(ddb, **request):  # type: ignore[no-untyped-def]
    items, start, pages = [], None, 0
    while True:
        answer = ddb.query(**request, **({"ExclusiveStartKey": start} if start else {}))
        items += answer["Items"]
        pages += 1
        start = answer.get("LastEvaluatedKey")
        if not start or pages > 60:
            return items


@pytest.fixture(scope="module")
def ddb():  # type: ignore[no-untyped-def]
    make_dynamodb_writes_atomic()
    speed_up_moto()
    index_moto_queries()
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def _fresh(ddb) -> None:  # type: ignore[no-untyped-def]
    for name in ("t", "r"):
        with contextlib.suppress(ddb.exceptions.ResourceNotFoundException):
            ddb.delete_table(TableName=name)
    _table(ddb)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ops=writes,
    index=st.sampled_from(("by-title", "by-year", None)),
    condition=conditions,
    limit=st.one_of(st.none(), st.integers(1, 4)),
    forward=st.booleans(),
    with_filter=st.booleans(),
)
def test_indexed_queries_answer_as_moto_does(
    ddb, monkeypatch, ops, index, condition, limit, forward, with_filter
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    windows = []
    window = moto_index._window
    monkeypatch.setattr(moto_index, "_window", lambda *a: windows.append(window(*a)) or windows[-1])
    if True:
        _fresh(ddb)
        _apply(ddb, ops)
        if index == "by-year":
            condition = None if condition is None else (">=", "1992")
        range_attr = {"by-title": "title", "by-year": "year", None: "title"}[index]
        names = {"#h": "part"}
        values: dict = {":h": {"S": "a"}}
        expr = "#h = :h"
        kind = "N" if index == "by-year" else "S"
        if condition:
            op, *bounds = condition
            names["#r"] = range_attr
            for i, b in enumerate(bounds):
                values[f":b{i}"] = {kind: b}
            if op == "between":
                expr += " AND #r BETWEEN :b0 AND :b1"
                if bounds[0] > bounds[1]:
                    return  # DynamoDB refuses a reversed BETWEEN; not what this tests
            elif op == "begins_with":
                expr += " AND begins_with(#r, :b0)"
            else:
                expr += f" AND #r {op} :b0"
        request = {
            "TableName": "t" if index else "r",
            "KeyConditionExpression": expr,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
        }
        if index:
            request["IndexName"] = index
        if limit:
            request["Limit"] = limit
        if with_filter and index:
            request["FilterExpression"] = "#y > :y"
            names["#y"] = "year"
            values[":y"] = {"N": "1992"}
        got = _pages(ddb, **request)
        whole = ddb.query(**{k: v for k, v in request.items() if k != "Limit"})["Items"]
        assert got == whole  # pages joined = the unlimited answer, in order
        if index and not condition and not with_filter:
            table = [i for i in ddb.scan(TableName="t")["Items"] if i.get("part") == {"S": "a"}]
            table = [i for i in table if range_attr in i]
            key = (
                (lambda i: (Decimal(i["year"]["N"]), i["id"]["S"]))
                if kind == "N"
                else (lambda i: (i["title"]["S"], i["id"]["S"]))
            )
            assert got == sorted(table, key=key, reverse=not forward)
        assert windows and None not in windows  # every page came from the ordered index


def test_a_page_after_a_start_key_still_answers_the_key_of_its_last_item(ddb, monkeypatch) -> None:
    """The start key's own item is not one of the page's: a filtered page of two after it still
    ends with LastEvaluatedKey while items follow (a regression: the window counted it)."""
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    _fresh(ddb)
    for n in range(6):
        ddb.put_item(
            TableName="t",
            Item={
                "id": {"S": f"i{n}"},
                "part": {"S": "a"},
                "title": {"S": f"t{n}"},
                "year": {"N": "1990"},
            },
        )
    request = {
        "TableName": "t",
        "IndexName": "by-title",
        "KeyConditionExpression": "part = :a",
        "FilterExpression": "#y > :y",
        "ExpressionAttributeNames": {"#y": "year"},
        "ExpressionAttributeValues": {":a": {"S": "a"}, ":y": {"N": "2000"}},
        "Limit": 2,
    }
    first = ddb.query(**request)
    assert first["Items"] == [] and first["LastEvaluatedKey"]["title"] == {"S": "t1"}
    second = ddb.query(**request, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert second["ScannedCount"] == 2 and second["LastEvaluatedKey"]["title"] == {"S": "t3"}

"""viewra.media.store_hook: the webhook's token and the shape of what it accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from viewra.common.errors import BadRequest, NotFound, Unauthorized
from viewra.media.store_hook import MAX_RECORDS, check_token, records_of

DELIVERY = json.loads((Path(__file__).parents[2] / "events" / "minio_webhook_put.json").read_text())


def test_the_hook_is_off_without_a_token() -> None:
    with pytest.raises(NotFound, match="VIEWRA_STORE_HOOK_TOKEN"):
        check_token("", "anything")


@pytest.mark.parametrize("header", ["s3cret", "Bearer s3cret", "bearer  s3cret ", " s3cret"])
def test_the_token_is_taken_as_it_is_or_after_bearer(header: str) -> None:
    check_token("s3cret", header)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer s3cre", "s3cret2", "Basic s3cret"])
def test_a_missing_or_wrong_token_is_refused(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        check_token("s3cret", header)


def test_minios_delivery_gives_its_records_untouched() -> None:
    assert records_of(DELIVERY) == DELIVERY["Records"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ([], "body"),
        ({"EventName": "s3:ObjectCreated:Put"}, "Records"),
        ({"Records": []}, "Records"),
        ({"Records": [{"eventName": "s3:ObjectCreated:Put"}]}, "Records.0.s3"),
        ({"Records": [DELIVERY["Records"][0], {"s3": {}}]}, "Records.1.eventName"),
        (
            {"Records": [{"eventName": "x", "s3": {"bucket": {"name": "b"}, "object": {}}}]},
            "Records.0.s3.object.key",
        ),
        ({"Records": DELIVERY["Records"] * (MAX_RECORDS + 1)}, "Records"),
    ],
)
def test_anything_else_is_a_400_naming_the_bad_field(body: object, where: str) -> None:
    with pytest.raises(BadRequest, match=f"not a bucket notification: {where}") as caught:
        records_of(body)
    assert caught.value.code == "InvalidNotification" and caught.value.status == 400

"""Bucket notifications from stores that cannot send them to SQS: MinIO's webhook target.

S3 sends a bucket's events to the scan queue itself. MinIO publishes to webhooks, AMQP, Kafka and
others, but not to SQS. Its webhook target POSTs each event as
``{"EventName", "Key", "Records": [...]}`` with ``Authorization: <the target's auth_token>``, and
the records are in S3's own shape (event names with an ``s3:`` prefix, ``eventSource``
``minio:s3``), which the scan handler reads as it reads S3's. So the bridge is small: check the
token, check the records' shape, and put each record on the scan queue as the one-record message
S3 would have sent. Everything after that (the media bucket only, key validation, ordering by
event time and sequencer, duplicates) is the scan's, as for S3's own events.

MinIO retries a delivery that did not get a 2xx, and keeps undelivered events on disk when its
target has a ``queue_dir``; the scan is idempotent, so a repeat costs nothing.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viewra.common.errors import BadRequest, NotFound, Unauthorized

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices as Services

# MinIO sends one record a delivery; a bound keeps one request from queuing without limit.
MAX_RECORDS = 100


class _Bucket(BaseModel):
    name: str = Field(min_length=1)


class _Object(BaseModel):
    key: str = Field(min_length=1)


class _S3(BaseModel):
    bucket: _Bucket
    object: _Object


class _Record(BaseModel):
    """The fields the scan cannot do without; the rest of the record is passed on as it is."""

    model_config = ConfigDict(extra="allow")
    eventName: str = Field(min_length=1)  # S3's field name
    s3: _S3


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` references replaced by the definitions themselves."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def _records_schema(schema: dict[str, Any]) -> None:
    """The records are kept as they came (the scan reads fields the check does not name); the
    document still says what each must hold: :class:`_Record`'s fields."""
    schema["items"] = _inline(_Record.model_json_schema())


class StoreDelivery(BaseModel):
    """A webhook delivery: S3-shaped ``Records`` (MinIO also sends ``EventName`` and ``Key``)."""

    model_config = ConfigDict(extra="allow")
    Records: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_RECORDS, json_schema_extra=_records_schema
    )


class Queued(BaseModel):
    queued: int  # records put on the scan queue


def check_token(configured: str, authorization: str | None) -> None:
    """The hook is off without a configured token; otherwise the header must carry it (as it
    is, or after ``Bearer``), compared in constant time."""
    if not configured:
        raise NotFound("the store notification hook is off: set VIEWRA_STORE_HOOK_TOKEN")
    given = (authorization or "").strip()
    if given[:7].lower() == "bearer ":
        given = given[7:].strip()
    if not hmac.compare_digest(given.encode(), configured.encode()):
        raise Unauthorized("missing or wrong token in the Authorization header")


def records_of(body: Any) -> list[dict[str, Any]]:
    """The delivery's records, each checked for what the scan needs (400 with the bad path)."""
    where: tuple[str | int, ...] = ()
    try:
        delivery = StoreDelivery.model_validate(body)
        for i, record in enumerate(delivery.Records):
            where = ("Records", i)
            _Record.model_validate(record)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in (*where, *e['loc'])) or 'body'}: {e['msg']}"
            for e in exc.errors()
        )
        message = f"not a bucket notification: {detail}"
        raise BadRequest(message, code="InvalidNotification") from exc
    return delivery.Records


def forward(services: Services, authorization: str | None, body: Any) -> int:
    """Check and queue one webhook delivery; return how many records went to the scan queue."""
    check_token(services.settings.store_hook_token, authorization)
    records = records_of(body)
    return services.queues.send(services.settings.scan_queue, ({"Records": [r]} for r in records))

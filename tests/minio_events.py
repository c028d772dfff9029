"""MinIO's webhook deliveries, built from our own fixture (``tests/events/minio_webhook_put.json``,
written from MinIO's documented shape: ``EventName``, ``Key``, S3-shaped ``Records``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

FIXTURE = Path(__file__).parent / "events" / "minio_webhook_put.json"


def minio_delivery(
    bucket: str,
    key: str,
    *,
    etag: str | None = None,
    size: int | None = None,
    name: str = "s3:ObjectCreated:Put",
    time: str = "2026-11-20T10:15:30Z",
) -> dict[str, Any]:
    """What MinIO POSTs for ``key`` (URL-encoded, "/" included, as MinIO does); a removal's record
    carries no ETag or size."""
    text = FIXTURE.read_text()
    for placeholder, value in (
        ("KEY_ENCODED", quote_plus(key)),
        ("BUCKET", bucket),
        ("EVENT_TIME", time),
        ("s3:ObjectCreated:Put", name),
    ):
        text = text.replace(placeholder, value)
    delivery = json.loads(text)
    obj = delivery["Records"][0]["s3"]["object"]
    if etag is None:
        del obj["eTag"], obj["size"], obj["contentType"], obj["userMetadata"]
    else:
        obj["eTag"], obj["size"] = etag, size
    return delivery

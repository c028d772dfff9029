"""A store that cannot notify SQS (MinIO) feeds the library through POST /hooks/store-events.

The stack's bucket notification is switched off for the test, so the object reaches the library
only through the hook, as it would from MinIO's webhook target.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.integration.conftest import STORE_HOOK_TOKEN
from tests.minio_events import minio_delivery

pytestmark = pytest.mark.integration


def hook(stack, body: object, token: str | None = STORE_HOOK_TOKEN) -> requests.Response:
    headers = {"Authorization": token} if token is not None else {}
    return requests.post(f"{stack.api}/hooks/store-events", json=body, headers=headers, timeout=30)


def test_a_store_without_sqs_notifications_feeds_the_library_through_the_hook(
    stack, media_dir
) -> None:
    s3 = stack.client("s3")
    name = f"hooked-{uuid.uuid4().hex[:8]}"
    created = stack.post("/libraries", {"name": name, "prefix": f"{name}/", "kind": "movies"})
    lib, scan = created.json()["library"], created.json()["scan"]
    # the library's own first scan has listed its (empty) prefix: it cannot find the object
    stack.wait_for(
        lambda: stack.get(f"/scans/{scan['id']}").json()["status"] == "completed",
        what="the library's first scan",
    )
    key = lib["prefix"] + "Heat (1995)/Heat.1995.mp4"
    saved = s3.get_bucket_notification_configuration(Bucket=stack.bucket)
    saved.pop("ResponseMetadata", None)
    s3.put_bucket_notification_configuration(Bucket=stack.bucket, NotificationConfiguration={})
    try:
        body = media_dir["mp4_faststart"].read_bytes()
        etag = s3.put_object(Bucket=stack.bucket, Key=key, Body=body)["ETag"].strip('"')
        time.sleep(2)  # the store told no queue: nothing is catalogued
        assert all(i["key"] != key for i in stack.items(lib["id"], "all"))

        delivery = minio_delivery(stack.bucket, key, etag=etag, size=len(body))
        r = hook(stack, delivery, f"Bearer {STORE_HOOK_TOKEN}")
        assert (r.status_code, r.json()) == (202, {"queued": 1})
        item = stack.item_at(lib["id"], key, etag=etag)
        assert (item["status"], item["title"], item["year"]) == ("ready", "Heat", 1995)

        s3.delete_object(Bucket=stack.bucket, Key=key)
        gone = minio_delivery(stack.bucket, key, name="s3:ObjectRemoved:Delete",
                              time="2026-11-20T11:00:00Z")  # fmt: skip
        assert hook(stack, gone).status_code == 202
        stack.wait_for(lambda: stack.get(f"/items/{item['id']}").status_code == 404, what="removal")
    finally:
        s3.put_bucket_notification_configuration(
            Bucket=stack.bucket, NotificationConfiguration=saved
        )


@pytest.mark.parametrize(
    ("token", "body", "status", "code"),
    [
        (None, {"Records": [{}]}, 401, "Unauthorized"),
        ("Bearer wrong", {"Records": [{}]}, 401, "Unauthorized"),
        (STORE_HOOK_TOKEN, {"Records": [{"eventName": "s3:ObjectCreated:Put"}]}, 400,
         "InvalidNotification"),
        (STORE_HOOK_TOKEN, "not json at all", 400, "InvalidNotification"),
    ],
)  # fmt: skip
def test_the_hook_refuses_with_a_json_error(stack, token, body, status, code) -> None:
    r = hook(stack, body, token)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]

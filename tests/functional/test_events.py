"""Domain events through the bus: published to the topic, stored once by the subscriber, followed
with GET /events?after=CURSOR (long-poll)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from viewra.common.events import EVENT_TYPES, Event, ItemAdded, publish
from viewra.local.functions import load_function
from viewra.local.worker import LambdaContext, to_lambda_event


def _record(message_id: str, body: str) -> dict:
    """One SQS record of the events subscription, as Lambda delivers it."""
    return {
        "messageId": message_id,
        "receiptHandle": "r",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        "awsRegion": "us-east-1",
    }


def drain_topic_into_table(services) -> int:
    """Deliver what the topic queued for the events subscription, as the event source would."""
    sqs = services.queues._sqs
    url = services.queues.url(services.settings.events_queue)
    delivered = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        event = to_lambda_event(messages, "arn:aws:sqs:us-east-1:123456789012:events", "us-east-1")
        result = load_function("api").handle_events_queue(event, LambdaContext("api-events"))
        assert result == {"batchItemFailures": []}
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        delivered += len(messages)
    return delivered


def test_every_event_type_round_trips_its_typed_payload() -> None:
    assert {
        "ScanCompleted",
        "ItemAdded",
        "ItemUpdated",
        "ItemRemoved",
        "ItemFailed",
        "TranscodeQueued",
        "TranscodeProgress",
        "TranscodeCompleted",
        "TranscodeFailed",
        "TranscodeCancelled",
        "SessionStarted",
        "SessionProgress",
        "SessionStopped",
        # accounts (the audit trail)
        "UserCreated",
        "UserDeleted",
        "UserLoggedIn",
        "LoginFailed",
        "UserLoggedOut",
        "PasswordChanged",
        "RefreshTokenReused",
        "ApiKeyCreated",
        "ApiKeyRevoked",
        "GrantsChanged",
    } == set(EVENT_TYPES)
    event = Event.of(ItemAdded(item_id="i", key="k", library_id="l"))
    again = Event.model_validate_json(event.model_dump_json())
    assert again.payload() == ItemAdded(item_id="i", key="k", library_id="l")
    assert again.version == 1 and again.cursor.endswith(event.id)


def test_published_events_reach_the_feed_once_in_order(api, services) -> None:
    drain_topic_into_table(services)  # the admin's creation and login (the api fixture)
    sent = [
        publish(services.events, ItemAdded(item_id=f"i{n}", key=f"k{n}", library_id="l"))
        for n in range(3)
    ]
    assert drain_topic_into_table(services) == 3
    # a redelivery of the same envelope changes nothing
    load_function("api").handle_events_queue(
        {"Records": [_record("dup", sent[0].model_dump_json())]}, LambdaContext("api-events")
    )
    body = api.http.get("/events").json_body
    assert [e["id"] for e in body["events"] if e["type"] == "ItemAdded"] == [e.id for e in sent]
    after_first = api.http.get(f"/events?after={sent[0].cursor}").json_body
    assert [e["data"]["item_id"] for e in after_first["events"]] == ["i1", "i2"]
    assert after_first["cursor"] == sent[2].cursor


def test_long_poll_returns_when_an_event_arrives(api, services) -> None:
    first = publish(services.events, ItemAdded(item_id="a", key="a", library_id="l"))
    drain_topic_into_table(services)

    def later() -> None:
        time.sleep(1.0)
        publish(services.events, ItemAdded(item_id="b", key="b", library_id="l"))
        drain_topic_into_table(services)

    threading.Thread(target=later).start()
    started = time.monotonic()
    body = api.http.get(f"/events?after={first.cursor}&wait=10").json_body
    waited = time.monotonic() - started
    assert [e["data"]["item_id"] for e in body["events"]] == ["b"]
    assert 0.8 < waited < 8


def test_empty_long_poll_keeps_the_cursor(api, services) -> None:
    body = api.http.get("/events?after=2099-01-01T00:00:00.000Z_x&wait=0.5").json_body
    assert body == {"events": [], "cursor": "2099-01-01T00:00:00.000Z_x"}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        json.dumps({"type": "Nope", "data": {}}),
        json.dumps({"type": "ItemAdded", "data": {"item_id": 1}}),
    ],
)
def test_bad_deliveries_fail_alone(services, body: str) -> None:
    event = {"Records": [_record("bad", body)]}
    result = load_function("api").handle_events_queue(event, LambdaContext("api-events"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_wait_is_bounded(api) -> None:
    r = api.http.get("/events?wait=60")
    assert (r.status_code, r.json_body["error"]["code"]) == (422, "ValidationError")


def test_a_batch_is_stored_together_and_a_failed_write_fails_every_delivery_in_it(
    api, services
) -> None:
    events = [Event.of(ItemAdded(item_id=f"b{n}", key="k", library_id="l")) for n in range(12)]
    batch = {"Records": [_record(f"m{n}", e.model_dump_json()) for n, e in enumerate(events)]}
    batch["Records"].append(_record("bad", "{not json"))
    handler = load_function("api").handle_events_queue

    assert handler(batch, LambdaContext("api-events")) == {
        "batchItemFailures": [{"itemIdentifier": "bad"}]
    }
    stored = api.http.get("/events?limit=50").json_body["events"]
    # all 12 (more than one delivery batch's 10), in cursor order
    assert sorted(e["id"] for e in stored) == sorted(e.id for e in events)
    by_id = {e.id: e.cursor for e in events}
    assert [by_id[e["id"]] for e in stored] == sorted(by_id.values())

    # the table gone (a real write failure): every good delivery is reported, none is lost
    services.tables.events.delete_table()
    result = handler(batch, LambdaContext("api-events"))
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert failed == {f"m{n}" for n in range(12)} | {"bad"}

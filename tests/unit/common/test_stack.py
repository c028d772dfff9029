"""The stack declaration (viewra.common.stack): what both the local bootstrap and the templates
read."""

from __future__ import annotations

import json

from viewra.common.settings import Settings
from viewra.common.stack import (
    FUNCTION_TIMEOUTS,
    NotificationSpec,
    StackSpec,
    SubscriptionSpec,
    TopicSpec,
    deploy_stack,
    queue_policy,
    queue_senders,
    stack_for,
)


def test_every_queue_has_a_dead_letter_queue_and_the_configured_receive_count() -> None:
    spec = stack_for(Settings(dlq_max_receive_count=5, scan_queue="s", transcode_queue="t"))
    assert {q.name: q.dlq_name for q in spec.queues}["s"] == "s-dlq"
    assert all(q.max_receive_count == 5 for q in spec.queues)


def test_the_local_visibility_timeout_applies_to_the_scan_queue_and_transcode_keeps_300() -> None:
    spec = stack_for(Settings(), visibility_timeout=2)
    assert spec.queue("viewra-scan").visibility_timeout == 2
    assert spec.queue("viewra-transcode").visibility_timeout == 300


def test_deployed_queues_stay_invisible_at_least_as_long_as_their_consumer_runs() -> None:
    # Lambda refuses an SQS event source whose queue's visibility is below the function timeout
    spec = deploy_stack(Settings())
    assert spec.queue("viewra-scan").visibility_timeout >= FUNCTION_TIMEOUTS["scan"]
    assert spec.queue("viewra-transcode").visibility_timeout >= FUNCTION_TIMEOUTS["transcode"]
    assert spec.queue("viewra-events").visibility_timeout >= FUNCTION_TIMEOUTS["api"]
    assert spec.queue("viewra-enrich").visibility_timeout >= FUNCTION_TIMEOUTS["scan"]


def test_the_event_topic_and_its_queue_exist_only_when_this_stack_owns_the_topic() -> None:
    owned = stack_for(Settings(events_topic="bus", events_queue="bus-q", enrich_queue="bus-e"))
    assert [(t.name, [s.queue for s in t.subscriptions]) for t in owned.topics] == [
        ("bus", ["bus-q", "bus-e"])
    ]
    assert "bus-q" in {q.name for q in owned.queues}
    for topic in ("", "arn:aws:sns:us-east-1:123456789012:elsewhere"):
        spec = stack_for(Settings(events_topic=topic))
        assert spec.topics == ()
        assert not {"viewra-events", "viewra-enrich"} & {q.name for q in spec.queues}


def test_the_media_bucket_notifies_the_scan_queue_of_creations_and_removals() -> None:
    (note,) = stack_for(Settings(media_bucket="m", scan_queue="s")).notifications
    assert (note.bucket, note.queue) == ("m", "s")
    assert set(note.events) == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
    assert note.filter_rules() == []


def test_filter_rules_carry_only_the_filters_that_are_set() -> None:
    note = NotificationSpec("b", "q", ("s3:ObjectCreated:*",), prefix="movies/", suffix="")
    assert note.filter_rules() == [{"Name": "prefix", "Value": "movies/"}]


def test_queue_senders_and_policy_allow_each_publisher_from_its_own_source_only() -> None:
    spec = StackSpec(
        buckets=("m",),
        queues=(),
        notifications=(NotificationSpec("m", "q1", ("s3:ObjectCreated:*",)),),
        topics=(TopicSpec("t", (SubscriptionSpec("q2", filter_policy='{"type": ["a"]}'),)),),
    )
    assert queue_senders(spec) == {"q1": [("s3", "m")], "q2": [("sns", "t")]}
    doc = queue_policy("arn:q1", [("s3", "arn:aws:s3:::m")], "123")
    (st,) = doc["Statement"]
    assert st["Principal"] == {"Service": "s3.amazonaws.com"}
    assert st["Action"] == "sqs:SendMessage" and st["Resource"] == "arn:q1"
    assert st["Condition"]["ArnEquals"] == {"aws:SourceArn": "arn:aws:s3:::m"}
    assert st["Condition"]["StringEquals"] == {"aws:SourceAccount": "123"}
    assert json.loads(spec.topics[0].subscriptions[0].filter_policy) == {"type": ["a"]}


def test_the_topic_subscribers_are_the_ones_the_event_bus_uses() -> None:
    spec = stack_for(Settings(events_topic="bus", events_queue="ev", enrich_queue="en"))
    (topic,) = spec.topics
    policies = {s.queue: s.filter_policy_dict() for s in topic.subscriptions}
    assert policies == {"ev": None, "en": {"type": ["ItemAdded", "ItemUpdated"]}}
    assert {"ev", "en"} <= {q.name for q in spec.queues}

"""One declaration, two readers: the local bootstrap (on in-process moto) and the core deploy
template must describe the same buckets, queues, DLQs, queue policies, notification filters,
topics, subscriptions, tables, indexes and TTLs."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from infra.templates import core_template, describe_endpoint, describe_template
from viewra.common.settings import Settings
from viewra.common.stack import (
    NotificationSpec,
    StackSpec,
    SubscriptionSpec,
    TopicSpec,
    deploy_stack,
    stack_for,
)
from viewra.storage.bootstrap import bootstrap, bootstrap_spec


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """One in-process AWS for the module; each test uses its own names."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            mp.delenv(var, raising=False)
        for service in ("S3", "SQS", "DYNAMODB", "SNS"):
            mp.delenv(f"AWS_ENDPOINT_URL_{service}", raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield


@pytest.fixture(scope="module")
def booted(aws: None) -> tuple[Settings, StackSpec, dict[str, Any]]:
    """The local stack as ``make run`` creates it, and its description read back."""
    settings = Settings(table_prefix="c1-")
    spec = bootstrap(settings, visibility_timeout=60)
    return settings, spec, describe_endpoint(settings, spec)


def _differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def test_bootstrap_and_core_template_agree_on_every_resource(booted: Any) -> None:
    settings, spec, live = booted
    declared = describe_template(core_template(settings, spec))
    assert _differences(live, declared) == {}
    # not vacuous: what the declaration has is there
    assert live["buckets"] == sorted(spec.buckets)
    assert {q.name for q in spec.queues} | {q.dlq_name for q in spec.queues} == set(live["queues"])
    assert live["tables"]["c1-items"]["global_indexes"].keys() >= {"all-title", "lib-year"}
    assert live["queues"]["viewra-scan"]["dlq"] == "viewra-scan-dlq"
    assert live["queues"]["viewra-scan"]["policy"], "S3 must be allowed to send to the scan queue"


def test_the_deployed_profile_agrees_too(aws: None) -> None:
    settings = Settings(
        table_prefix="c2-",
        media_bucket="c2-media",
        content_bucket="c2-content",
        scan_queue="c2-scan",
        transcode_queue="c2-tc",
        events_topic="c2-bus",
        events_queue="c2-ev",
    )
    spec = bootstrap_spec(settings, deploy_stack(settings))
    assert (
        _differences(
            describe_endpoint(settings, spec), describe_template(core_template(settings, spec))
        )
        == {}
    )


def test_filters_topics_and_filter_policies_agree(aws: None) -> None:
    settings = Settings(
        table_prefix="c3-",
        events_topic="",
        media_bucket="c3-media",
        content_bucket="c3-content",
        scan_queue="c3-scan",
        transcode_queue="c3-tc",
    )
    base = stack_for(settings)
    spec = StackSpec(
        buckets=base.buckets,
        queues=base.queues,
        notifications=(
            NotificationSpec(
                settings.media_bucket,
                settings.scan_queue,
                ("s3:ObjectCreated:*",),
                prefix="movies/",
                suffix=".mkv",
            ),
        ),
        topics=(
            TopicSpec(
                "c3-bus",
                (SubscriptionSpec(settings.transcode_queue, filter_policy='{"type": ["x"]}'),),
            ),
        ),
    )
    bootstrap_spec(settings, spec)
    live = describe_endpoint(settings, spec)
    assert _differences(live, describe_template(core_template(settings, spec))) == {}
    assert live["notifications"] == [
        (settings.media_bucket, settings.scan_queue, "s3:ObjectCreated:*", "movies/", ".mkv")
    ]
    assert live["topics"]["c3-bus"][0][1:] == (settings.transcode_queue, True, '{"type": ["x"]}')


@pytest.mark.parametrize(
    "tamper",
    [
        "drop an index",
        "change a queue's visibility",
        "change the redrive count",
        "drop a notification event",
        "add a key filter",
        "drop the queue policy",
        "drop a table's ttl",
    ],
)
def test_a_template_that_drifts_from_the_bootstrap_is_caught(booted: Any, tamper: str) -> None:
    settings, spec, live = booted
    template = copy.deepcopy(core_template(settings, spec))
    res = template["Resources"]
    if tamper == "drop an index":
        res["TableC1Items"]["Properties"]["GlobalSecondaryIndexes"].pop()
    elif tamper == "change a queue's visibility":
        res["QueueViewraScan"]["Properties"]["VisibilityTimeout"] += 1
    elif tamper == "change the redrive count":
        res["QueueViewraScan"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 9
    elif tamper == "drop a notification event":
        res["BucketViewraMedia"]["Properties"]["NotificationConfiguration"][
            "QueueConfigurations"
        ].pop()
    elif tamper == "add a key filter":
        config = res["BucketViewraMedia"]["Properties"]["NotificationConfiguration"][
            "QueueConfigurations"
        ][0]
        config["Filter"] = {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".mkv"}]}}
    elif tamper == "drop the queue policy":
        del res["PolicyViewraScan"]
    elif tamper == "drop a table's ttl":
        del res["TableC1Events"]["Properties"]["TimeToLiveSpecification"]
    assert _differences(live, describe_template(core_template(settings, spec))) == {}
    assert _differences(live, describe_template(template)) != {}


def test_bootstrap_is_idempotent_and_keeps_the_declaration(booted: Any) -> None:
    settings, spec, first = booted
    bootstrap(settings, visibility_timeout=60)
    assert describe_endpoint(settings, spec) == first

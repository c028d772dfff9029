"""Functional tests: the functions' handlers, in process, on moto's in-process AWS.

Each test gets its own bucket, table and queue names, so state never leaks between tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from viewra.bootstrap import Services, get_services, reset_services
from viewra.common.settings import get_settings
from viewra.local.functions import load_function
from viewra.local.moto_atomic import make_dynamodb_writes_atomic
from viewra.storage.bootstrap import bootstrap

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(scope="session", autouse=True)
def atomic_dynamodb() -> None:
    """moto's conditional writes race under threads; DynamoDB's do not (see moto_atomic)."""
    make_dynamodb_writes_atomic()


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    tag = uuid.uuid4().hex[:8]
    for var in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("VIEWRA_MEDIA_BUCKET", f"media-{tag}")
    monkeypatch.setenv("VIEWRA_CONTENT_BUCKET", f"content-{tag}")
    monkeypatch.setenv("VIEWRA_TABLE_PREFIX", f"t{tag}-")
    monkeypatch.setenv("VIEWRA_SCAN_QUEUE", f"scan-{tag}")
    monkeypatch.setenv("VIEWRA_TRANSCODE_QUEUE", f"transcode-{tag}")
    monkeypatch.setenv("VIEWRA_EVENTS_TOPIC", f"events-{tag}")
    monkeypatch.setenv("VIEWRA_EVENTS_QUEUE", f"events-{tag}")
    monkeypatch.setenv("VIEWRA_ENRICH_QUEUE", f"enrich-{tag}")
    with mock_aws():
        get_settings.cache_clear()
        reset_services()
        bootstrap(get_settings(), visibility_timeout=30)
        yield get_services()
    get_settings.cache_clear()
    reset_services()


@pytest.fixture
def api(services: Services) -> Iterator[Client]:
    with Client(load_function("api").app) as client:
        yield client


def scan_event(services: Services, *bodies: dict[str, Any]) -> dict[str, Any]:
    """The SQS batch fixture with one record per body, as Lambda would deliver it."""
    template = load_event("sqs_batch.json")["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        record = json.loads(json.dumps(template))
        record["messageId"] = f"msg-{i}"
        record["body"] = json.dumps(body)
        records.append(record)
    return {"Records": records}


def invoke_scan(services: Services, *bodies: dict[str, Any]) -> dict[str, Any]:
    from viewra.local.worker import LambdaContext

    handler = load_function("scan").handle_scan_queue
    return handler(scan_event(services, *bodies), LambdaContext(function_name="scan"))

"""Every function logs structured JSON carrying a correlation id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from tests.functional.conftest import invoke_scan
from viewra.common.logs import logger


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict]]]:
    """The JSON lines the shared logger writes, read through a second handler with its formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        logger._logger.removeHandler(handler)


def test_scan_logs_are_json_with_the_message_id(services, log_lines) -> None:
    invoke_scan(services, {"Event": "s3:TestEvent"})
    assert any(
        line.get("correlation_id") == "msg-0"
        and line["service"] == "viewra"
        and line["message"] == "ignoring s3:TestEvent"
        for line in log_lines()
    )


def test_api_logs_are_json_with_a_request_id(api, log_lines) -> None:
    api.http.get("/libraries/does-not-exist")
    api.http.get("/libraries/does-not-exist-either")
    refused = [line for line in log_lines() if line["message"] == "request refused"]
    assert len(refused) == 2 and all(line["code"] == "NotFound" for line in refused)
    ids = [line["correlation_id"] for line in refused]
    assert all(ids) and ids[0] != ids[1]

"""Remove moto's per-request and per-message costs that have nothing to do with what it emulates.

The embedded emulator is the store every local run and every integration test talks to, so its
overhead is the local stack's latency floor. Measured with py-spy on ``moto_server`` under
``bench/scan.py`` and ``bench/decide.py`` (moto 5.2):

* SQS: every ``SendMessage`` and every message handed out by ``ReceiveMessage`` computes all of
  the queue's attributes, including the three ``ApproximateNumberOf…`` counts, each a scan of
  every message with two datetime conversions per message, only to read
  ``MessageRetentionPeriod``. A backlog of n messages makes each send O(n) and each receive
  O(10 n); a 1,000-file drop spent 58 % of the emulator's CPU counting.
* Routing: each request lists moto's package directory (``os.listdir`` plus ``isdir`` on ~150
  entries) under a global lock to learn whether the host names a service.
* DynamoDB answers: moto 5.2 walks the botocore output shape of every response, value by value
  (~3 ms for one small item, more than the operation itself). For the item operations the
  result moto builds is already the wire document (attribute-value maps of strings, numbers as
  strings, lists, booleans), so it is written with ``json.dumps``. Anything else (a result with a
  key the shape does not name, bytes, an error, every other operation) takes moto's serializer.
  ``VIEWRA_MOTO_VERIFY=1`` runs both on every such response and fails on any difference.

The patches keep moto's behaviour: the retention check reads the one attribute it needs, "now"
is ``time.time()`` (what moto's naive-UTC arithmetic computes, without two datetime objects), and
the module list is read once (the installed package does not change while the server runs).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

# DynamoDB operations whose results are items and counts: no timestamps, no shapes to rename
_JSON_OPS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


def _fast_sqs() -> None:
    import moto.sqs.models as sqs

    if getattr(sqs, "_viewra_fast", False):
        return
    original_unix_time = sqs.unix_time

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else float(original_unix_time(dt))

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Any
    ) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention + message.sent_timestamp / 1000 > time.time())

    sqs.unix_time = unix_time
    sqs.unix_time_millis = unix_time_millis
    sqs.SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )
    sqs._viewra_fast = True  # type: ignore[attr-defined]


def _module_list_once() -> None:
    from moto import backends

    if getattr(backends, "_viewra_fast", False):
        return
    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment,return-value]
    backends._viewra_fast = True  # type: ignore[attr-defined]


def _without_none(value: Any) -> Any:
    """moto's serializer leaves out members whose value is None; so does this."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _plain_json(result: Any, output_members: Any) -> str | None:
    """The wire body, or None when ``result`` is not plainly the output document."""
    if not isinstance(result, dict) or not set(result) <= set(output_members):
        return None
    try:
        return json.dumps(_without_none(result), separators=(",", ":"))
    except (TypeError, ValueError):  # bytes, or an object moto's serializer knows how to write
        return None


def _fast_dynamodb_answers() -> None:
    from moto.core import responses
    from moto.dynamodb.responses import DynamoResult

    action_result = responses.ActionResult
    plain = (action_result, DynamoResult)  # not the paginating subclasses
    if getattr(action_result, "_viewra_fast", False):
        return
    original = action_result.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        operation = context.operation_model
        if (
            type(self) in plain
            and context.service_model.service_name == "dynamodb"
            and operation.name in _JSON_OPS
            and operation.output_shape is not None
        ):
            body = _plain_json(self.result, operation.output_shape.members)
            if body is not None:
                version = context.service_model.metadata.get("jsonVersion", "1.0")
                headers = {"Content-Type": f"application/x-amz-json-{version}"}
                if os.environ.get("VIEWRA_MOTO_VERIFY") == "1":
                    status, _, expected = original(self, context)
                    if json.loads(expected) != json.loads(body) or status != 200:
                        raise AssertionError(f"{operation.name}: {body} != {expected}")
                return 200, headers, body
        return original(self, context)

    action_result.execute_result = execute_result  # type: ignore[method-assign]
    action_result._viewra_fast = True  # type: ignore[attr-defined]


def speed_up_moto() -> None:
    """Apply every patch in this process (idempotent)."""
    _fast_sqs()
    _module_list_once()
    _fast_dynamodb_answers()

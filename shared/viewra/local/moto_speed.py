"""Remove moto's per-request and per-message costs that have nothing to do with what it emulates.

The embedded emulator is the store every local run and every integration test talks to, so its
overhead is the local stack's latency floor. Measured with py-spy on ``moto_server`` under
``bench/scan.py`` and ``bench/decide.py`` (moto 5.2):

* SQS: every ``SendMessage`` and every message handed out by ``ReceiveMessage`` computes all of
  the queue's attributes, including the three ``ApproximateNumberOf…`` counts, each a scan of
  every message with two datetime conversions per message, only to read
  ``MessageRetentionPeriod``. A backlog of n messages makes each send O(n) and each receive
  O(10 n); a 1,000-file drop spent 58 % of the emulator's CPU counting. The retention check
  now reads its one attribute, and the attributes ``SendMessage`` still builds (for
  ``ContentBasedDeduplication``) are counted in one pass with the names converted once: a send
  costs 0.05 ms instead of 0.20 with an empty queue, 0.24 instead of 1.18 behind 1,000 messages.
  A send now skips the counts altogether (it never reads them), and a receive walks the queue
  only as far as the messages it hands out instead of listing every visible one first: with
  10,000 queued, a send 1.11 → 0.03 ms and a receive plus its delete 4.82 → 0.18 ms, the same
  as with 1,000 (``bench/scan.py --scale`` drops 10,000 files, so its backlog is that long).
* Routing: each request lists moto's package directory (``os.listdir`` plus ``isdir`` on ~150
  entries) under a global lock to learn whether the host names a service, and lists every
  function of the response class (``inspect.getmembers``) to learn whether the action is one,
  and matches the service's host name against moto's ~180 URL patterns in turn.
* DynamoDB answers: moto 5.2 walks the botocore output shape of every response, value by value
  (~3 ms for one small item, more than the operation itself). For the item operations the
  result moto builds is already the wire document (attribute-value maps of strings, numbers as
  strings, lists, booleans), so it is written with ``json.dumps``. Anything else (a result with a
  key the shape does not name, bytes, an error, every other operation) takes moto's serializer.
  ``VIEWRA_MOTO_VERIFY=1`` runs both on every such response and fails on any difference.
  Before that, moto turns every result into plain values with a generic walk that tests each
  value (strings included) against five kinds of object: a quarter of a 40-row Query's cost in
  the emulator, as much again as dropping ``None`` members from the whole answer. Values are now
  converted by their DynamoDB type, and only the members that are not attribute values are
  searched for ``None``: a 39-row Query page 12.5 → 7.6 ms through boto3.
* DynamoDB ``UpdateItem``: moto deep-copies the update expression's syntax tree and walks it
  with ten validators, each testing every node against every node class it handles (~4.5 ms of
  the ~7 ms an ``UpdateItem`` cost, against ~2.5 ms for a ``GetItem``). The updates the product
  makes are mostly the plainest kind, ``SET #0 = :0, #1 = :1 … REMOVE #2`` (PynamoDB's form).
  For exactly that shape (placeholders only, each name once, no key attribute, values of the
  type any index declares and not empty there, no ``AttributeUpdates``/``Expected``, no stream)
  the attributes are set directly, under the same write lock; the condition, if any, is still
  moto's own. Anything else takes moto's path, which raises the errors DynamoDB would.
  ``VIEWRA_MOTO_VERIFY=1`` applies both (the short path on a copy) and fails on any difference.

The patches keep moto's behaviour: the retention check reads the one attribute it needs, "now"
is ``time.time()`` (what moto's naive-UTC arithmetic computes, without two datetime objects), and
the module list is read once (the installed package does not change while the server runs).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import threading
import time
from collections.abc import Iterator
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


def _queue_attributes_in_one_pass() -> None:
    """``Queue.attributes`` with the three counts made in one pass and the names converted once.

    moto's property converts each of its ~14 attribute names from CamelCase on every call and
    counts the queue's messages in three separate scans, calling two time-reading properties per
    message. ``SendMessage`` reads it for ``ContentBasedDeduplication`` alone, so every SNS
    delivery and every S3 notification paid for it. The dict is the same, key for key.
    """
    import moto.sqs.models as sqs
    from moto.core.utils import camelcase_to_underscores

    queue = sqs.Queue
    if getattr(queue, "_viewra_fast_attributes", False):
        return
    names = {
        name: camelcase_to_underscores(name)
        for name in (*queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES)
    }
    counted = (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible",
    )

    def counts(self: Any) -> dict[str, int]:
        now = time.time() * 1000.0  # moto's unix_time_millis, read once for the whole pass
        ready = delayed = in_flight = 0
        for message in self._messages:
            visible = now > message.visible_at
            is_delayed = now < message.delayed_until
            in_flight += not visible
            delayed += is_delayed
            ready += visible and not is_delayed
        return dict(zip(counted, (ready, delayed, in_flight), strict=True))

    def attributes(self: Any) -> dict[str, Any]:
        # a send reads one setting; the counts walk every message, so it goes without them
        numbers = {} if getattr(_sending, "active", False) else counts(self)
        groups = [queue.BASE_ATTRIBUTES]
        if self.fifo_queue:
            groups.append(queue.FIFO_ATTRIBUTES)
        if self.kms_master_key_id:
            groups.append(queue.KMS_ATTRIBUTES)
        result: dict[str, Any] = {}
        for group in groups:
            for name in group:
                if name in numbers:
                    result[name] = numbers[name]
                elif name not in counted:
                    result[name] = getattr(self, names[name])
        if self.policy:
            result["Policy"] = self.policy
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy)
        for key, value in result.items():
            if isinstance(value, bool):
                result[key] = str(value).lower()
        return result

    queue._viewra_original_attributes = queue.attributes  # type: ignore[attr-defined]
    queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    queue._viewra_fast_attributes = True  # type: ignore[attr-defined]
    send = sqs.SQSBackend.send_message

    @functools.wraps(send)
    def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return send(self, *args, **kwargs)
        finally:
            _sending.active = False

    sqs.SQSBackend.send_message = send_message  # type: ignore[method-assign]


_sending = threading.local()  # set while this thread's SendMessage runs


class _Visible:
    """A queue's visible, undelayed messages, found as they are asked for: what moto's
    ``Queue.messages`` lists, without building the whole list for a receive that wants one."""

    __slots__ = ("_messages",)

    def __init__(self, messages: list[Any]) -> None:
        self._messages = messages

    def __iter__(self) -> Iterator[Any]:
        for message in self._messages:
            now = time.time() * 1000.0
            if now > message.visible_at and now >= message.delayed_until:
                yield message

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None


def _visible_messages_as_asked() -> None:
    """``Queue.messages`` without the list.

    moto's ``ReceiveMessage`` walks ``queue.messages``, a list of every visible message built
    afresh (two clock reads per message) on each attempt, and stops at the first ``count`` it
    can hand out: with 10,000 queued, 5 ms a receive to take one. The walk now stops where the
    receive does. Messages in flight are still stepped over one by one (a handful: the workers')."""
    import moto.sqs.models as sqs

    queue = sqs.Queue
    if getattr(queue, "_viewra_visible_as_asked", False):
        return
    queue.messages = property(lambda self: _Visible(self._messages))  # type: ignore[assignment]
    queue._viewra_visible_as_asked = True  # type: ignore[attr-defined]


def _module_list_once() -> None:
    from moto import backends

    if getattr(backends, "_viewra_fast", False):
        return
    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment,return-value]
    backends._viewra_fast = True  # type: ignore[attr-defined]


def _method_names_once() -> None:
    """A response class's functions do not change while the server runs: list them once."""
    import functools

    from moto.core import responses

    if getattr(responses, "_viewra_fast", False):
        return
    listed = functools.lru_cache(maxsize=None)(responses.method_names_from_class)
    responses.method_names_from_class = lambda clazz: listed(clazz)  # type: ignore[assignment]
    responses._viewra_fast = True  # type: ignore[attr-defined]


def _backend_for_host_once() -> None:
    """Which backend serves a host name depends only on the name and moto's fixed URL patterns:
    look each name up once."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication as App

    if getattr(App, "_viewra_fast", False):
        return
    original = App.get_backend_for_host
    found: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in found:
            found[host] = original(self, host)
        return found[host]

    App.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]
    App._viewra_fast = True  # type: ignore[attr-defined]


# members of DynamoDB answers that hold attribute values only (Responses: tables' item lists)
_VALUE_MEMBERS = frozenset({"Item", "Items", "Attributes", "LastEvaluatedKey", "Responses"})


def _without_none(value: Any, top: bool = False) -> Any:
    """moto's serializer leaves out members whose value is None; so does this. Attribute values
    hold no None (a null is ``{"NULL": true}``), so the members made of them are not walked."""
    if isinstance(value, dict):
        return {
            k: v if top and k in _VALUE_MEMBERS else _without_none(v)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _plain_json(result: Any, output_members: Any) -> str | None:
    """The wire body, or None when ``result`` is not plainly the output document."""
    if not isinstance(result, dict) or not set(result) <= set(output_members):
        return None
    try:
        return json.dumps(_without_none(result, top=True), separators=(",", ":"))
    except (TypeError, ValueError):  # bytes, or an object moto's serializer knows how to write
        return None


_SCALARS = frozenset({"S", "N", "BOOL", "NULL"})


def _wire_values(convert: Any) -> Any:
    """moto's ``dynamo_to_dict`` for the values items are made of, without its per-value
    round of type tests and recursion into every string; ``convert`` (moto's) takes the rest
    (binary, objects with ``to_json``, dates)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    maps = (dict, LimitedSizeDict)

    def wire(value: Any) -> Any:
        kind = type(value)
        if kind is DynamoType:
            code = value.type
            if code in _SCALARS:
                return {code: value.value}
            if code == "M":
                return {"M": {k: wire(v) for k, v in value.value.items()}}
            if code == "L":
                return {"L": [wire(v) for v in value.value]}
            if code in ("SS", "NS"):
                return {code: list(value.value)}
        elif kind in maps:
            return {k: wire(v) for k, v in value.items()}
        elif kind is list:
            return [wire(v) for v in value]
        elif kind in (str, int, bool, type(None)):
            return value
        return convert(value)

    return wire


def _fast_dynamodb_results() -> None:
    """Build DynamoDB results (every item of a Query page, value by value) with
    :func:`_wire_values`: moto's generic conversion was a quarter of a 40-item Query's cost.
    ``VIEWRA_MOTO_VERIFY=1`` converts both ways and fails on any difference."""
    from moto.core.responses import ActionResult
    from moto.dynamodb import responses
    from moto.dynamodb.models.utilities import dynamo_to_dict

    result_class = responses.DynamoResult
    if "_viewra_fast" in vars(result_class):  # not ActionResult's flag, which it inherits
        return
    wire = _wire_values(dynamo_to_dict)

    def __init__(self: Any, result: object) -> None:
        converted = wire(result)
        if os.environ.get("VIEWRA_MOTO_VERIFY") == "1" and converted != dynamo_to_dict(result):
            raise AssertionError(f"DynamoDB result: {converted} != {dynamo_to_dict(result)}")
        ActionResult.__init__(self, converted)

    result_class.__init__ = __init__  # type: ignore[method-assign]
    result_class._viewra_fast = True  # type: ignore[attr-defined]


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


def _outcome(call: Any) -> tuple[str, Any]:
    """An update's effect, comparable: the item written, or the error's class."""
    try:
        return "item", call().to_json()
    except Exception as exc:
        return "error", type(exc).__name__


_PLAIN_UPDATE = re.compile(
    r"^\s*(?:SET\s+(?P<set>#\w+\s*=\s*:\w+(?:\s*,\s*#\w+\s*=\s*:\w+)*))?"
    r"\s*(?:REMOVE\s+(?P<remove>#\w+(?:\s*,\s*#\w+)*))?\s*$"
)
_SETS = ("SS", "NS", "BS")


def _has_set(value: dict[str, Any]) -> bool:
    """Whether an attribute value is or holds a set (moto checks those for emptiness)."""
    ((kind, inner),) = value.items()
    if kind in _SETS:
        return True
    if kind == "M":
        return any(_has_set(v) for v in inner.values())
    if kind == "L":
        return any(_has_set(v) for v in inner)
    return False


def plain_update(
    expression: str | None,
    names: dict[str, str],
    values: dict[str, dict[str, Any]],
    key_attrs: set[str],
    declared: dict[str, str],
) -> tuple[list[tuple[str, dict[str, Any]]], list[str]] | None:
    """``(sets, removes)`` for an update moto's validators could not reject, or None.

    ``key_attrs`` are the table's key attributes; ``declared`` maps every attribute an index
    declares to its type (DynamoDB rejects another type, or an empty value, there)."""
    match = _PLAIN_UPDATE.match(expression or "")
    if not match or not (match["set"] or match["remove"]):
        return None
    pairs = [tuple(p.split("=")) for p in (match["set"] or "").split(",") if p.strip()]
    sets = [(n.strip(), v.strip()) for n, v in pairs]
    removes = [n.strip() for n in (match["remove"] or "").split(",") if n.strip()]
    placeholders = [n for n, _ in sets] + removes
    if any(p not in names for p in placeholders) or any(v not in values for _, v in sets):
        return None
    targets = [names[p] for p in placeholders]
    if len(set(targets)) != len(targets) or key_attrs & set(targets):
        return None
    resolved = []
    for placeholder, ref in sets:
        name, value = names[placeholder], values[ref]
        if not isinstance(value, dict) or len(value) != 1 or _has_set(value):
            return None
        if name in declared:
            ((kind, inner),) = value.items()
            if kind != declared[name] or inner in ("", b""):
                return None
        resolved.append((name, value))
    return resolved, [names[p] for p in removes]


def _fast_plain_updates() -> None:
    from moto.dynamodb.comparisons import create_condition_expression_parser
    from moto.dynamodb.exceptions import ConditionalCheckFailed, ItemSizeToUpdateTooLarge
    from moto.dynamodb.models import DynamoDBBackend, DynamoType
    from moto.dynamodb.models.dynamo_type import ItemSizeTooLarge

    from viewra.local.moto_atomic import _LOCK

    original = DynamoDBBackend.update_item
    if getattr(original, "_viewra_fast", False):
        return

    def apply(backend: Any, table: Any, key: dict[str, Any], plan: Any, condition: Any) -> Any:
        sets, removes = plan
        hash_value, range_value = backend.get_keys_value(table, key)
        item = table.get_item(hash_value, range_value)
        if condition is not None and not condition(item):
            raise ConditionalCheckFailed
        if item is None:
            data = {table.hash_key_attr: {hash_value.type: hash_value.value}}
            if range_value is not None:
                data[table.range_key_attr] = {range_value.type: range_value.value}
            table.put_item(data)
            item = table.get_item(hash_value, range_value)
        try:
            for name, value in sets:
                item.attrs[name] = DynamoType(value)
        except ItemSizeTooLarge:
            raise ItemSizeToUpdateTooLarge() from None
        for name in removes:
            item.attrs.pop(name, None)
        return item

    def update_item(
        self: Any,
        table_name: str,
        key: dict[str, Any],
        update_expression: str,
        expression_attribute_names: dict[str, Any],
        expression_attribute_values: dict[str, Any],
        attribute_updates: dict[str, Any] | None = None,
        expected: dict[str, Any] | None = None,
        condition_expression: str | None = None,
        return_values_on_condition_check_failure: str | None = None,
    ) -> Any:
        table = self.get_table(table_name)
        plan = None
        if not attribute_updates and not expected and table.stream_shard is None:
            declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
            plan = plain_update(
                update_expression,
                expression_attribute_names or {},
                expression_attribute_values or {},
                {table.hash_key_attr, table.range_key_attr} - {None},
                declared,
            )
        if plan is None or (
            condition_expression and return_values_on_condition_check_failure == "ALL_OLD"
        ):
            return original(
                self,
                table_name,
                key,
                update_expression,
                expression_attribute_names,
                expression_attribute_values,
                attribute_updates,
                expected,
                condition_expression,
                return_values_on_condition_check_failure,
            )
        condition = None
        if condition_expression:
            condition = (
                create_condition_expression_parser(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                .parse()
                .expr
            )
        with _LOCK:
            if os.environ.get("VIEWRA_MOTO_VERIFY") != "1":
                return apply(self, table, key, plan, condition)
            # both ways from the same state: the short one first, then the item put back as it
            # was and moto's own; any difference in the item or the error fails the request
            hash_value, range_value = self.get_keys_value(table, key)
            before = copy.deepcopy(table.get_item(hash_value, range_value))
            fast = _outcome(lambda: apply(self, table, key, plan, condition))
            if before is None:
                if table.get_item(hash_value, range_value) is not None:
                    table.delete_item(hash_value, range_value)
            else:
                table.put_item(before.to_json()["Attributes"])
            args = (update_expression, expression_attribute_names, expression_attribute_values)
            try:
                item = original(self, table_name, key, *args, None, None, condition_expression)
            except Exception as exc:
                if fast != ("error", type(exc).__name__):
                    raise AssertionError(
                        f"UpdateItem {update_expression!r}: {fast} != {exc!r}"
                    ) from exc
                raise
            if fast != ("item", item.to_json()):
                raise AssertionError(
                    f"UpdateItem {update_expression!r}: {fast} != {item.to_json()}"
                )
            return item

    update_item._viewra_fast = True  # type: ignore[attr-defined]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def _plain_names(projection_expressions: list[list[str]]) -> list[str] | None:
    """The attribute names of a projection of top-level attributes only; None for anything
    else (a nested path, a list element)."""
    names = []
    for path in projection_expressions:
        if len(path) != 1 or "[" in path[0] or "." in path[0]:
            return None
        names.append(path[0])
    return names


def _fast_projections() -> None:
    """``Item.project`` without the round trip, for top-level attribute names.

    moto projects an item by turning all of it into plain Python values (boto3's deserializer,
    attribute by attribute), picking the paths and serializing the picks back: 3.5 ms of a
    50-item Query page that projected four of its twenty attributes, more than the Query
    itself. For names only, the picked attributes are copied as they are. Nested paths and list
    elements take moto's way. ``VIEWRA_MOTO_VERIFY=1`` projects both ways and fails on any
    difference in the values.
    """
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    original = Item.project
    if getattr(original, "_viewra_fast", False):
        return

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = _plain_names(projection_expressions)
        if names is None:
            return original(self, projection_expressions)
        attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(attrs)
        for name in names:
            if name in self.attrs:
                dict.__setitem__(attrs, name, copy.deepcopy(self.attrs[name]))
        result = Item.__new__(Item)
        result.hash_key, result.range_key, result.attrs = self.hash_key, self.range_key, attrs
        if os.environ.get("VIEWRA_MOTO_VERIFY") == "1":
            expected = original(self, projection_expressions).to_regular_json()
            if result.to_regular_json() != expected:
                raise AssertionError(f"projection {names}: {result.to_json()} != {expected}")
        return result

    project._viewra_fast = True  # type: ignore[attr-defined]
    Item.project = project  # type: ignore[method-assign]


def speed_up_moto() -> None:
    """Apply every patch in this process (idempotent)."""
    _fast_sqs()
    _queue_attributes_in_one_pass()
    _visible_messages_as_asked()
    _module_list_once()
    _method_names_once()
    _backend_for_host_once()
    _fast_dynamodb_answers()
    _fast_dynamodb_results()
    _fast_plain_updates()
    _fast_projections()

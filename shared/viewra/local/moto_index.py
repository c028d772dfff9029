"""Answer the emulator's DynamoDB Queries from an ordered index, as DynamoDB does: O(page).

moto 5.2 answers every Query by listing and sorting all the table's items (``Table.all_items``),
then keeping those of the queried partition: a 50-item page of a GSI cost ~2 s at 10,000 items.
Here each table keeps, per partition of the table and of each global or local index it is
queried on, a sorted list of the items' sort tuples (the index's range value, then the table's
hash and range keys: moto's own order, ``Table.sorted_items``), kept up to date by every write
(``Table.put_item`` and ``Table.delete_item``, and after ``UpdateItem``, which changes items in
place). A Query seeks to its start (the key condition's bound, or past ``ExclusiveStartKey``)
and hands moto's own ``Table.query`` just the window it can reach: the items the page can take
plus the one after (which makes moto answer ``LastEvaluatedKey``). Limit, size limit, filter
expression, projection and the key it answers stay moto's code. Shapes it does not cover
(multi-attribute keys, ``QueryFilter``, a start key of another partition, mixed types) take
moto's full path. ``VIEWRA_MOTO_VERIFY=1`` answers every Query both ways and fails on any
difference. Writes are serialised by :mod:`viewra.local.moto_atomic`'s lock, which this
module shares. Imports only moto and the lock (no Viewra storage code).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import os
import threading
from typing import Any

from viewra.local.moto_atomic import _LOCK

_ATTR = "_viewra_ordered"  # per table: {index name or "": _Ordered}
_WINDOWS = threading.local()  # the window moto's Table.query is to see, per thread and table


@functools.total_ordering
class _Top:
    """Greater than any value: the bound after every tuple that starts with a given value."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Top)

    def __lt__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0


TOP = _Top()


class _Ordered:
    """One index of one table: partition → sorted sort tuples, and each item's place."""

    def __init__(self, hash_attr: str, sort_attrs: list[str], required: list[str]) -> None:
        self.hash_attr = hash_attr
        self.sort_attrs = sort_attrs  # moto's sort order within a partition
        self.required = required  # attributes an item must have to be in the index
        self.parts: dict[Any, list[tuple[Any, ...]]] = {}
        self.places: dict[tuple[Any, Any], tuple[Any, tuple[Any, ...]]] = {}

    def entry(self, item: Any) -> tuple[Any, tuple[Any, ...]] | None:
        attrs = item.attrs
        if any(not attrs.get(a) for a in self.required):
            return None
        try:
            key = tuple(attrs[a].cast_value for a in self.sort_attrs)
        except KeyError:
            return None
        return attrs[self.hash_attr], (*key, (item.hash_key, item.range_key))

    def add(self, item: Any) -> None:
        place = self.entry(item)
        if place is None:
            return
        part, key = place
        bisect.insort(self.parts.setdefault(part, []), key)
        self.places[(item.hash_key, item.range_key)] = place

    def discard(self, pk: tuple[Any, Any]) -> None:
        place = self.places.pop(pk, None)
        if place is None:
            return
        part, key = place
        keys = self.parts.get(part, [])
        at = bisect.bisect_left(keys, key)
        if at < len(keys) and keys[at] == key:
            del keys[at]
        if not keys:
            self.parts.pop(part, None)


def _index_shape(table: Any, index_name: str | None) -> tuple[str, list[str], list[str]] | None:
    """(hash attribute, sort attributes, required attributes) as moto's Query uses them."""
    if not index_name:
        return table.hash_key_attr, [a for a in [table.range_key_attr] if a], [table.hash_key_attr]
    indexes = {i.name: i for i in table.all_indexes()}
    index = indexes.get(index_name)
    if index is None:
        return None
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) > 1:
        return None
    if ranges:
        range_attrs: list[str | None] = [ranges[0], table.range_key_attr]
    else:
        from moto.dynamodb.models.table import GlobalSecondaryIndex

        own = table.range_key_attr if isinstance(index, GlobalSecondaryIndex) else None
        range_attrs = [own or table.hash_key_attr, table.range_key_attr]
    sort_attrs = table._generate_attr_to_sort_by([hashes[0], table.hash_key_attr], range_attrs)
    return hashes[0], sort_attrs[1:], [hashes[0], *ranges]


def _ordered(table: Any, index_name: str | None) -> _Ordered | None:
    """The table's ordered index, built from its items on first use (under the write lock)."""
    indexes = table.__dict__.setdefault(_ATTR, {})
    name = index_name or ""
    if name not in indexes:
        shape = _index_shape(table, index_name)
        if shape is None:
            return None
        ordered = _Ordered(*shape)
        for item in _own_items(table):
            ordered.add(item)
        indexes[name] = ordered
    return indexes[name]


def _own_items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for part in table.items.values() for item in part.values()]
    return list(table.items.values())


def _resync(table: Any, pk: tuple[Any, Any]) -> None:
    """Put one item (by its key) where it now belongs in each built index of the table."""
    indexes = table.__dict__.get(_ATTR)
    if not indexes:
        return
    item = table.get_item(*pk) if (table.range_key_attr is None) == (pk[1] is None) else None
    for ordered in indexes.values():
        ordered.discard(pk)
        if item is not None:
            ordered.add(item)


def _bounds(op: str | None, values: list[Any]) -> tuple[Any, Any, bool] | None:
    """(low, high, prefix) of a key condition on cast values (None: no bound); None when the
    condition is not one this module seeks on."""
    if not op:
        return None, None, False
    cast = [v.cast_value for v in values]
    if op in ("EQ", "="):
        return cast[0], cast[0], False
    if op in ("LT", "<", "LE", "<="):
        return None, cast[0], False
    if op in ("GT", ">", "GE", ">="):
        return cast[0], None, False
    if op == "BETWEEN":
        return cast[0], cast[1], False
    if op == "BEGINS_WITH" and isinstance(cast[0], str):
        return cast[0], cast[0], True
    return None


def _prefix_end(prefix: str) -> tuple[Any, ...]:
    """The first tuple after every one whose first value starts with ``prefix``."""
    if not prefix:
        return (TOP,)
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return (prefix, TOP)
    return (prefix[:-1] + chr(last + 1),)


def _window(
    table: Any,
    ordered: _Ordered,
    hash_key: Any,
    op: str | None,
    values: list[Any],
    limit: int | None,
    start_key: dict[str, Any] | None,
    forward: bool,
) -> list[Any] | None:
    """The items moto's Query can reach for this page, in order; None to take moto's path."""
    from moto.dynamodb.comparisons import get_comparison_func
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    bounds = _bounds(op, values)
    if bounds is None:
        return None
    low, high, prefix = bounds
    keys = ordered.parts.get(hash_key, [])
    range_attr = ordered.sort_attrs[0] if ordered.sort_attrs else None
    try:
        if forward:
            at = bisect.bisect_left(keys, (low,)) if low is not None else 0
        elif prefix:
            at = bisect.bisect_left(keys, _prefix_end(high)) - 1
        else:
            at = bisect.bisect_left(keys, (high, TOP)) - 1 if high is not None else len(keys) - 1
        if start_key is not None:
            if any(a not in start_key for a in (ordered.hash_attr, *ordered.sort_attrs)):
                return None
            if DynamoType(start_key[ordered.hash_attr]) != hash_key:
                return None
            after = tuple(DynamoType(start_key[a]).cast_value for a in ordered.sort_attrs)
            if forward:  # past every entry that starts with the start key's values
                at = max(at, bisect.bisect_left(keys, (*after, TOP)))
            else:
                at = min(at, bisect.bisect_left(keys, after) - 1)
    except TypeError:  # a bound of another type than the index's values
        return None
    compare = get_comparison_func(op) if op else None
    cast = [v.cast_value for v in values]
    step = 1 if forward else -1
    window: list[Any] = []
    taken = size = 0
    while 0 <= at < len(keys):
        pk = keys[at][-1]
        at += step
        item = table.get_item(*pk) if pk[1] is not None else table.items.get(pk[0])
        if item is None:
            continue
        if (limit is not None and taken == limit) or size + item.size() > RESULT_SIZE_LIMIT:
            window.append(item)  # the one after the page: moto answers LastEvaluatedKey for it
            break
        if compare is not None:
            value = item.attrs.get(range_attr) if range_attr else None
            if value is None or not compare(value.cast_value, *cast):
                beyond = value is not None and (
                    (forward and (low is None or value.cast_value > low))
                    or (not forward and (high is None or value.cast_value < high))
                )
                if beyond:
                    break
                continue
        window.append(item)
        taken += 1
        size += item.size()
    return window


def _comparable(answer: tuple[list[Any], int, Any]) -> tuple[Any, ...]:
    items, scanned, last = answer
    last_json = {k: v.to_json() if hasattr(v, "to_json") else v for k, v in (last or {}).items()}
    return [i.to_json() for i in items], scanned, last_json


def index_moto_queries() -> None:
    """Patch moto's DynamoDB in this process (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(Table, "_viewra_indexed", False):
        return
    all_items = Table.all_items
    query = Table.query
    put_item = Table.put_item
    delete_item = Table.delete_item

    def windowed_all_items(self: Any) -> list[Any]:
        window = getattr(_WINDOWS, "by_table", {}).get(id(self))
        return list(window) if window is not None else all_items(self)

    def indexed_query(
        self: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int,
        exclusive_start_key: dict[str, Any] | None,
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: list[tuple[str, Any]] | None = None,
        range_key_conditions: list[tuple[str, str, list[Any]]] | None = None,
        **filter_kwargs: Any,
    ) -> Any:
        args = (hash_key, range_comparison, range_objs, limit, exclusive_start_key)
        rest = (scan_index_forward, projection_expressions, index_name, consistent_read)
        named = {
            "filter_expression": filter_expression,
            "hash_key_conditions": hash_key_conditions,
            "range_key_conditions": range_key_conditions,
            **filter_kwargs,
        }
        window = None
        simple = (
            not filter_kwargs
            and len(hash_key_conditions or []) <= 1
            and len(range_key_conditions or []) <= 1
        )
        if simple:
            with _LOCK:
                ordered = _ordered(self, index_name)
                part = hash_key
                if ordered is not None and hash_key_conditions:
                    name, part = hash_key_conditions[0]
                    if name != ordered.hash_attr:
                        ordered = None
                if (
                    ordered is not None
                    and range_key_conditions
                    and range_key_conditions[0][0] not in ordered.sort_attrs[:1]
                ):
                    ordered = None
                if ordered is not None and part is not None:
                    window = _window(
                        self,
                        ordered,
                        part,
                        range_comparison,
                        range_objs,
                        limit,
                        exclusive_start_key,
                        scan_index_forward is not False,
                    )
        if window is None:
            return query(self, *args, *rest, **named)
        by_table = _WINDOWS.__dict__.setdefault("by_table", {})
        by_table[id(self)] = window
        try:
            answer = query(self, *args, *rest, **named)
        finally:
            by_table.pop(id(self), None)
        if os.environ.get("VIEWRA_MOTO_VERIFY") == "1":
            expected = query(self, *args, *rest, **named)
            if _comparable(answer) != _comparable(expected):
                raise AssertionError(f"Query {index_name}: {answer} != {expected}")
        return answer

    def indexed_put(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            item = put_item(self, *args, **kwargs)
            _resync(self, (item.hash_key, item.range_key))
            return item

    def indexed_delete(self: Any, hash_key: Any, range_key: Any) -> Any:
        with _LOCK:
            item = delete_item(self, hash_key, range_key)
            if item is not None:
                _resync(self, (item.hash_key, item.range_key))
            return item

    update_item = DynamoDBBackend.update_item

    @functools.wraps(update_item)  # keeps the other patches' marks, so none wraps twice
    def indexed_update(self: Any, table_name: str, key: dict[str, Any], *a: Any, **kw: Any) -> Any:
        with _LOCK:
            try:
                return update_item(self, table_name, key, *a, **kw)
            finally:  # moto changes the item in place, or creates it, even when it then fails
                table = self.tables.get(table_name)
                if table is not None:
                    # a key the request got wrong: the update raised for it already
                    with contextlib.suppress(Exception):
                        _resync(table, self.get_keys_value(table, key))

    Table.all_items = windowed_all_items  # type: ignore[method-assign]
    Table.query = indexed_query  # type: ignore[method-assign]
    Table.put_item = indexed_put  # type: ignore[method-assign]
    Table.delete_item = indexed_delete  # type: ignore[method-assign]
    DynamoDBBackend.update_item = indexed_update  # type: ignore[method-assign]
    Table._viewra_indexed = True  # type: ignore[attr-defined]

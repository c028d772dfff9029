"""Make moto's DynamoDB conditional writes atomic, as DynamoDB's are.

moto checks a write's condition and then applies it with no lock, so two threads (moto_server
serves each request on its own thread) can both pass ``attribute_not_exists`` and both write.
Viewra relies on the real service's guarantee (one job record per hash, a scan marker counted
once), so the embedded emulator serialises DynamoDB writes.

A transaction's writes are applied one after another, so a GetItem between two of them would
see half of it; DynamoDB's GetItem is serialisable with TransactWriteItems (a version row read
with the record it guards, as the library store does, depends on that). Single-item reads take
the lock too; they are short. Queries and scans are left concurrent.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_ITEM_READS = ("get_item",)  # GetItem, and each item of a BatchGetItem or TransactGetItems


def make_dynamodb_writes_atomic() -> None:
    """Patch moto's DynamoDB backend in this process (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES + _ITEM_READS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_viewra_atomic", False):
            continue

        def locked(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return _original(*args, **kwargs)

        functools.update_wrapper(locked, original)
        locked._viewra_atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, locked)

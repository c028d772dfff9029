"""A copy of in-process moto's state (every backend in use), taken once and put back per test.

Why: building the stack (buckets, queues with DLQs and policies, the topic and its subscriptions,
eleven tables with their indexes and TTL) costs ~100 calls into moto, most of a functional test's
set-up. Restoring a deep copy of the backends as they stood right after ``bootstrap`` gives each
test the same fresh stack in milliseconds: what one test writes, deletes or reconfigures (a
table dropped, a queue's visibility changed) is gone for the next, as with a new ``mock_aws``.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.core.base_backend import BackendDict
from moto.s3.models import s3_backends

_LOCKS = (threading.Condition, type(threading.Lock()), type(threading.RLock()))


def _fresh(obj: Any) -> Any:
    """A new, unheld lock or condition of ``obj``'s kind (locks cannot be copied)."""
    if isinstance(obj, threading.Condition):
        return threading.Condition()
    return type(obj)()


def _locks_in(root: Any) -> list[Any]:
    """Every lock and condition reachable from ``root`` (moto's SQS queues each hold one)."""
    found: list[Any] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        if isinstance(obj, _LOCKS):
            found.append(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
            stack.extend(obj.keys())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.append(vars(obj))
    return found


def _copy(state: Any, locks: list[Any]) -> Any:
    memo = {id(lock): _fresh(lock) for lock in locks}
    return copy.deepcopy(state, memo)


class MotoSnapshot:
    """The backends moto holds now, to be restored (as copies) any number of times."""

    def __init__(self) -> None:
        live = [
            (backends, account, region, backend)
            for backends in BackendDict._instances
            for account, regions in backends.items()
            for region, backend in regions.items()
        ]
        state = ([entry[3] for entry in live], dict(s3_backends.bucket_accounts))
        self._where = [entry[:3] for entry in live]
        self._state = _copy(state, _locks_in(state))
        self._locks = _locks_in(self._state)

    def restore(self) -> None:
        """Drop everything moto holds and put back a fresh copy of the snapshot."""
        BackendDict.reset()
        backends, bucket_accounts = _copy(self._state, self._locks)
        for (service, account, region), backend in zip(self._where, backends, strict=True):
            dict.__setitem__(service[account], region, backend)
        s3_backends.bucket_accounts.clear()
        s3_backends.bucket_accounts.update(bucket_accounts)

"""Make moto's SQS queues safe under concurrent requests, as SQS is.

moto serves each request on its own thread, and its queues are not guarded: ``DeleteMessage``
rebuilds the queue's message list and assigns it back, so a message sent while that loop ran
(appended to the old list) vanished, acknowledged and never delivered; two receives at once
could both take one visible message and both count the receive, so a message reached the
dead-letter queue's maxReceiveCount without its handler ever failing. A 10,000-file drop lost
4 to 23 S3 notifications this way (``bench/scan.py --files 10000``, 5 Dec 2026).

Every change to a queue's messages here holds that queue's own ``_messages_lock`` (a condition
over a re-entrant lock, which moto's ``SendMessage`` already takes and the durable layer's
snapshot reads under). A long-polling receive takes the lock for each attempt only and waits
between attempts on the condition, which a send notifies, so a poller does not hold the queue.

DeleteMessage also walked every message of the queue twice to find the one its receipt handle
names (1.7 ms each with 10,000 queued, 0.2 ms with 1,000), so a large drop's backlog made
every delete dearer. Each queue here keeps the handles its receives gave out, so a delete finds
its message at once; a handle it does not know (one from before a restart) takes moto's walk.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

LONG_POLL_STEP = 1.0  # seconds a waiting receive sleeps at most before it looks again


def _index(queue: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The queue's (receipt handle -> message, message id -> message) maps, made on first use."""
    try:
        return queue._viewra_handles, queue._viewra_ids
    except AttributeError:
        queue._viewra_handles, queue._viewra_ids = {}, {}
        return queue._viewra_handles, queue._viewra_ids


def message_for_handle(queue: Any, receipt_handle: str) -> Any | None:
    """The message ``receipt_handle`` names, if a receive here gave it out and no delete here
    took it since (it may have moved to the dead-letter queue meanwhile); None otherwise: the
    caller walks the queue, as moto does."""
    return _index(queue)[0].get(receipt_handle)


def was_queued(queue: Any, message: Any) -> bool:
    """Whether an ``add_message`` just put ``message`` in the queue: moto appends it, unless a
    FIFO queue took it for a duplicate (then it is not there)."""
    return bool(queue._messages) and queue._messages[-1] is message


def _remember_handles(queue: Any, received: list[Any]) -> None:
    """Note which queued message each receipt handle of ``received`` (moto's copies) names."""
    handles, ids = _index(queue)
    if any(copy.id not in ids for copy in received):  # sent before the index, or replayed
        ids.clear()
        ids.update((m.id, m) for m in queue._messages)
    for copy in received:
        message = ids.get(copy.id)
        if message is not None:
            handles[copy.receipt_handle] = message


def _mark(wrapper: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    functools.update_wrapper(wrapper, original)
    wrapper._viewra_sqs_atomic = True  # type: ignore[attr-defined]
    return wrapper


def make_sqs_atomic() -> None:
    """Patch moto's SQS in this process (idempotent). Applied after the durable layer's own
    wrappers, so a change and its journal record are made under one hold of the lock."""
    from moto.sqs.models import Queue, SQSBackend

    if getattr(SQSBackend.receive_message, "_viewra_sqs_atomic", False):
        return

    def locked_backend_method(original: Callable[..., Any]) -> Callable[..., Any]:
        def method(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            with self.get_queue(queue_name)._messages_lock:
                return original(self, queue_name, *args, **kwargs)

        return _mark(method, original)

    add = Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        with self._messages_lock:
            add(self, message)
            if was_queued(self, message):
                _index(self)[1][message.id] = message

    Queue.add_message = _mark(add_message, add)
    delete = Queue.delete_message

    def delete_message(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:
            handles, ids = _index(self)
            message = handles.get(receipt_handle)
            if message is None or receipt_handle in self.deleted_messages:
                return delete(self, receipt_handle)
            try:
                self._messages.remove(message)  # by identity: a Message has no __eq__
            except ValueError:  # moved to the dead-letter queue, or purged: moto decides
                return delete(self, receipt_handle)
            self.pending_messages.discard(message)
            self.deleted_messages.update(message.all_receipt_handles)
            for handle in message.all_receipt_handles:
                handles.pop(handle, None)
            ids.pop(message.id, None)
            return None

    Queue.delete_message = _mark(delete_message, delete)
    for name in (
        "delete_message",
        "delete_message_batch",
        "change_message_visibility",
        "change_message_visibility_batch",
    ):
        setattr(SQSBackend, name, locked_backend_method(getattr(SQSBackend, name)))

    purge = SQSBackend.purge_queue

    def purge_queue(self: Any, queue_name: str) -> None:
        queue = self.get_queue(queue_name)
        with queue._messages_lock:
            purge(self, queue_name)
            for index in _index(queue):
                index.clear()

    SQSBackend.purge_queue = _mark(purge_queue, purge)  # type: ignore[method-assign]
    receive = SQSBackend.receive_message

    def receive_message(
        self: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Any]:
        queue = self.get_queue(queue_name)
        deadline = time.monotonic() + (wait_seconds_timeout or 0)
        while True:
            with queue._messages_lock:
                result = receive(
                    self, queue_name, count, 0, visibility_timeout, message_attribute_names
                )
                if result:
                    _remember_handles(queue, result)
                remaining = deadline - time.monotonic()
                if result or remaining <= 0:
                    return list(result)
                # still holding the lock: a send cannot slip in between this look and the wait
                queue._messages_lock.wait(min(remaining, LONG_POLL_STEP))

    SQSBackend.receive_message = _mark(receive_message, receive)  # type: ignore[method-assign]

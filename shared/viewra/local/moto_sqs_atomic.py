"""Make moto's SQS queues safe under concurrent requests, as SQS is.

moto serves each request on its own thread, and its queues are not guarded: ``DeleteMessage``
rebuilds the queue's message list and assigns it back, so a message sent while that loop ran
(appended to the old list) vanished, acknowledged and never delivered; two receives at once
could both take one visible message and both count the receive, so a message reached the
dead-letter queue's maxReceiveCount without its handler ever failing. A 10,000-file drop lost
5 to 23 S3 notifications this way (``bench/scan.py --files 10000``, 5 Dec 2026).

Every change to a queue's messages here holds that queue's own ``_messages_lock`` (a condition
over a re-entrant lock, which moto's ``SendMessage`` already takes and the durable layer's
snapshot reads under). A long-polling receive takes the lock for each attempt only and waits
between attempts on the condition, which a send notifies, so a poller does not hold the queue.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

LONG_POLL_STEP = 1.0  # seconds a waiting receive sleeps at most before it looks again


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

    def locked_queue_method(original: Callable[..., Any]) -> Callable[..., Any]:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self._messages_lock:
                return original(self, *args, **kwargs)

        return _mark(method, original)

    def locked_backend_method(original: Callable[..., Any]) -> Callable[..., Any]:
        def method(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            with self.get_queue(queue_name)._messages_lock:
                return original(self, queue_name, *args, **kwargs)

        return _mark(method, original)

    for name in ("add_message", "delete_message"):
        setattr(Queue, name, locked_queue_method(getattr(Queue, name)))
    for name in (
        "delete_message",
        "delete_message_batch",
        "change_message_visibility",
        "change_message_visibility_batch",
        "purge_queue",
    ):
        setattr(SQSBackend, name, locked_backend_method(getattr(SQSBackend, name)))

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
                remaining = deadline - time.monotonic()
                if result or remaining <= 0:
                    return list(result)
                # still holding the lock: a send cannot slip in between this look and the wait
                queue._messages_lock.wait(min(remaining, LONG_POLL_STEP))

    SQSBackend.receive_message = _mark(receive_message, receive)  # type: ignore[method-assign]

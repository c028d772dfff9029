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

The patches keep moto's behaviour: the retention check reads the one attribute it needs, "now"
is ``time.time()`` (what moto's naive-UTC arithmetic computes, without two datetime objects), and
the module list is read once (the installed package does not change while the server runs).
"""

from __future__ import annotations

import time
from typing import Any


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


def speed_up_moto() -> None:
    """Apply every patch in this process (idempotent)."""
    _fast_sqs()
    _module_list_once()

"""An experiment, not the product: make moto_server's SQS cost O(1) per message, for bench/scan.py.

``bench/scan.py --fast-emulator`` puts this directory on the stack's ``PYTHONPATH``; Python imports
``sitecustomize`` at start-up in every process of the stack, and this patches only the one that
runs ``moto_server``. Measured by bench/scan.py: moto 5.x recomputes every queue attribute,
including the three ``ApproximateNumberOf…`` counts (a scan of every message, two datetime
conversions each), on each ``SendMessage`` (so on each S3 notification) and once per message
handed out by ``ReceiveMessage`` (its retention check), so a backlog of n messages makes each send
O(n) and each receive O(10 n): a 1,000-file drop spends most of the emulator's CPU counting.

The patches keep moto's behaviour: time from ``time.time()`` (what moto's naive-UTC arithmetic
computes, minus two datetime objects), the retention check reading the one attribute it needs,
and werkzeug's per-request access log silenced.
"""

from __future__ import annotations

import os
import sys


def _patch() -> None:
    import logging
    import time

    import moto.sqs.models as sqs

    def unix_time(dt: object = None) -> float:
        return time.time() if dt is None else _unix_time(dt)

    def unix_time_millis(dt: object = None) -> float:
        return time.time() * 1000.0 if dt is None else _unix_time(dt) * 1000.0

    def is_message_valid_based_on_retention_period(
        self: object, queue_name: str, message: object
    ) -> bool:
        queue = self.get_queue(queue_name)  # type: ignore[attr-defined]
        retention = int(queue.message_retention_period)
        return retention + message.sent_timestamp / 1000 > time.time()  # type: ignore[attr-defined]

    _unix_time = sqs.unix_time
    sqs.unix_time = unix_time
    sqs.unix_time_millis = unix_time_millis
    sqs.SQSBackend.is_message_valid_based_on_retention_period = (
        is_message_valid_based_on_retention_period
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _keep_alive() -> None:
    """Let werkzeug keep connections open (it closes each one and waits 10 ms to drain it).

    Every request body is read in full before the next request line (a counting stream around
    ``wsgi.input``, exhausted after the app), so the stream stays framed; a chunked request body
    still closes its connection. Sockets get ``TCP_NODELAY``: with the connection kept open,
    werkzeug's separate header and body writes would otherwise meet the client's delayed ACK.
    """
    import socket

    import werkzeug.serving as serving
    from werkzeug.wsgi import LimitedStream

    class _NoDrain:
        def register(self, *args: object) -> None:
            return None

        def select(self, timeout: float | None = None) -> list[object]:
            return []

        def close(self) -> None:
            return None

    class _Selectors:
        DefaultSelector = _NoDrain

    serving.selectors = _Selectors  # type: ignore[assignment]
    handler = serving.WSGIRequestHandler
    original_send_header = handler.send_header
    original_make_environ = handler.make_environ
    original_run_wsgi = handler.run_wsgi

    def send_header(self: object, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and getattr(self, "_viewra_keep", False):
            return
        original_send_header(self, keyword, value)  # type: ignore[arg-type]

    def make_environ(self: object) -> dict[str, object]:
        environ = original_make_environ(self)  # type: ignore[arg-type]
        length = environ.get("CONTENT_LENGTH")
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        self._viewra_keep = not chunked  # type: ignore[attr-defined]
        stream = LimitedStream(environ["wsgi.input"], int(length) if length else 0)
        if not chunked:
            environ["wsgi.input"] = stream
        self._viewra_stream = stream  # type: ignore[attr-defined]
        return environ

    def run_wsgi(self: object) -> None:
        try:
            original_run_wsgi(self)  # type: ignore[arg-type]
        finally:
            if getattr(self, "_viewra_keep", False):
                self._viewra_stream.exhaust()  # type: ignore[attr-defined]

    original_setup = handler.setup

    def setup(self: object) -> None:  # headers and body are separate writes: no Nagle delay
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
        original_setup(self)  # type: ignore[arg-type]

    handler.setup = setup  # type: ignore[method-assign]
    handler.send_header = send_header  # type: ignore[method-assign]
    handler.make_environ = make_environ  # type: ignore[method-assign]
    handler.run_wsgi = run_wsgi  # type: ignore[method-assign]


if any(arg.endswith(("moto_server", "moto.server")) for arg in sys.argv[:3]):
    _patches = os.environ.get("VIEWRA_BENCH_MOTO_PATCHES", "sqs,keepalive").split(",")
    if "sqs" in _patches:
        _patch()
    if "keepalive" in _patches:
        _keep_alive()

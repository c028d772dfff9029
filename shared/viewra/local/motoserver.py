"""``python -m viewra.local.motoserver -H 127.0.0.1 -p PORT``: moto's services behind cheroot.

moto's own ``moto_server`` runs on werkzeug's development server, which closes every connection
(a new TCP connection and a new thread per AWS call) and, after each response, waits 10 ms for
stray request bytes before it lets the thread go. cheroot (CherryPy's WSGI server) keeps
connections alive, parks idle ones in an epoll selector and serves requests from a fixed pool of
threads. Measured under ``bench/decide.py`` it also took less of the emulator's CPU than
waitress, whose I/O loop visits every open connection on each event (and which, in 3.0.2, hangs
on ``Expect: 100-continue`` with an empty body, as botocore sends for an empty ``PutObject``).

The app is moto's own (``DomainDispatcherApplication``), with DynamoDB's conditional writes made
atomic (:mod:`viewra.local.moto_atomic`), SQS queues safe under concurrent requests
(:mod:`viewra.local.moto_sqs_atomic`), moto's per-request overheads removed
(:mod:`viewra.local.moto_speed`), keys read from the path as it arrived (:func:`with_raw_uri`),
S3 events given a ``sequencer`` (:func:`s3_event_sequencers`) and, with ``--state-dir``, what it
acknowledges kept on disk (:mod:`viewra.local.durable`),
and Queries answered from ordered indexes (:mod:`viewra.local.moto_index`).

cheroot's socket writer (11.1.2) copies everything still to send into a new ``bytes`` before each
``send``: a 40 MB object went out in partial sends, each after a copy of the rest, and serving
it took 0.2 s of the emulator's CPU (ffmpeg reading a source through a presigned URL, a client
downloading a segment). :func:`send_without_copies` sends from a view of the buffer instead, at
most 1 MiB a call: 0.1 s.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

# Long polls hold a thread each (every queue worker thread waits on ReceiveMessage), so the pool
# is sized well above the local stack's pollers.
THREADS = 48
MAX_BODY = 5 * 1024**3  # S3's largest single PUT
# the services the stack uses; moto imports a service's models and builds its backend on the
# first request, so these are built before start-up's objects are frozen
WARM_SERVICES = ("s3", "sqs", "sns", "dynamodb")


SEND_BLOCK = 1 << 20


def send_without_copies() -> None:
    """Patch cheroot's socket writer to send from a view of its buffer (idempotent)."""
    import io

    from cheroot import makefile

    writer = makefile.BufferedWriter
    if getattr(writer, "_viewra_fast", False):
        return

    def _flush_unlocked(self: Any) -> None:
        self._checkClosed("flush of closed file")
        while self._write_buf:
            view = memoryview(self._write_buf)[:SEND_BLOCK]
            try:
                sent = self.raw.write(view)
            except io.BlockingIOError as exc:
                sent = exc.characters_written
            finally:
                view.release()  # the buffer cannot shrink while a view of it is out
            del self._write_buf[:sent]

    writer._flush_unlocked = _flush_unlocked  # type: ignore[method-assign]
    writer._viewra_fast = True  # type: ignore[attr-defined]


def with_raw_uri(app: Any) -> Any:
    """Give moto the request's path as it arrived.

    moto reads an S3 key from ``RAW_URI`` (werkzeug's server sets it) and percent-decodes it once.
    cheroot names it ``REQUEST_URI``, so moto fell back to the already-decoded ``PATH_INFO`` and
    decoded it a second time: a key uploaded as ``50%25 off.mkv`` (a literal ``%`` in the name)
    was stored as ``50% off.mkv``, and ``%2e%2e`` became ``..``.
    """

    def app_with_raw_uri(environ: dict[str, Any], start_response: Any) -> Any:
        if "RAW_URI" not in environ and "REQUEST_URI" in environ:
            environ["RAW_URI"] = environ["REQUEST_URI"]
        return app(environ, start_response)

    return app_with_raw_uri


def s3_event_sequencers() -> None:
    """Give moto's S3 event notifications a ``sequencer``, as S3's have (idempotent).

    S3 orders the events of one key by it (the scan does too, :mod:`viewra.common.event_order`);
    moto leaves it out. Here it is the event's time in nanoseconds as upper-case hex, made strictly
    increasing in the process: a later write of a key always gets a greater one, across restarts
    too (the clock moves on).
    """
    import threading
    import time

    from moto.s3 import notifications

    if getattr(notifications, "_viewra_sequenced", False):
        return
    original = notifications._get_s3_event
    lock = threading.Lock()
    last = [0]

    def _get_s3_event(*args: Any, **kwargs: Any) -> Any:
        event = original(*args, **kwargs)
        with lock:
            last[0] = max(last[0] + 1, time.time_ns())
            sequencer = f"{last[0]:016X}"
        for record in event.get("Records", []):
            record["s3"]["object"].setdefault("sequencer", sequencer)
        return event

    notifications._get_s3_event = _get_s3_event
    notifications._viewra_sequenced = True  # type: ignore[attr-defined]


def _warm(services: tuple[str, ...]) -> None:
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.utilities.utils import get_partition

    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    for service in services:
        backends = get_backend(service)[DEFAULT_ACCOUNT_ID]  # type: ignore[index]
        # S3's backends are per partition ("aws"), the others per region
        backends[get_partition(region) if service == "s3" else region]


def serve(
    host: str,
    port: int,
    threads: int = THREADS,
    state_dir: str | None = None,
    fsync: bool = True,
    compact_bytes: int | None = None,
) -> None:
    os.environ.setdefault("MOTO_PORT", str(port))  # moto builds queue URLs and the like from it
    from cheroot.wsgi import Server
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from viewra.local.heap import settle
    from viewra.local.moto_atomic import make_dynamodb_writes_atomic
    from viewra.local.moto_index import index_moto_queries
    from viewra.local.moto_listing import index_s3_listings
    from viewra.local.moto_speed import speed_up_moto
    from viewra.local.moto_sqs_atomic import make_sqs_atomic

    make_dynamodb_writes_atomic()
    speed_up_moto()
    index_moto_queries()  # after speed_up_moto: its UpdateItem is the one wrapped
    index_s3_listings()
    send_without_copies()
    s3_event_sequencers()
    app: Any = DomainDispatcherApplication(create_backend_app)
    _warm(WARM_SERVICES)
    if state_dir:  # what is acknowledged survives a kill -9 (viewra.local.durable)
        from pathlib import Path

        from viewra.local.durable import COMPACT_BYTES, install

        limit = COMPACT_BYTES if compact_bytes is None else compact_bytes
        app, counts = install(app, Path(state_dir), fsync=fsync, compact_bytes=limit)
        print(f"emulator state {state_dir}: {counts}", flush=True)
    make_sqs_atomic()  # after the durable layer's wrappers: a change and its record, one hold
    app = with_raw_uri(app)
    settle()  # moto's modules and backends out of the GC's full passes (viewra.local.heap)
    server = Server((host, port), app, numthreads=threads, request_queue_size=128, timeout=300)
    server.max_request_body_size = MAX_BODY
    # cheroot keeps 10 idle connections by default and answers "Connection: close" beyond that;
    # the local stack's clients hold dozens (one pool per client, per process), so it would
    # close nearly every one and each call would pay for a new TCP connection
    server.keep_alive_conn_limit = None
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument(
        "--state-dir", help="keep objects, rows and messages here (objects as files, a journal)"
    )
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="with --state-dir: objects in files, but no journal and no fsync (nothing survives)",
    )
    parser.add_argument(
        "--compact-bytes",
        type=int,
        default=None,
        help="with --state-dir: compact the journal into a new snapshot, while serving, once it"
        " is this long (default 64 MiB; 0: only at start)",
    )
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.threads, args.state_dir, not args.no_fsync, args.compact_bytes)


if __name__ == "__main__":
    main()

"""``python -m viewra.local.motoserver -H 127.0.0.1 -p PORT``: moto's services behind waitress.

moto's own ``moto_server`` runs on werkzeug's development server, which closes every connection
(a new TCP connection and a new thread per AWS call) and, after each response, waits 10 ms for
stray request bytes before it lets the thread go. waitress is a production WSGI server: kept-alive
connections, a fixed pool of worker threads, request bodies read in full before the app runs.
The app is moto's own (``DomainDispatcherApplication``), with DynamoDB's conditional writes made
atomic (:mod:`viewra.local.moto_atomic`) and moto's per-request overheads removed
(:mod:`viewra.local.moto_speed`).

waitress 3.0.2 answers ``Expect: 100-continue`` on a request with ``Content-Length: 0`` with
``100 Continue`` and then waits for a body that will never come (``send_continue`` marks the
already complete request incomplete); botocore sends exactly that for an empty S3 ``PutObject``.
:func:`_no_continue_without_body` skips the interim answer for a bodiless request, which RFC 9110
(section 10.1.1) allows.

One difference from werkzeug's server: waitress drops request headers whose names contain an
underscore (WSGI cannot tell ``X_Foo`` from ``X-Foo``), so S3 user metadata keys with underscores
are not kept. Viewra writes none.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

# Long polls hold a thread each (every queue worker thread waits on ReceiveMessage), so the pool
# is sized well above the local stack's pollers.
THREADS = 48
MAX_BODY = 5 * 1024**3  # S3's largest single PUT


def _no_continue_without_body() -> None:
    from waitress.channel import HTTPChannel

    original = HTTPChannel.send_continue
    if getattr(original, "_viewra", False):
        return

    def send_continue(self: HTTPChannel) -> None:
        request = self.request
        if request is not None and not request.chunked and request.content_length == 0:
            request.expect_continue = False  # complete already: the final answer will follow
            return
        original(self)

    send_continue._viewra = True  # type: ignore[attr-defined]
    HTTPChannel.send_continue = send_continue  # type: ignore[method-assign]


def serve(host: str, port: int, threads: int = THREADS) -> None:
    os.environ.setdefault("MOTO_PORT", str(port))  # moto builds queue URLs and the like from it
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from waitress import serve as waitress_serve

    from viewra.local.moto_atomic import make_dynamodb_writes_atomic
    from viewra.local.moto_speed import speed_up_moto

    sys.setswitchinterval(float(os.environ.get("VIEWRA_EXP_SWITCH", "0.005")))
    make_dynamodb_writes_atomic()
    speed_up_moto()
    _no_continue_without_body()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" chatter
    app = DomainDispatcherApplication(create_backend_app)
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=1000,
        channel_timeout=300,
        max_request_body_size=MAX_BODY,
        asyncore_use_poll=True,  # select() stops at 1,024 descriptors
        ident="viewra-moto",
        _quiet=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.threads)


if __name__ == "__main__":
    main()

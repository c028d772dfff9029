"""Serve the api function's Chalice app over HTTP on 127.0.0.1, as API Gateway would.

Accepted sockets get ``TCP_NODELAY``: Chalice's handler writes the headers and the body in two
``send`` calls, and with Nagle's algorithm on, the body waited for the client's delayed ACK of
the headers, adding about 40 ms to every response on a kept-alive connection.

Chalice's local gateway answers unknown routes the way API Gateway does (403 "Missing
Authentication Token"); here those answers are reshaped into Viewra's error body, as the deploy
template does with gateway responses.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from typing import Any

from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    ThreadedHTTPServer,
)

from viewra.common.http_answers import error_body
from viewra.local.functions import load_function


class _Handler(ChaliceRequestHandler):
    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def _send_error_response(self, error: Any) -> None:
        code = 404 if error.CODE == 403 else error.CODE
        name = "NotFound" if code == 404 else type(error).__name__
        message = "no such route" if code == 404 else str(getattr(error, "body", "") or name)
        body = json.dumps(error_body(name, message))
        self._send_http_response(code, {"Content-Type": "application/json"}, body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: requests are logged as JSON
        return


def _quiet_disconnects(server: Any) -> None:
    """A client that went away mid-answer (a closed tab, the web app's aborted long poll on
    ``/events``) is normal, not a traceback on stderr; other errors are still printed."""
    original = server.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        original(request, client_address)

    server.handle_error = handle_error


class _QueueingServer(ThreadedHTTPServer):
    """Chalice's threaded server with a listen backlog that queues a burst of clients.

    socketserver's default backlog is 5: with many clients connecting at once, the kernel
    refused or reset whatever did not fit while the accept loop started threads (bench/load.py,
    200 clients: 30 connection errors, all on the playback start, a player's first request).
    With a deep backlog a burst waits in the kernel's accept queue (capped at
    net.core.somaxconn) and each connection is then served by a thread of its own: slow
    answers, never refused ones (none in the same run).
    """

    request_queue_size = 1024


class ApiServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        app = load_function("api").app
        config = Config.create(chalice_app=app, app_name=app.app_name, lambda_timeout=60)
        if not isinstance(app, LocalChalice):  # what create_local_server does, once per app
            CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
            app.__class__ = CustomLocalChalice
        self._server = LocalDevServer(
            app, config, host, port, handler_cls=_Handler, server_cls=_QueueingServer
        )
        _quiet_disconnects(self._server.server)
        self.port = self._server.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.server.serve_forever, daemon=True, name="api"
        )

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.server.shutdown()
        self._server.server.server_close()

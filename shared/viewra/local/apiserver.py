"""Serve the api function's Chalice app over HTTP on 127.0.0.1, as API Gateway would.

Accepted sockets get ``TCP_NODELAY``: Chalice's handler writes the headers and the body in two
``send`` calls, and with Nagle's algorithm on, the body waited for the client's delayed ACK of
the headers, adding about 40 ms to every response on a kept-alive connection.

Chalice's local gateway answers unknown routes the way API Gateway does (403 "Missing
Authentication Token"); here those answers are reshaped into Viewra's error body, as the deploy
template does with gateway responses. Every other answer the HTTP layer gives itself is that
JSON body too: a method no route of the path declares (TRACE, OPTIONS, HEAD, any other token)
is a 405 with ``Allow`` (not http.server's HTML 501; a CORS preflight goes to Chalice when the app
answers cross-origin requests), a body
over the API's limit a 413 sent before the body is read, a malformed request line a 400.
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
    RouteMatcher,
    ThreadedHTTPServer,
)

from viewra.common.http_answers import MAX_BODY_BYTES, error_body
from viewra.local.functions import load_function


class _Handler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, **kw: Any) -> None:
        self._routes = kw["app_object"].routes  # before super(): it handles the request
        super().__init__(request, client_address, server, **kw)

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def _dispatch(self) -> None:
        """Declared methods go to the app; the rest answer 405 here. A body over the limit is
        refused unread (and the connection closed: its bytes would be read as a request)."""
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            return self._send_json(400, error_body("BadRequest", "bad Content-Length"))
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            message = f"a request body is at most {MAX_BODY_BYTES} bytes"
            return self._send_json(413, error_body("PayloadTooLarge", message))
        route = self._route()
        allow = tuple(sorted(self._routes.get(route, {}))) if route else ()
        if route is None or self.command in allow or self._preflight(route):
            return self._generic_handle()
        self.rfile.read(length)  # the unread body would be taken for the next request
        message = f"{self.command} is not allowed here; allowed: {', '.join(allow)}"
        return self._send_json(
            405, error_body("MethodNotAllowed", message), {"Allow": ", ".join(allow)}
        )

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def __getattr__(self, name: str) -> Any:
        """``do_TRACE``, ``do_CONNECT``, any method token: http.server answered these with an
        HTML 501; they are methods no route declares, so a 405 like the others."""
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _preflight(self, route: str) -> bool:
        """A CORS preflight (OPTIONS) where the app answers cross-origin requests
        (VIEWRA_WEB_ORIGIN): Chalice's local gateway answers it, as API Gateway does."""
        return self.command == "OPTIONS" and any(
            getattr(entry, "cors", None) for entry in self._routes[route].values()
        )

    def _route(self) -> str | None:
        try:
            return RouteMatcher(list(self._routes)).match_route(self.path).route
        except ValueError:
            return None

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if self.command == "HEAD" else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server answers itself (a malformed request line, a URI too long), in the
        API's JSON error shape instead of HTML."""
        self.close_connection = True
        names = {400: "BadRequest", 414: "URITooLong", 431: "HeadersTooLarge"}
        self._send_json(code, error_body(names.get(code, "HTTPError"), message or str(code)))

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
    def __init__(self, host: str = "127.0.0.1", port: int = 8000, app: Any = None) -> None:
        app = app if app is not None else load_function("api").app
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

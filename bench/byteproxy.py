"""A byte-counting HTTP reverse proxy: what a store actually served, counted on the server side.

    proxy = ByteCountingProxy("http://127.0.0.1:5055").start()   # proxy.url → point clients here
    ...
    proxy.stats_for("/viewra-media/some/key.mp4")                  # bytes, requests, aborts
    proxy.stop()

It forwards every request (any method, keep-alive, the ``Host`` header kept as the client sent it,
so presigned URLs signed for the proxy's address stay valid) to one upstream and streams each
response body back in small chunks, counting only the bytes it managed to hand to the client's
socket. A client that goes away mid-body (ffprobe's open-ended ``GET`` that it abandons after a
seek) stops the stream at the next chunk: the bytes forwarded until then are counted, the rest
of the upstream response is dropped with its connection.

The socket's send buffer is kept small (``SEND_BUFFER``) so that "sent before the client went
away" is close to what the client read: what sits in kernel buffers when a client aborts is
counted (a real store sends it too) but is bounded by that buffer and the client's receive window.
Bodies are counted per request and per object path (the URL path, percent-decoded, without the
query string); a ``HEAD`` counts as a request with no body bytes.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

CHUNK = 16 * 1024
SEND_BUFFER = 64 * 1024
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass(frozen=True)
class Exchange:
    """One forwarded request and what was sent back for it."""

    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int  # response body bytes written to the client's socket
    declared: int | None  # Content-Length the upstream announced
    aborted: bool  # the client went away before the whole body was sent
    seconds: float


@dataclass(frozen=True)
class PathStats:
    path: str
    body_bytes: int
    requests: int
    gets: int
    aborted: int
    exchanges: tuple[Exchange, ...]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy: ByteCountingProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()
        self._upstream: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        self._drop_upstream()
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        return

    def _drop_upstream(self) -> None:
        if getattr(self, "_upstream", None) is not None:
            self._upstream.close()  # type: ignore[union-attr]
            self._upstream = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._upstream is None:
            proxy = self.server.proxy
            self._upstream = http.client.HTTPConnection(
                proxy.upstream_host, proxy.upstream_port, timeout=proxy.timeout
            )
        return self._upstream

    def _forward(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.send_error(501, "chunked request bodies are not supported by the proxy")
            return
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream = self._connection()
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
        except (OSError, http.client.HTTPException):
            self._drop_upstream()  # a stale keep-alive connection: one retry on a fresh one
            upstream = self._connection()
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()

        declared = response.getheader("Content-Length")
        payload: bytes | None = None
        bodiless = self.command == "HEAD" or response.status in (204, 304)
        if not bodiless and response.length is None:
            payload = response.read()  # chunked upstream: buffer it to announce a length
            declared = str(len(payload))
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if declared is not None:
            self.send_header("Content-Length", declared)
        self.end_headers()

        sent, aborted = 0, False
        try:
            if self.command != "HEAD":
                chunks: Iterable[bytes] = (
                    [payload] if payload is not None else iter(lambda: response.read(CHUNK), b"")
                )
                for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK):
                        piece = chunk[start : start + CHUNK]
                        self.wfile.write(piece)
                        sent += len(piece)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            aborted = True
        finally:
            if aborted or not response.isclosed():
                response.close()
                self._drop_upstream()
            if aborted or response.will_close:
                self.close_connection = True
            self.server.proxy._record(
                Exchange(
                    method=self.command,
                    path=unquote(urlsplit(self.path).path),
                    range=self.headers.get("Range"),
                    status=response.status,
                    body_bytes=sent,
                    declared=int(declared) if declared is not None else None,
                    aborted=aborted,
                    seconds=time.monotonic() - started,
                )
            )

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _forward


class ByteCountingProxy:
    """A threaded reverse proxy on 127.0.0.1 (free port) in front of ``upstream``."""

    def __init__(self, upstream: str, timeout: float = 60.0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.timeout = timeout
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._server = _Server(self)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="byteproxy", daemon=True
        )

    def start(self) -> ByteCountingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ByteCountingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def reset(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def stats_for(self, path: str, settle: float = 2.0) -> PathStats:
        """What was served for ``path`` (e.g. ``/bucket/key``), once in-flight requests ended.

        A client that aborts is noticed by the proxy on its next write; ``settle`` bounds the wait
        for those last records.
        """
        deadline = time.monotonic() + settle
        previous = -1
        while time.monotonic() < deadline:
            count = len(self.exchanges())
            if count == previous:
                break
            previous = count
            time.sleep(0.2)
        mine = tuple(e for e in self.exchanges() if e.path == path)
        return PathStats(
            path=path,
            body_bytes=sum(e.body_bytes for e in mine),
            requests=len(mine),
            gets=sum(1 for e in mine if e.method == "GET"),
            aborted=sum(1 for e in mine if e.aborted),
            exchanges=mine,
        )

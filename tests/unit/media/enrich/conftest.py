"""A local HTTP server (127.0.0.1, free port, a thread) replaying fixture responses written in
each service's documented shape, and recording every request it gets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

DATA = Path(__file__).resolve().parents[3] / "data" / "enrich"
ALBUM = "b1392450-e666-3926-a536-22c65f834433"
ROUTES = {
    "/3/search/movie": "tmdb_search_movie.json",
    "/3/movie/78": "tmdb_movie_78.json",
    "/3/search/tv": "tmdb_search_tv.json",
    "/3/tv/1396": "tmdb_tv_1396.json",
    "/ws/2/recording": "mb_recording_search.json",
    f"/ws/2/release/{ALBUM}": "mb_release_b1392450.json",
    f"/caa/release/{ALBUM}": "caa_release_b1392450.json",
}


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass
class FixtureServer:
    url: str
    requests: list[Request] = field(default_factory=list)
    # path → statuses to answer before the fixture (e.g. [503] for one failure)
    failures: dict[str, list[int]] = field(default_factory=dict)
    # path → (status, headers, body) answered as it is: images, redirects
    raw: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    state = FixtureServer(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with lock:
                state.requests.append(
                    Request(parts.path, query, dict(self.headers.items()), time.monotonic())
                )
                pending = state.failures.get(parts.path) or []
                status = pending.pop(0) if pending else None
            if status is not None:
                self._send(status, {"status_code": 25, "status_message": "try later"})
                return
            if parts.path in state.raw:
                code, headers, body = state.raw[parts.path]
                self.send_response(code)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                return
            name = ROUTES.get(parts.path)
            if name is None:
                self._send(404, {"error": "Not Found"})
                return
            self._send(200, json.loads((DATA / name).read_text()))

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 503:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            """Quiet: the test asserts on ``state.requests`` instead."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()

"""The out-of-process plugin protocol: newline-delimited JSON-RPC 2.0 over stdin/stdout.

Why a subprocess: a plugin is third-party code. In process, a crash takes the worker down and a
hang stalls the queue; behind a pipe, the host can time it out, kill it and go on.

The protocol, version 1:

1. The host starts the plugin from an argument list (no shell) with stdin and stdout as pipes.
   stderr is the plugin's log: the host reads it line by line into its own log.
2. **Handshake.** The host's first message is a request ``viewra.handshake`` with params
   ``{"protocol": 1, "host": "viewra/<version>", "settings": {...}}`` (``settings`` from the
   plugin's CUE config). The plugin must answer within the handshake timeout with the result
   ``{"protocol": 1, "name", "type": "transcoder"|"scraper"|"enricher", "version",
   "capabilities": {"formats": [], "codecs": [], "kinds": []}, "methods": [...]}``.
   A different protocol number, a missing field or a late answer fails the plugin.
3. **Calls.** One request at a time: ``{"jsonrpc": "2.0", "id": N, "method": M, "params": P}``.
   The answer carries the same ``id`` and either ``result`` or ``error: {"code", "message"}``.
   Methods by type: scraper ``scrape``, enricher ``enrich`` (params ``{"item": MediaItem}``,
   result ``{"fields": Enrichment}``), transcoder ``transcode.plan`` (params ``{"input": {...},
   "target": {...}}``, result ``{"argv": [...]}``).
4. **Shutdown.** The notification ``viewra.shutdown`` (no ``id``), then stdin is closed; a plugin
   still running a grace period later is killed.

Each message is one line of UTF-8 JSON of at most :data:`MAX_LINE` bytes. Anything else (a line
that is not JSON, an answer to another id, neither result nor error, a line too long, the
process exiting, no answer within the call timeout) is a protocol failure: the host kills the
process, records the error, and skips the plugin from then on. An ``error`` answer is not a
protocol failure: the call fails, the plugin stays.
"""

from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = 1
MAX_LINE = 1024 * 1024
HANDSHAKE = "viewra.handshake"
SHUTDOWN = "viewra.shutdown"

# JSON-RPC error codes
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603


class ProtocolError(RuntimeError):
    """The other side broke the protocol; the connection cannot be trusted any more."""


def request(id_: int, method: str, params: dict[str, Any] | None = None) -> bytes:
    return _line({"jsonrpc": "2.0", "id": id_, "method": method, "params": params or {}})


def notification(method: str, params: dict[str, Any] | None = None) -> bytes:
    return _line({"jsonrpc": "2.0", "method": method, "params": params or {}})


def result(id_: int | None, value: Any) -> bytes:
    return _line({"jsonrpc": "2.0", "id": id_, "result": value})


def error(id_: int | None, code: int, message: str) -> bytes:
    return _line({"jsonrpc": "2.0", "id": id_, "error": {"code": code, "message": message}})


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def parse_message(line: bytes) -> dict[str, Any]:
    """One line to one JSON-RPC message, or :class:`ProtocolError` saying what is wrong."""
    if len(line) > MAX_LINE:
        raise ProtocolError(f"line of {len(line)} bytes is over the {MAX_LINE}-byte limit")
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {line[:80]!r}") from exc
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise ProtocolError(f"not a JSON-RPC 2.0 message: {line[:80]!r}")
    return message

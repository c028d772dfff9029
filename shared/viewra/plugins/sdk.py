"""The plugin side of the protocol, for out-of-process plugins written in Python.

A plugin author writes handlers and calls :func:`serve`; the loop answers the handshake with the
plugin's :class:`PluginInfo`, dispatches calls, turns exceptions into JSON-RPC errors (the plugin
stays up) and returns on ``viewra.shutdown`` or end of input. Plugins in other languages follow
:mod:`viewra.plugins.protocol` directly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from viewra.plugins import protocol
from viewra.plugins.model import PluginInfo

Handler = Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]]


def serve(
    info: PluginInfo,
    handlers: Mapping[str, Handler],
    *,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> None:
    """Answer requests until shutdown; each handler gets ``(params, settings)``."""
    reader = stdin or sys.stdin.buffer
    writer = stdout or sys.stdout.buffer
    settings: dict[str, Any] = {}
    for line in reader:
        try:
            message = protocol.parse_message(line)
        except protocol.ProtocolError as exc:
            _send(writer, protocol.error(None, protocol.PARSE_ERROR, str(exc)))
            continue
        method, id_ = message.get("method"), message.get("id")
        params = message.get("params") or {}
        if method == protocol.SHUTDOWN:
            return
        if method == protocol.HANDSHAKE:
            settings = dict(params.get("settings") or {})
            described = info.model_dump(mode="json")
            described["methods"] = sorted(handlers)
            _send(
                writer, protocol.result(id_, {"protocol": protocol.PROTOCOL_VERSION, **described})
            )
            continue
        handler = handlers.get(str(method))
        if handler is None:
            _send(writer, protocol.error(id_, protocol.METHOD_NOT_FOUND, f"no method {method}"))
            continue
        try:
            answer = handler(params, settings)
        except Exception as exc:  # a handler's failure is the call's, not the plugin's
            _send(
                writer, protocol.error(id_, protocol.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
            )
            continue
        _send(writer, protocol.result(id_, answer))


def _send(writer: BinaryIO, data: bytes) -> None:
    writer.write(data)
    writer.flush()

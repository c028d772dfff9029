"""The host side of an out-of-process plugin: start, handshake, call with timeouts, kill.

A reader thread turns the plugin's stdout into a queue of lines, so every wait is a
``queue.get(timeout=...)``: a plugin that hangs costs one timeout, never a stuck worker. A second
thread drains stderr into the log (an undrained pipe would block the plugin). After any protocol
failure the process is killed and every later call fails fast with the recorded error.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import IO, Any

from pydantic import ValidationError

from viewra.common.logs import logger
from viewra.plugins import protocol
from viewra.plugins.base import PluginError
from viewra.plugins.model import PluginInfo

_EOF = b""


class ProcessPlugin:
    """One plugin subprocess. Thread-safe: calls are serialised, as the protocol requires."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        settings: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        handshake_timeout: float = 5.0,
        call_timeout: float = 10.0,
        host_version: str = "viewra/0.1.0",
    ) -> None:
        if not argv:
            raise ValueError("an out-of-process plugin needs a command")
        self.argv = list(argv)
        self.call_timeout = call_timeout
        self._lock = threading.Lock()
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=20)
        self._next_id = 1
        self._failure: str | None = None
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            close_fds=True,
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        threading.Thread(target=self._pump_stdout, args=(self._proc.stdout,), daemon=True).start()
        self._stderr_pump = threading.Thread(
            target=self._pump_stderr, args=(self._proc.stderr,), daemon=True
        )
        self._stderr_pump.start()
        self._info = self._handshake(dict(settings or {}), host_version, handshake_timeout)

    @property
    def info(self) -> PluginInfo:
        return self._info

    @property
    def failure(self) -> str | None:
        """Why this plugin is unusable, or None while it is healthy."""
        return self._failure

    @property
    def pid(self) -> int:
        return self._proc.pid

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One request and its answer; :class:`PluginError` (``fatal`` when the plugin is gone)."""
        with self._lock:
            if self._failure:
                raise PluginError(self._failure, fatal=True)
            answer = self._exchange(method, dict(params), self.call_timeout)
        if "error" in answer:
            err = answer["error"] if isinstance(answer["error"], dict) else {}
            raise PluginError(f"{method} failed: {err.get('message', answer['error'])}")
        value = answer["result"]
        if not isinstance(value, dict):
            self._fail(f"{method} answered {type(value).__name__}, not an object")
        return value

    def close(self, grace: float = 1.0) -> None:
        """Ask politely, then kill: a plugin never outlives its host."""
        with self._lock:
            if self._proc.poll() is None:
                try:
                    assert self._proc.stdin is not None
                    self._proc.stdin.write(protocol.notification(protocol.SHUTDOWN))
                    self._proc.stdin.close()
                except OSError:
                    pass
                try:
                    self._proc.wait(grace)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._failure = self._failure or "closed"

    # internals

    def _handshake(self, settings: dict[str, Any], host: str, timeout: float) -> PluginInfo:
        with self._lock:
            params = {"protocol": protocol.PROTOCOL_VERSION, "host": host, "settings": settings}
            answer = self._exchange(protocol.HANDSHAKE, params, timeout)
            result = answer.get("result")
            if not isinstance(result, dict):
                self._fail(f"handshake refused: {answer.get('error')}")
            if result.get("protocol") != protocol.PROTOCOL_VERSION:
                self._fail(f"handshake: protocol {result.get('protocol')!r} is not supported")
            try:
                return PluginInfo.model_validate(result)
            except ValidationError as exc:
                self._fail(f"handshake: invalid declaration: {_first_error(exc)}")
        raise AssertionError("unreachable")

    def _exchange(self, method: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
        id_ = self._next_id
        self._next_id += 1
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(protocol.request(id_, method, params))
            self._proc.stdin.flush()
        except OSError as exc:
            self._fail(f"{method}: cannot write to the plugin ({exc}){self._exit_note()}")
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._fail(f"{method}: no answer within {timeout:g} s")
        if line == _EOF:
            self._fail(f"{method}: the plugin exited{self._exit_note()}")
        try:
            answer = protocol.parse_message(line)
        except protocol.ProtocolError as exc:
            self._fail(f"{method}: {exc}")
        if answer.get("id") != id_:
            self._fail(f"{method}: answer to id {answer.get('id')!r}, expected {id_}")
        if "result" not in answer and "error" not in answer:
            self._fail(f"{method}: answer has neither result nor error")
        return answer

    def _fail(self, reason: str) -> Any:
        """Record the failure, kill the process, raise a fatal error (never returns)."""
        self._failure = reason
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        logger.warning("plugin failed", extra={"plugin_argv": self.argv, "reason": reason})
        raise PluginError(reason, fatal=True)

    def _exit_note(self) -> str:
        try:
            code = self._proc.wait(1.0)
        except subprocess.TimeoutExpired:
            return ""
        self._stderr_pump.join(1.0)  # its last lines say why it died
        tail = " | ".join(self._stderr)
        return f" with code {code}" + (f"; stderr: {tail}" if tail else "")

    def _pump_stdout(self, stream: IO[bytes]) -> None:
        while True:
            line = stream.readline(protocol.MAX_LINE + 1)
            if not line:
                self._lines.put(_EOF)
                return
            self._lines.put(line)

    def _pump_stderr(self, stream: IO[bytes]) -> None:
        for raw in stream:
            text = raw.decode("utf-8", "replace").rstrip()
            self._stderr.append(text)
            logger.info("plugin stderr", extra={"plugin_argv": self.argv, "line": text})


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"

"""The embedded emulator: a real ``moto_server`` process bound to 127.0.0.1 only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    """Start/stop a moto server subprocess; ``url`` is its endpoint."""

    def __init__(
        self,
        port: int | None = None,
        log_path: Path | None = None,
        state_dir: Path | None = None,
        fsync: bool = True,
        compact_bytes: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self._state_dir, self._fsync = state_dir, fsync
        self._compact_bytes = compact_bytes
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Emulator:
        # moto's server, with DynamoDB conditional writes made atomic as on AWS
        cmd = [sys.executable, "-m", "viewra.local.motoserver"]
        cmd += ["-H", "127.0.0.1", "-p", str(self.port)]
        if self._state_dir is not None:
            cmd += ["--state-dir", str(self._state_dir)] + ([] if self._fsync else ["--no-fsync"])
            if self._compact_bytes is not None:
                cmd += ["--compact-bytes", str(self._compact_bytes)]
        out = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        # its own session: a Ctrl-C in the terminal reaches the runner, which stops the workers
        # (they may still be finishing a batch against the emulator) before it stops this
        self._proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self._proc.returncode}")
            try:
                requests.get(f"{self.url}/moto-api/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on {self.url} within {timeout}s")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

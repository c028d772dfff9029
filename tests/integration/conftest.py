"""Integration tests: the real local stack in a subprocess (moto_server process, the scan worker,
the API over HTTP), real ffmpeg-generated media, real MediaInfo. Tests talk to it as a user
would: boto3 or the aws CLI to drop files, HTTP (or the viewra CLI) to read the library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from viewra.local.emulator import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    endpoint: str
    api: str
    bucket: str
    env: dict[str, str]
    process: subprocess.Popen[str]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="viewra-local",
            aws_secret_access_key="viewra-local",
            config=Config(s3={"addressing_style": "path"}),
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.api + path, params=params, timeout=30)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(self.api + path, json=body, timeout=30)

    def library(self, kind: str) -> dict[str, Any]:
        """A fresh library on a unique prefix, so tests never see each other's items."""
        name = f"{kind}-{uuid.uuid4().hex[:8]}"
        r = self.post("/libraries", {"name": name, "prefix": f"{name}/", "kind": kind})
        assert r.status_code == 201, r.text
        return r.json()["library"]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")

    def items(self, library_id: str, status: str = "all") -> list[dict[str, Any]]:
        r = self.get("/items", library=library_id, status=status, limit=500)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    def item_at(
        self,
        library_id: str,
        key: str,
        status: str = "all",
        etag: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for item in self.items(library_id, status):
                if item["key"] == key and (etag is None or item["etag"] == etag):
                    return item
            return None

        return self.wait_for(found, timeout, f"item {key}")


def start_stack(state_dir: Path, *extra: str, env_extra: dict[str, str] | None = None) -> Stack:
    env = {
        **os.environ,
        "VIEWRA_EMULATOR_PORT": str(free_port()),
        "VIEWRA_API_PORT": str(free_port()),
        "VIEWRA_STATE_DIR": str(state_dir),
        "VIEWRA_QUEUE_VISIBILITY_TIMEOUT": "2",
        "VIEWRA_WORKER_THREADS": "3",
        "VIEWRA_LOG_LEVEL": "WARNING",
        **(env_extra or {}),
    }
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "viewra.local.run", "--ready-json", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=10)
        raise RuntimeError(f"the stack did not start (exit {proc.returncode})")
    ready = json.loads(line)
    return Stack(
        endpoint=ready["endpoint"], api=ready["api"], bucket=ready["bucket"], env=env, process=proc
    )


def stop_stack(stack: Stack) -> None:
    stack.process.send_signal(2)  # Ctrl-C, as a person would
    try:
        stack.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = start_stack(tmp_path_factory.mktemp("stack"), "--no-snapshot")
    yield s
    stop_stack(s)

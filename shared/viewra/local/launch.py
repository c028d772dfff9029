"""Start the whole local stack as a subprocess and drive it as a user would.

Tests and benchmarks both need "the real thing on free ports": ``python -m viewra.local.run`` in
its own process (a moto_server process, the queue workers, the API), a temp state dir, and
clients pointed at it. Stopping sends Ctrl-C, as a person would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from viewra.local.emulator import free_port

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Stack:
    endpoint: str
    api: str
    bucket: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    endpoints: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # the admin's API key, once signed in
    admin: tuple[str, str] | None = None  # (name, password) of the admin start_stack made

    def client(self, service: str) -> Any:
        import boto3  # a client of the stack, like the aws CLI (see tests/unit/test_layout.py)
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoints.get(service) or self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="viewra-local",
            aws_secret_access_key="viewra-local",
            config=Config(s3={"addressing_style": "path"}, max_pool_connections=32),
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.api + path, params=params, headers=self.headers, timeout=30)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(self.api + path, json=body, headers=self.headers, timeout=30)

    def operator_env(self) -> dict[str, str]:
        """The environment of an operator's command on this stack's AWS (``viewra users``)."""
        env = {**self.env, "AWS_ENDPOINT_URL": self.endpoint}
        env.setdefault("AWS_ACCESS_KEY_ID", "viewra-local")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "viewra-local")
        for service, url in self.endpoints.items():
            env[f"AWS_ENDPOINT_URL_{service.upper()}"] = url
        return env

    def create_user(self, name: str, password: str, admin: bool = False) -> None:
        """``viewra users create`` (the password on stdin), as an operator makes the first admin."""
        done = subprocess.run(
            [sys.executable, "-m", "viewra.cli", "users", "create", name]
            + (["--admin"] if admin else []),
            input=password + "\n",
            env=self.operator_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"viewra users create failed: {done.stdout}{done.stderr}")

    def login(self, name: str, password: str) -> dict[str, Any]:
        r = requests.post(
            self.api + "/auth/login", json={"username": name, "password": password}, timeout=30
        )
        if r.status_code != 200:
            raise RuntimeError(f"login failed: {r.status_code} {r.text}")
        return r.json()

    def sign_in_admin(self, name: str = "admin") -> None:
        """Make an administrator, log in, and use an API key of its from then on (HTTP calls
        of this object, and the CLI through ``VIEWRA_API_KEY`` in :attr:`env`)."""
        import secrets

        password = secrets.token_urlsafe(18)
        self.create_user(name, password, admin=True)
        token = self.login(name, password)["access_token"]
        r = requests.post(
            self.api + "/me/api-keys",
            json={"name": "launch"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        r.raise_for_status()
        key = r.json()["key"]
        self.admin = (name, password)
        self.headers = {"Authorization": f"Bearer {key}"}
        self.env["VIEWRA_API_KEY"] = key

    def library(self, kind: str) -> dict[str, Any]:
        """A fresh library on a unique prefix, so callers never see each other's items."""
        name = f"{kind}-{uuid.uuid4().hex[:8]}"
        r = self.post("/libraries", {"name": name, "prefix": f"{name}/", "kind": kind})
        if r.status_code != 201:
            raise RuntimeError(f"library not created: {r.status_code} {r.text}")
        return r.json()["library"]

    def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 60,
        what: str = "",
        interval: float = 0.25,
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")

    def items(self, library_id: str, status: str = "all") -> list[dict[str, Any]]:
        """Every item of a library (all pages)."""
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"library": library_id, "status": status, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            r = self.get("/items", **params)
            r.raise_for_status()
            out += r.json()["items"]
            cursor = r.json()["cursor"]
            if not cursor:
                return out

    def job_finished(
        self, job: Callable[[], dict[str, Any]], timeout: float = 180, what: str = "the transcode"
    ) -> dict[str, Any]:
        """The transcode job ``job()`` reads (its status URL or route), once ready or failed."""

        def finished() -> dict[str, Any] | None:
            record = job()
            return record if record["status"] in {"ready", "failed"} else None

        return self.wait_for(finished, timeout, what)

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

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_stack(
    state_dir: Path,
    *extra: str,
    env_extra: dict[str, str] | None = None,
    admin: bool = True,
) -> Stack:
    """``python -m viewra.local.run --ready-json`` on free ports; returns once it is ready,
    with an administrator signed in (``admin``: see :meth:`Stack.sign_in_admin`).
    With ``--external-endpoints`` in ``extra`` the runner starts no emulator and uses the
    per-service endpoints of the environment (``make test-localstack``)."""
    env = {
        **os.environ,
        "VIEWRA_EMULATOR_PORT": str(free_port()),
        "VIEWRA_API_PORT": str(free_port()),
        "VIEWRA_STATE_DIR": str(state_dir),
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
    while True:  # log lines (JSON too) may come first, e.g. a warning at start after a crash
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=10)
            raise RuntimeError(f"the stack did not start (exit {proc.returncode})")
        try:
            ready = json.loads(line)
        except ValueError:
            continue
        if isinstance(ready, dict) and "endpoint" in ready:
            break
        sys.stderr.write(line)
    stack = Stack(
        endpoint=ready["endpoint"],
        api=ready["api"],
        bucket=ready["bucket"],
        env=env,
        process=proc,
        endpoints=ready.get("endpoints", {}),
    )
    if admin and not ready.get("has_users"):
        try:
            stack.sign_in_admin()
        except Exception:
            stack.stop()
            raise
    return stack

"""Functional tests: the functions' handlers, in process, on moto's in-process AWS.

Each test gets a fresh stack, so state never leaks between tests: moto is reset and the stack
``bootstrap`` built is put back from a snapshot taken the first time (``moto_snapshot``), which
is what a new ``bootstrap`` would make, without its ~100 calls per test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from tests.functional.moto_snapshot import MotoSnapshot
from viewra.bootstrap import Services, get_services, reset_services, transcoder_for
from viewra.common.settings import Settings, get_settings
from viewra.local.functions import load_function
from viewra.local.moto_atomic import make_dynamodb_writes_atomic
from viewra.local.moto_sqs_atomic import make_sqs_atomic
from viewra.storage.bootstrap import bootstrap

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(scope="session", autouse=True)
def atomic_dynamodb() -> None:
    """moto's conditional writes and queues race under threads; AWS's do not (see moto_atomic,
    moto_sqs_atomic)."""
    make_dynamodb_writes_atomic()
    make_sqs_atomic()


# The stack each test starts from, per settings (the same for every test that sets no more env)
_STACKS: dict[Settings, MotoSnapshot] = {}
VISIBILITY_TIMEOUT = 30


def fresh_stack(settings: Settings) -> None:
    """Inside ``mock_aws``: the stack ``bootstrap`` makes for ``settings``, with nothing in it."""
    snapshot = _STACKS.get(settings)
    if snapshot is None:
        bootstrap(settings, visibility_timeout=VISIBILITY_TIMEOUT)
        _STACKS[settings] = MotoSnapshot()
    else:
        snapshot.restore()


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    tag = "ft"  # fixed, so the settings (and their clients and table models) are the same
    for var in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("VIEWRA_MEDIA_BUCKET", f"media-{tag}")
    monkeypatch.setenv("VIEWRA_CONTENT_BUCKET", f"content-{tag}")
    monkeypatch.setenv("VIEWRA_TABLE_PREFIX", f"t{tag}-")
    monkeypatch.setenv("VIEWRA_SCAN_QUEUE", f"scan-{tag}")
    monkeypatch.setenv("VIEWRA_TRANSCODE_QUEUE", f"transcode-{tag}")
    monkeypatch.setenv("VIEWRA_EVENTS_TOPIC", f"events-{tag}")
    monkeypatch.setenv("VIEWRA_EVENTS_QUEUE", f"events-{tag}")
    monkeypatch.setenv("VIEWRA_ENRICH_QUEUE", f"enrich-{tag}")
    for var, value in AUTH_TEST_ENV.items():
        monkeypatch.setenv(var, value)
    with mock_aws():
        get_settings.cache_clear()
        reset_services()
        transcoder_for.cache_clear()  # a test's own transcoder, as with names of its own
        fresh_stack(get_settings())
        yield get_services()
    get_settings.cache_clear()
    reset_services()
    transcoder_for.cache_clear()


# argon2 at its cheapest so the suite stays fast (production: viewra.common.settings' defaults)
AUTH_TEST_ENV = {
    "VIEWRA_AUTH_SIGNING_KEY": "functional-tests-signing-key-0123456789abcdef",
    "VIEWRA_AUTH_ARGON2_TIME_COST": "1",
    "VIEWRA_AUTH_ARGON2_MEMORY_KIB": "64",
    "VIEWRA_AUTH_ARGON2_PARALLELISM": "1",
}
ADMIN = "admin"
PASSWORD = "correct horse battery"  # passes the rules; never a default anywhere but tests


class AuthedHTTP:
    """``chalice.test.Client.http`` whose requests carry ``Authorization`` (a bearer token)
    unless the test passes its own headers with one, or ``token`` is None (no credentials)."""

    def __init__(self, http: Any, token: str | None) -> None:
        self._http = http
        self.token = token

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = b""
    ) -> Any:
        headers = dict(headers or {})
        if self.token and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = f"Bearer {self.token}"
        return self._http.request(method, path, headers=headers, body=body)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


class AuthedClient:
    def __init__(self, client: Client, token: str | None, services: Services | None = None) -> None:
        self._client = client
        self._services = services
        self.http = AuthedHTTP(client.http, token)

    def as_user(self, name: str, admin: bool = False) -> AuthedClient:
        """The same API as another user (created on first use), logged in."""
        assert self._services is not None
        if self._services.account_store.get_user(name) is None:
            make_user(self._services, name, admin)
        token = login(self._client, name)["access_token"]
        return AuthedClient(self._client, token, self._services)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def login(client: Client, name: str, password: str = PASSWORD) -> dict[str, Any]:
    r = client.http.post(
        "/auth/login",
        body=json.dumps({"username": name, "password": password}),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.json_body
    return r.json_body


def make_user(services: Services, name: str, admin: bool = False) -> None:
    from viewra.accounts.models import UserCreate

    services.accounts.create_user(UserCreate(name=name, password=PASSWORD, admin=admin))


@pytest.fixture
def chalice_client(services: Services) -> Iterator[Client]:
    with Client(load_function("api").app) as client:
        yield client


@pytest.fixture
def api(services: Services, chalice_client: Client) -> AuthedClient:
    """The API as an administrator (logged in with a password, as the CLI or web app would)."""
    make_user(services, ADMIN, admin=True)
    return AuthedClient(chalice_client, login(chalice_client, ADMIN)["access_token"], services)


@pytest.fixture
def anonymous(chalice_client: Client) -> AuthedClient:
    """The API with no credentials."""
    return AuthedClient(chalice_client, None)


@pytest.fixture
def as_user(api: AuthedClient):
    """``as_user("alice")``: the API as that regular user (``admin=True``: an administrator)."""
    return api.as_user


def scan_event(services: Services, *bodies: dict[str, Any]) -> dict[str, Any]:
    """The SQS batch fixture with one record per body, as Lambda would deliver it."""
    template = load_event("sqs_batch.json")["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        record = json.loads(json.dumps(template))
        record["messageId"] = f"msg-{i}"
        record["body"] = json.dumps(body)
        records.append(record)
    return {"Records": records}


def invoke_scan(services: Services, *bodies: dict[str, Any]) -> dict[str, Any]:
    from viewra.local.worker import LambdaContext

    handler = load_function("scan").handle_scan_queue
    return handler(scan_event(services, *bodies), LambdaContext(function_name="scan"))

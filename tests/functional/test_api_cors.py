"""CORS for the web app on another origin (VIEWRA_WEB_ORIGIN): preflights answered, every
answer (refusals included) names the origin; without the setting, no CORS headers at all."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from chalice.config import Config
from chalice.local import LocalGateway
from chalice.test import Client

from viewra.common.settings import get_settings
from viewra.local.apiserver import ApiServer
from viewra.local.functions import FUNCTIONS_DIR

ORIGIN = "https://d111111abcdef8.cloudfront.net"


def fresh_api(name: str) -> Any:
    """The api function imported anew under ``name``: CORS is read when its routes are declared,
    as on Lambda (the cached import the other tests share has none)."""
    spec = importlib.util.spec_from_file_location(name, FUNCTIONS_DIR / "api" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def cors_api(services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("VIEWRA_WEB_ORIGIN", ORIGIN)
    get_settings.cache_clear()
    try:
        yield fresh_api("viewra_fn_api_cors")
    finally:
        sys.modules.pop("viewra_fn_api_cors", None)
        monkeypatch.delenv("VIEWRA_WEB_ORIGIN")
        get_settings.cache_clear()


@pytest.fixture
def cors_client(cors_api: Any) -> Iterator[Client]:
    with Client(cors_api.app) as client:
        yield client


def test_a_preflight_is_answered_for_the_web_apps_origin(cors_api: Any) -> None:
    """By the gateway, before the function (no token on a preflight): Chalice's local gateway
    here and in ``make run`` (chalice.test's client cannot read its empty body)."""
    config = Config.create(chalice_app=cors_api.app, app_name=cors_api.app.app_name)
    r = LocalGateway(cors_api.app, config).handle_request(
        method="OPTIONS",
        path="/items/abc/playback",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        body=b"",
    )
    assert r["statusCode"] == 200
    headers = r["headers"]
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    allowed = headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_answers_and_refusals_name_the_origin(cors_client: Client) -> None:
    ok = cors_client.http.get("/health", headers={"Origin": ORIGIN})
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    # refused before any view runs (no token): the app must still be able to read the 401
    refused = cors_client.http.get("/libraries", headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    missing = cors_client.http.get("/items/nope", headers={"Origin": ORIGIN})
    assert (
        missing.status_code == 401
        and "Retry-After" in missing.headers["Access-Control-Expose-Headers"]
    )


def test_same_origin_by_default_no_cors_headers(anonymous) -> None:
    r = anonymous.http.get("/health", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert anonymous.http.get("/libraries").status_code == 401


def test_over_http_the_local_server_passes_a_preflight_to_chalice(cors_api: Any) -> None:
    """What ``make run`` serves: an OPTIONS the app's routes do not declare is a 405 there, except
    a preflight where CORS is on, which Chalice answers for the web app's origin."""
    server = ApiServer(port=0, app=cors_api.app).start()
    try:
        r = requests.options(
            f"{server.url}/items/abc/playback",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
        traced = requests.request("TRACE", f"{server.url}/items", timeout=30)
        assert traced.status_code == 405 and traced.json()["error"]["code"] == "MethodNotAllowed"
    finally:
        server.stop()

"""Libraries through the api function's routes (chalice.test.Client on in-process moto)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from viewra.common.settings import get_settings
from viewra.media.models.scans import SCAN_LIST


def _post(api, path: str, body: object) -> object:
    return api.http.post(path, body=json.dumps(body), headers={"Content-Type": "application/json"})


def test_create_list_get_update_delete(api) -> None:
    r = _post(api, "/libraries", {"name": "Movies", "prefix": "movies", "kind": "movies"})
    assert r.status_code == 201
    lib = r.json_body["library"]
    assert lib["prefix"] == "movies/" and lib["kind"] == "movies"
    assert r.json_body["scan"]["status"] == "listing"

    assert [x["id"] for x in api.http.get("/libraries").json_body["libraries"]] == [lib["id"]]
    assert api.http.get(f"/libraries/{lib['id']}").json_body["name"] == "Movies"

    r = api.http.patch(
        f"/libraries/{lib['id']}",
        body=json.dumps({"name": "Films"}),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json_body["name"] == "Films"

    assert api.http.delete(f"/libraries/{lib['id']}").status_code == 204
    r = api.http.get(f"/libraries/{lib['id']}")
    assert r.status_code == 404
    assert r.json_body["error"]["code"] == "NotFound"


def test_creating_a_library_queues_a_scan_instead_of_probing(api, services) -> None:
    r = _post(api, "/libraries", {"name": "Shows", "prefix": "shows/", "kind": "shows"})
    sqs = services.queues._sqs
    url = services.queues.url(services.settings.scan_queue)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in messages]
    listing = [b for b in bodies if b.get("type") == SCAN_LIST]
    assert listing == [
        {
            "type": SCAN_LIST,
            "scan_id": r.json_body["scan"]["id"],
            "library_id": r.json_body["library"]["id"],
            "page": 0,
        }
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "X", "prefix": "../etc"}, 400, "InvalidKey"),
        ({"name": "X", "prefix": "/abs"}, 400, "InvalidKey"),
        ({"name": "X", "prefix": "a\\b"}, 400, "InvalidKey"),
        ({"name": "X", "prefix": "a%2F..%2Fb"}, 400, "InvalidKey"),
        ({"name": "X", "prefix": "ok/", "kind": "podcasts"}, 422, "ValidationError"),
        ({"name": "", "prefix": "ok/"}, 422, "ValidationError"),
        ({"prefix": "ok/"}, 422, "ValidationError"),
        ([1, 2], 400, "BadRequest"),
    ],
)
def test_bad_library_requests_get_a_clear_error(api, body: object, status: int, code: str) -> None:
    r = _post(api, "/libraries", body)
    assert r.status_code == status
    assert r.json_body["error"]["code"] == code
    assert r.json_body["error"]["message"]
    assert api.http.get("/libraries").json_body["libraries"] == []


def test_invalid_json_is_a_400(api) -> None:
    r = api.http.post("/libraries", body="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json_body["error"]["code"] == "InvalidJSON"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_body_not_declared_json_is_a_415_in_the_api_error_shape(api, content_type) -> None:
    """Chalice refuses it before any view runs; the answer still has the API's error shape."""
    r = api.http.post("/libraries", body="{}", headers={"Content-Type": content_type})
    assert r.status_code == 415
    assert r.json_body == {
        "error": {
            "code": "UnsupportedMediaType",
            "message": f"Unsupported media type: {content_type}",
        }
    }
    assert r.headers["Content-Type"].startswith("application/json")


def test_duplicate_name_and_overlapping_prefix_conflict(api) -> None:
    assert _post(api, "/libraries", {"name": "Music", "prefix": "music/"}).status_code == 201
    r = _post(api, "/libraries", {"name": "music", "prefix": "other/"})
    assert (r.status_code, r.json_body["error"]["code"]) == (409, "Conflict")
    r = _post(api, "/libraries", {"name": "Lossless", "prefix": "music/flac/"})
    assert (r.status_code, r.json_body["error"]["code"]) == (409, "Conflict")
    r = _post(api, "/libraries", {"name": "All", "prefix": "mus"})
    assert r.status_code == 201  # "mus/" is a different folder from "music/"


def test_unknown_library_and_scan_are_404(api) -> None:
    assert api.http.post("/libraries/nope/scan").status_code == 404
    assert api.http.get("/scans/nope").json_body["error"]["code"] == "NotFound"
    r = api.http.patch("/libraries/nope", body="{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 404


def test_openapi_document_is_valid(api) -> None:
    doc = api.http.get("/openapi.json").json_body
    validate(doc)
    assert {"/libraries", "/items", "/items/{item_id}", "/health"} <= set(doc["paths"])
    params = {p["name"] for p in doc["paths"]["/items"]["get"]["parameters"]}
    assert {
        "library",
        "type",
        "genre",
        "year_min",
        "year_max",
        "video_codec",
        "audio_codec",
        "resolution",
        "q",
        "sort",
        "cursor",
        "limit",
    } <= params


def test_health_reports_each_dependency_and_503_when_one_is_missing(api, services) -> None:
    r = api.http.get("/health")
    assert r.status_code == 200
    assert all(v == "ok" for v in r.json_body["checks"].values())
    services.tables.scans.delete_table()
    r = api.http.get("/health")
    assert r.status_code == 503
    bad = {k: v for k, v in r.json_body["checks"].items() if v != "ok"}
    assert list(bad) == [f"table:{services.tables.scans.Meta.table_name}"]


@pytest.fixture
def built_web(tmp_path, monkeypatch) -> Path:
    """A built web app as ``make web`` leaves it (index.html, config.json, assets/)."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><title>Viewra</title><div id="root">')
    (tmp_path / "config.json").write_text('{"apiBaseUrl": ""}')
    (tmp_path / "assets" / "index-AbC123.js").write_text("console.log('viewra')")
    (tmp_path / "secret.txt").write_text("not served")
    monkeypatch.setenv("VIEWRA_WEB_DIR", str(tmp_path))
    get_settings.cache_clear()
    return tmp_path


def test_web_app_is_served_at_the_root_with_its_assets(api, built_web) -> None:
    r = api.http.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Cache-Control"] == "no-cache"
    assert b"<title>Viewra</title>" in r.body
    r = api.http.get("/assets/index-AbC123.js")
    assert r.status_code == 200 and r.body == b"console.log('viewra')"
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in r.headers["Cache-Control"]
    assert api.http.get("/config.json").json_body == {"apiBaseUrl": ""}


@pytest.mark.parametrize(
    "path",
    ["/assets/missing.js", "/assets/..", "/assets/.hidden.js", "/assets/%2E%2E%2Fsecret.txt"],
)
def test_web_files_outside_the_build_are_not_served(api, built_web, path) -> None:
    r = api.http.get(path)
    assert r.status_code in {400, 403, 404}  # 400: not a file name (viewra.common.identifiers)
    assert b"not served" not in r.body


def test_root_says_how_to_build_the_app_when_it_is_not_built(api, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VIEWRA_WEB_DIR", str(tmp_path / "nothing"))
    get_settings.cache_clear()
    r = api.http.get("/")
    assert r.status_code == 404
    assert "make web" in r.json_body["error"]["message"]


def test_plugins_are_listed_with_state(api) -> None:
    plugins = {p["name"]: p for p in api.http.get("/plugins").json_body["plugins"]}
    assert {"example-transcoder", "example-nfo-scraper", "example-keyword-enricher"} <= set(plugins)
    for name in ("example-transcoder", "example-nfo-scraper", "example-keyword-enricher"):
        assert plugins[name]["state"] == "ready", plugins[name]
    assert {plugins[n]["type"] for n in plugins} >= {"transcoder", "scraper", "enricher"}


def test_every_route_but_the_web_app_is_in_the_openapi_document(api) -> None:
    from viewra.local.functions import load_function

    doc = api.http.get("/openapi.json").json_body
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    routes = {(m, p) for p, ms in load_function("api").app.routes.items() for m in ms}
    web = {("GET", "/"), ("GET", "/config.json"), ("GET", "/assets/{name}")}
    assert routes - documented == web
    assert documented <= routes

"""No input answers 5xx: the five inputs that did (a JSON body nested 5,000 deep, a list body to
``POST /transcode/cache/evict``, ``{"item_id": ""}`` to ``POST /transcodes``, a user or session
id over 2 KB on played/progress/stop, ``TRACE``), and their classes: bodies too big, too deep,
not objects, not Unicode, not JSON numbers; ids of every route out of their shape; methods no
route declares. In process through Chalice, and over HTTP through the local API server."""

from __future__ import annotations

import itertools
import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.functional.test_api_playback import add, post
from viewra.common.http_answers import MAX_BODY_BYTES, MAX_JSON_DEPTH
from viewra.common.identifiers import PATH_PARAMETERS
from viewra.local.apiserver import ApiServer
from viewra.local.functions import load_function

JSON = {"Content-Type": "application/json"}


def send(api: Any, method: str, path: str, raw: bytes | str) -> Any:
    data = raw.encode() if isinstance(raw, str) else raw
    return api.http.request(method, path, headers=dict(JSON), body=data)


def refused(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """``r`` is the API's JSON error with ``status`` (and ``code``)."""
    assert r.status_code == status, (r.status_code, r.body[:300])
    error = json.loads(r.body)["error"]
    assert set(error) == {"code", "message"} and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


# -- bodies: depth, size, shape --------------------------------------------------------------
BODY_ROUTES = [
    ("POST", "/transcodes"),
    ("POST", "/libraries"),
    ("POST", "/transcode/cache/evict"),
    ("POST", "/items/m1/playback"),
    ("POST", "/users"),
    ("PUT", "/users/admin/libraries"),
    ("POST", "/auth/login"),
]


def test_a_body_nested_5000_deep_is_a_400_on_every_route_that_reads_one(api) -> None:
    deep_object = '{"a":' * 5000 + "1" + "}" * 5000
    for method, path in BODY_ROUTES:
        refused(send(api, method, path, nested(5000)), 400, "TooDeep")
        refused(send(api, method, path, deep_object), 400, "TooDeep")


def test_depth_is_refused_just_past_the_limit_and_read_up_to_it(api, services) -> None:
    add(services, "m1")
    refused(send(api, "POST", "/items/m1/playback", nested(MAX_JSON_DEPTH + 1)), 400, "TooDeep")
    # a profile nested to the limit is read (and refused for what it says, not how deep it is)
    profile = json.dumps({"profile": json.loads(nested(MAX_JSON_DEPTH - 1))})
    r = send(api, "POST", "/items/m1/playback", profile)
    assert r.status_code == 422, r.body


def test_a_body_that_is_not_an_object_is_a_400(api) -> None:
    for body in ["[1, 2]", "[]", '"budget"', "42", "null", "true"]:
        refused(send(api, "POST", "/transcode/cache/evict", body), 400, "BadRequest")
        refused(send(api, "POST", "/transcodes", body), 400, "BadRequest")


def test_evict_reads_its_budget_from_an_object_and_checks_it(api) -> None:
    assert send(api, "POST", "/transcode/cache/evict", "").status_code == 200  # no body: default
    r = send(api, "POST", "/transcode/cache/evict", '{"budget_bytes": 0}')
    assert r.status_code == 200 and r.json_body["budget_bytes"] == 0
    for bad in ('{"budget_bytes": -1}', '{"budget_bytes": "5"}', '{"budget_bytes": 1.5}'):
        refused(send(api, "POST", "/transcode/cache/evict", bad), 422, "ValidationError")
    refused(send(api, "POST", "/transcode/cache/evict", '{"budget": 5}'), 422, "ValidationError")


def test_numbers_json_has_not_and_strings_unicode_has_not_are_a_400(api) -> None:
    for body in ('{"item_id": NaN}', '{"a": -Infinity}', '{"item_id": "\\ud800"}'):
        refused(send(api, "POST", "/transcodes", body), 400, "InvalidJSON")


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(api) -> None:
    big = b'{"item_id": "' + b"a" * MAX_BODY_BYTES + b'"}'
    refused(send(api, "POST", "/transcodes", big), 413, "PayloadTooLarge")
    refused(send(api, "GET", "/items", big), 413, "PayloadTooLarge")  # whatever the route


def test_json_values_must_have_their_documented_types(api, services) -> None:
    add(services, "m1")
    for body in ({"position": "5"}, {"position": True}, {"position": 5, "paused": 1}):
        r = post(api, "/items/m1/playback", {})
        session = r.json_body["id"]
        refused(send(api, "POST", f"/sessions/{session}/progress", json.dumps(body)), 422)


# -- strings: ids and names bounded and shaped ----------------------------------------------
def test_a_transcode_of_an_item_id_out_of_shape_is_a_422(api) -> None:
    for item_id in ["", " ", "a" * 65, "a" * 2100, "../x", "a\nb", "é", 5, None]:
        body = json.dumps({"item_id": item_id})
        error = refused(send(api, "POST", "/transcodes", body), 422, "ValidationError")
        assert "item_id" in error["message"]


def test_a_user_id_over_2kb_on_played_is_a_400_and_writes_nothing(api, services) -> None:
    add(services, "m1")
    long_user = "u" * 2100
    for method in ("POST", "DELETE"):
        r = api.http.request(method, f"/users/{long_user}/played/m1")
        refused(r, 400, "InvalidId")
    assert services.userdata.history(long_user) == []
    assert services.userdata.get(long_user, "m1").last_played is None


def test_progress_and_stop_on_a_session_id_over_2kb_are_a_400_and_leave_sessions_as_they_were(
    api, services
) -> None:
    add(services, "m1")
    session = post(api, "/items/m1/playback", {}).json_body
    long_id = "s" * 2100
    refused(post(api, f"/sessions/{long_id}/progress", {"position": 10}), 400, "InvalidId")
    refused(post(api, f"/sessions/{long_id}/stop", {"position": 990}), 400, "InvalidId")
    after = api.http.get(f"/sessions/{session['id']}").json_body
    assert (after["state"], after["position"], after["version"]) == (
        session["state"],
        session["position"],
        session["version"],
    )
    data = services.userdata.get("admin", "m1")
    assert (data.play_count, data.position) == (0, 0.0)  # no play counted, no resume point
    assert [s["id"] for s in api.http.get("/sessions").json_body["sessions"]] == [session["id"]]


def test_credentials_of_any_length_are_a_401(anonymous) -> None:
    for credential in ("vk.admin." + "k" * 2100 + ".secret", "a." * 3000 + "b", "x" * 60_000):
        headers = {"Authorization": f"Bearer {credential}"}
        refused(anonymous.http.request("GET", "/items", headers=headers), 401)


def _concrete(path: str, bad_name: str, bad: str) -> str:
    """``path`` with each parameter a value of its shape, but ``bad`` for ``bad_name``."""
    good = {"h": "ab" * 32, "name": "master.m3u8", "token": "a.b.c"}
    return re.sub(
        r"\{(\w+)\}",
        lambda m: bad if m.group(1) == bad_name else good.get(m.group(1), "x1"),
        path,
    )


def test_every_path_parameter_out_of_shape_is_a_400_on_every_route(api) -> None:
    app = load_function("api").app
    wrong = {}
    for bad, (path, methods) in itertools.product(
        ["a" * 2100, "-x", "a%20b", "a.b"], app.routes.items()
    ):
        for name in re.findall(r"\{(\w+)\}", path):
            if name in {"name", "token"} and bad == "a.b":
                continue  # dots belong in file names and tokens
            for method in methods:
                url = _concrete(path, name, bad)
                r = api.http.request(method, url, headers=dict(JSON), body=b"{}")
                if r.status_code != 400 or json.loads(r.body)["error"]["code"] != "InvalidId":
                    wrong[(method, path, name, bad[:8])] = (r.status_code, r.body[:80])
    assert wrong == {}


def test_every_path_parameter_of_every_route_has_a_shape_in_the_table() -> None:
    app = load_function("api").app
    names = {n for path in app.routes for n in re.findall(r"\{(\w+)\}", path)}
    assert names == set(PATH_PARAMETERS)


# -- methods ---------------------------------------------------------------------------------
def test_a_method_the_path_does_not_declare_is_a_405_with_allow(anonymous) -> None:
    for method, path, allow in [
        ("PATCH", "/health", "GET"),
        ("PUT", "/items", "GET"),
        ("DELETE", "/transcodes", "POST"),
        ("POST", "/users/admin/played/m1", None),  # declared: not a 405
        ("PUT", "/users/admin/played/m1", "DELETE, POST"),
        ("PATCH", "/signed/a.b.c/transcodes/" + "ab" * 32, "GET"),
    ]:
        r = anonymous.http.request(method, path, headers=dict(JSON), body=b"{}")
        if allow is None:
            assert r.status_code == 401  # no credentials: the method is declared
            continue
        refused(r, 405, "MethodNotAllowed")
        assert r.headers["Allow"] == allow  # before authentication: no credentials were sent


# -- over HTTP: the local API server (what make run serves) ----------------------------------
@pytest.fixture
def http_api(api, services) -> Iterator[tuple[str, dict[str, str]]]:
    server = ApiServer(port=0).start()
    try:
        yield server.url, {"Authorization": f"Bearer {api.http.token}", **JSON}
    finally:
        server.stop()


def test_over_http_any_undeclared_method_is_a_405_json_with_allow(http_api) -> None:
    url, headers = http_api
    with requests.Session() as http:  # one kept-alive connection: each answer leaves it usable
        for method in ["TRACE", "OPTIONS", "CONNECT", "PROPFIND", "HEAD", "PATCH"]:
            r = http.request(method, f"{url}/items", headers=headers, data=b"{}", timeout=30)
            assert r.status_code == 405, method
            assert r.headers["Allow"] == "GET"
            if method != "HEAD":
                assert r.headers["Content-Type"] == "application/json"
                assert r.json()["error"]["code"] == "MethodNotAllowed"
            assert http.get(f"{url}/health", timeout=30).status_code in {200, 503}


def test_over_http_trace_on_an_unknown_path_is_a_404_json(http_api) -> None:
    url, headers = http_api
    r = requests.request("TRACE", f"{url}/no/such/route", headers=headers, timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NotFound"


def test_over_http_the_five_inputs_of_the_issue_answer_4xx(http_api, services) -> None:
    url, headers = http_api
    add(services, "m1")
    answers = [
        requests.post(f"{url}/transcodes", data=nested(5000), headers=headers, timeout=30),
        requests.post(f"{url}/transcode/cache/evict", data="[1, 2]", headers=headers, timeout=30),
        requests.post(f"{url}/transcodes", json={"item_id": ""}, headers=headers, timeout=30),
        requests.post(f"{url}/users/{'u' * 2100}/played/m1", headers=headers, timeout=30),
        requests.request("TRACE", f"{url}/health", timeout=30),
    ]
    assert [a.status_code for a in answers] == [400, 400, 422, 400, 405]
    assert all(a.json()["error"]["code"] for a in answers)


def test_over_http_a_10mb_body_is_refused_unread_with_a_413(http_api) -> None:
    url, headers = http_api
    host, port = url.removeprefix("http://").split(":")
    size = 10 * 1024 * 1024
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"POST /transcodes HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Length: {size}\r\n\r\n"
        )
        sock.sendall(head.encode())  # the answer comes before any of the body is sent
        answer = b""
        while chunk := sock.recv(65536):  # until the server closes the connection
            answer += chunk
    answer = answer.decode()
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "Connection: close" in answer
    assert json.loads(answer.split("\r\n\r\n", 1)[1])["error"]["code"] == "PayloadTooLarge"


# -- the document says all of it -------------------------------------------------------------
def test_the_openapi_document_takes_shapes_from_the_table_and_declares_every_refusal(api) -> None:
    doc = api.http.get("/openapi.json").json_body
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            statuses = set(op["responses"])
            params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            for p in params:
                assert p["schema"] == PATH_PARAMETERS[p["name"]].schema(), where
            if params:
                assert {"400", "404"} <= statuses, where
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= statuses, where
            if op.get("security") != []:  # a token, a key or the hook's token
                assert "401" in statuses, where
            for status, answer in op["responses"].items():
                if status.startswith("4"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), where

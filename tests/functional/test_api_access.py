"""Who may call what, over every route of the api function: no credentials → 401, a regular
user on an admin route → 403, another user's data → 404, an item of a library not granted → 404,
and every bad token → 401, each as the API's JSON error. The tables are built from the app's own
routes, so a route added without an access rule fails here."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import jwt
import pytest

from tests.functional.conftest import AUTH_TEST_ENV, PASSWORD
from viewra.accounts.access import ADMIN, HOOK, MEDIA, PUBLIC, RULES, USER
from viewra.local.functions import load_function
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem, MediaStream, StreamType

PARAMS = {
    "library_id": "lib-x",
    "item_id": "item-x",
    "h": "ab" * 32,
    "name": "index.m3u8",
    "user_id": "someone-else",
    "session_id": "session-x",
    "scan_id": "scan-x",
    "key_id": "key-x",
    "token": "not.a-media.token",  # shaped like one (a malformed token is a 400)
}


def routes() -> list[tuple[str, str]]:
    app = load_function("api").app
    return sorted((path, method) for path, methods in app.routes.items() for method in methods)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)


def call(client: Any, method: str, path: str, body: Any = None, **headers: str) -> Any:
    headers = {"Content-Type": "application/json", **headers}
    data = (
        json.dumps(body if body is not None else {}) if method in {"POST", "PUT", "PATCH"} else b""
    )
    return client.http.request(method, path, headers=headers, body=data)


def error_code(r: Any) -> str:
    assert r.headers.get("Content-Type", "").startswith("application/json"), (r.status_code, r.body)
    return r.json_body["error"]["code"]


def test_every_route_has_an_access_rule_and_every_rule_a_route() -> None:
    app = load_function("api")
    assert set(routes()) == set(app.ACCESS)
    assert set(app.ACCESS.values()) <= set(RULES)


def test_without_credentials_every_private_route_answers_401(anonymous) -> None:
    wrong = {}
    for path, method in routes():
        rule = load_function("api").ACCESS[(path, method)]
        r = call(anonymous, method, concrete(path))
        if rule in (USER, ADMIN, MEDIA):
            expected = "InvalidToken" if rule == MEDIA else "Unauthorized"
            if r.status_code != 401 or error_code(r) != expected:
                wrong[(method, path)] = (r.status_code, r.body[:100])
        elif r.status_code == 401 and rule == PUBLIC:
            wrong[(method, path)] = "a public route asked for credentials"
    assert wrong == {}


def test_a_regular_user_on_every_admin_route_gets_403(as_user) -> None:
    alice = as_user("alice")
    wrong = {}
    for path, method in routes():
        if load_function("api").ACCESS[(path, method)] != ADMIN:
            continue
        r = call(alice, method, concrete(path))
        if r.status_code != 403 or error_code(r) != "Forbidden":
            wrong[(method, path)] = (r.status_code, r.body[:100])
    assert wrong == {}
    # and the same user on a user route is let in
    assert call(alice, "GET", "/libraries").status_code == 200


def test_public_routes_and_the_store_hook_need_no_user(anonymous) -> None:
    assert call(anonymous, "GET", "/health").status_code in (200, 503)
    assert call(anonymous, "GET", "/openapi.json").status_code == 200
    r = call(anonymous, "POST", "/hooks/store-events", {"Records": []})
    assert r.status_code == 404  # its own token: off while none is configured
    assert load_function("api").ACCESS[("/hooks/store-events", "POST")] == HOOK


# -- tokens ----------------------------------------------------------------------------------
def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": "viewra", "aud": "viewra-api", "sub": "admin", "role": "admin", "ep": 0}
    return {**claims, "typ": "access", "iat": now, "exp": now + 600, **overrides}


KEY = AUTH_TEST_ENV["VIEWRA_AUTH_SIGNING_KEY"]


@pytest.mark.parametrize(
    ("what", "token", "code"),
    [
        ("expired", jwt.encode(_claims(exp=int(time.time()) - 5), KEY, "HS256"), "TokenExpired"),
        ("wrong audience", jwt.encode(_claims(aud="other-api"), KEY, "HS256"), "InvalidToken"),
        ("wrong issuer", jwt.encode(_claims(iss="someone"), KEY, "HS256"), "InvalidToken"),
        ("another key", jwt.encode(_claims(), "x" * 48, "HS256"), "InvalidToken"),
        ("not an access token", jwt.encode(_claims(typ="id"), KEY, "HS256"), "InvalidToken"),
        ("unsigned", jwt.encode(_claims(), None, "none"), "InvalidToken"),
        ("garbage", "not.a.token", "InvalidToken"),
        ("refresh token as access", "rt.admin.abcdef", "InvalidToken"),
        ("unknown api key", "vk.admin.0011223344556677.secret", "InvalidApiKey"),
    ],
)
def test_bad_tokens_are_refused_with_401(api, anonymous, what: str, token: str, code: str) -> None:
    for path in ("/libraries", "/users"):
        r = call(anonymous, "GET", path, Authorization=f"Bearer {token}")
        assert (r.status_code, error_code(r)) == (401, code), (what, path)


def test_a_tampered_token_is_refused(api) -> None:
    token = api.http.token
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["sub"] = "mallory"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    r = call(api, "GET", "/libraries", Authorization=f"Bearer {header}.{forged}.{signature}")
    assert (r.status_code, error_code(r)) == (401, "InvalidToken")
    assert call(api, "GET", "/libraries").status_code == 200  # the real one still works


def test_logout_revokes_the_access_and_refresh_tokens(chalice_client, api) -> None:
    from tests.functional.conftest import login

    tokens = login(chalice_client, "admin")
    bearer = f"Bearer {tokens['access_token']}"
    assert call(api, "GET", "/me", Authorization=bearer).status_code == 200
    assert call(api, "POST", "/auth/logout", Authorization=bearer).status_code == 204
    r = call(api, "GET", "/me", Authorization=bearer)
    assert (r.status_code, error_code(r)) == (401, "TokenRevoked")
    r = call(chalice_client, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert (r.status_code, error_code(r)) == (401, "InvalidToken")


def test_a_password_change_revokes_every_token_and_the_new_password_logs_in(
    chalice_client, as_user
) -> None:
    from tests.functional.conftest import login

    bob = as_user("bob")
    other = login(chalice_client, "bob")
    new = "a much longer passphrase"
    r = call(bob, "POST", "/me/password", {"current_password": "wrong one!!!", "new_password": new})
    assert (r.status_code, error_code(r)) == (401, "InvalidCredentials")
    r = call(bob, "POST", "/me/password", {"current_password": PASSWORD, "new_password": "short"})
    assert (r.status_code, error_code(r)) == (422, "WeakPassword")
    r = call(bob, "POST", "/me/password", {"current_password": PASSWORD, "new_password": new})
    assert r.status_code == 204
    assert call(bob, "GET", "/me").status_code == 401
    r = call(chalice_client, "POST", "/auth/refresh", {"refresh_token": other["refresh_token"]})
    assert r.status_code == 401
    assert login(chalice_client, "bob", new)["user"]["id"] == "bob"


# -- grants: a library not granted is a library that does not exist ---------------------------
def _library(api: Any, name: str) -> str:
    r = call(api, "POST", "/libraries", {"name": name, "prefix": f"{name}/", "kind": "movies"})
    assert r.status_code == 201, r.json_body
    return r.json_body["library"]["id"]


def _item(services: Any, library_id: str, prefix: str, item_id: str) -> None:
    key = f"{prefix}/{item_id}.mp4"
    services.objects._s3.put_object(Bucket=services.settings.media_bucket, Key=key, Body=b"x" * 100)
    streams = [
        MediaStream(index=0, type=StreamType.VIDEO, codec="h264", profile="High", level=41,
                    width=1280, height=720, bit_depth=8, frame_rate=24.0),
        MediaStream(index=1, type=StreamType.AUDIO, codec="aac", channels=2, sample_rate=48000,
                    profile="LC"),
    ]  # fmt: skip
    item = MediaItem(
        id=item_id, library_id=library_id, bucket=services.settings.media_bucket, key=key,
        etag="e", size=100, status=ItemStatus.READY, kind=ItemKind.MOVIE, title=item_id,
        container="mp4", duration=1000.0, bitrate=2_000_000, streams=streams,
        added_at="2026-11-01T00:00:00.000Z",
    )  # fmt: skip
    assert services.catalog.put(item, order="1")


@pytest.fixture
def two_libraries(api, services, as_user) -> tuple[Any, str, str]:
    """alice may see "granted" (item g1), not "hidden" (item h1)."""
    granted, hidden = _library(api, "granted"), _library(api, "hidden")
    _item(services, granted, "granted", "g1")
    _item(services, hidden, "hidden", "h1")
    alice = as_user("alice")
    r = call(api, "PUT", "/users/alice/libraries", {"libraries": [granted]})
    assert r.json_body == {"libraries": [granted]}
    return alice, granted, hidden


def test_a_user_lists_and_reads_only_granted_libraries(two_libraries, api) -> None:
    alice, granted, hidden = two_libraries
    assert [x["id"] for x in call(alice, "GET", "/libraries").json_body["libraries"]] == [granted]
    assert {x["id"] for x in call(api, "GET", "/libraries").json_body["libraries"]} == {
        granted,
        hidden,
    }
    r = call(alice, "GET", f"/libraries/{hidden}")
    assert (r.status_code, error_code(r)) == (404, "NotFound")
    assert call(alice, "GET", f"/libraries/{granted}").status_code == 200


def test_a_user_without_the_grant_cannot_list_read_play_or_transcode_its_items(
    two_libraries, api
) -> None:
    alice, _, hidden = two_libraries
    listed = call(alice, "GET", "/items").json_body["items"]
    assert [x["id"] for x in listed] == ["g1"]
    assert {x["id"] for x in call(api, "GET", "/items").json_body["items"]} == {"g1", "h1"}
    refused = {
        "list": call(alice, "GET", f"/items?library={hidden}"),
        "read": call(alice, "GET", "/items/h1"),
        "play": call(alice, "POST", "/items/h1/playback", {"profile": "chrome"}),
        "transcode": call(alice, "POST", "/transcodes", {"item_id": "h1", "container": "mp4"}),
        "mark played": call(alice, "POST", "/users/alice/played/h1"),
    }
    for what, r in refused.items():
        assert (r.status_code, error_code(r)) == (404, "NotFound"), what
    assert call(alice, "GET", "/items/g1").status_code == 200
    r = call(alice, "POST", "/items/g1/playback", {"profile": "chrome"})
    assert r.status_code == 201 and "X-Amz-Signature" in r.json_body["url"]


def test_a_grant_taken_away_takes_the_items_out_of_history_too(two_libraries, api) -> None:
    alice = two_libraries[0]
    assert call(alice, "POST", "/items/g1/playback", {"profile": "chrome"}).status_code == 201
    assert [x["item"]["id"] for x in call(alice, "GET", "/me/history").json_body["items"]] == ["g1"]
    assert call(api, "PUT", "/users/alice/libraries", {"libraries": []}).status_code == 200
    assert call(alice, "GET", "/me/history").json_body["items"] == []
    assert call(alice, "GET", "/items").json_body["items"] == []
    r = call(api, "PUT", "/users/alice/libraries", {"libraries": ["no-such-library"]})
    assert r.status_code == 404


# -- per-user data: another user's is not found ------------------------------------------------
def test_one_user_cannot_read_or_change_anothers_data(two_libraries, api, as_user) -> None:
    alice, granted, _ = two_libraries
    bob = as_user("bob")
    call(api, "PUT", "/users/bob/libraries", {"libraries": [granted]})
    session = call(alice, "POST", "/items/g1/playback", {"profile": "chrome"}).json_body["id"]
    attempts = {
        "resume": call(bob, "GET", "/users/alice/resume"),
        "history": call(bob, "GET", "/users/alice/history"),
        "next up": call(bob, "GET", "/users/alice/next-up"),
        "mark played": call(bob, "POST", "/users/alice/played/g1"),
        "unmark played": call(bob, "DELETE", "/users/alice/played/g1"),
        "session": call(bob, "GET", f"/sessions/{session}"),
        "progress": call(bob, "POST", f"/sessions/{session}/progress", {"position": 5}),
        "stop": call(bob, "POST", f"/sessions/{session}/stop", {"position": 5}),
    }
    for what, r in attempts.items():
        assert (r.status_code, error_code(r)) == (404, "NotFound"), what
    assert call(bob, "GET", "/sessions").json_body["sessions"] == []
    assert [s["id"] for s in call(alice, "GET", "/sessions").json_body["sessions"]] == [session]
    # the owner and an admin may
    assert call(alice, "GET", f"/sessions/{session}").status_code == 200
    history = call(api, "GET", "/users/alice/history").json_body["items"]
    assert [x["item"]["id"] for x in history] == ["g1"]
    assert call(alice, "GET", "/users/alice/history").json_body["items"] == history


# -- signed media URLs: a player's playlist fetches carry the user's media token --------------
def test_transcode_urls_are_signed_for_the_user_and_checked_against_the_grants(
    two_libraries, api
) -> None:
    alice = two_libraries[0]
    mine = call(alice, "POST", "/transcodes", {"item_id": "g1", "max_height": 480})
    assert mine.status_code in (200, 202), mine.json_body
    url = mine.json_body["url"]
    assert "/signed/" in url and url.endswith("/master.m3u8")
    token = url.split("/signed/")[1].split("/")[0]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1000 + 1800  # the item's duration and a margin
    h = mine.json_body["h"]
    theirs = call(api, "POST", "/transcodes", {"item_id": "h1", "max_height": 480}).json_body["h"]
    # the job's status: alice may see her item's, not the hidden one's
    assert call(alice, "GET", f"/transcodes/{h}").status_code == 200
    r = call(alice, "GET", f"/transcodes/{theirs}")
    assert (r.status_code, error_code(r)) == (404, "NotFound")
    # her media token opens nothing of the hidden library, with or without headers
    r = call(alice, "GET", f"/signed/{token}/transcodes/{theirs}/master.m3u8", Authorization="")
    assert (r.status_code, error_code(r)) == (404, "NotFound")
    status = call(alice, "GET", f"/signed/{token}/transcodes/{h}", Authorization="")
    assert status.status_code == 200 and status.json_body["h"] == h
    r = call(alice, "GET", f"/signed/{token}/transcodes/{theirs}", Authorization="")
    assert (r.status_code, error_code(r)) == (404, "NotFound")
    # an access token is not a media token, and a media token is not an access token
    r = call(alice, "GET", f"/signed/{alice.http.token}/transcodes/{h}/master.m3u8")
    assert (r.status_code, error_code(r)) == (401, "InvalidToken")
    r = call(alice, "GET", "/me", Authorization=f"Bearer {token}")
    assert (r.status_code, error_code(r)) == (401, "InvalidToken")
    # and it dies with her logout
    assert call(alice, "POST", "/auth/logout").status_code == 204
    r = call(api, "GET", f"/signed/{token}/transcodes/{h}/master.m3u8", Authorization="")
    assert (r.status_code, error_code(r)) == (401, "TokenRevoked")


def test_the_openapi_document_states_each_routes_security(anonymous) -> None:
    doc = call(anonymous, "GET", "/openapi.json").json_body
    assert set(doc["components"]["securitySchemes"]) == {
        "bearerAuth",
        "apiKeyAuth",
        "storeHookToken",
    }
    assert doc["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    access = load_function("api").ACCESS
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            rule = access[(path, method.upper())]
            if rule in (PUBLIC, MEDIA):
                assert op["security"] == [], (method, path)
            elif rule == HOOK:
                assert op["security"] == [{"storeHookToken": []}]
            else:
                assert "security" not in op and "401" in op["responses"], (method, path)
                assert ("403" in op["responses"]) is (rule == ADMIN), (method, path)

"""The accounts service on in-process moto: login and its throttling, refresh rotation (raced),
reuse detection, API keys, password rules and the audit events."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from tests.functional.conftest import PASSWORD, login, make_user
from viewra.accounts.models import Principal, UserCreate
from viewra.accounts.passwords import common_passwords
from viewra.accounts.service import REUSE_GRACE_SECONDS, Accounts
from viewra.common.errors import Conflict, TooManyRequests, Unauthorized, Unprocessable


class Clock:
    """Starts at the real time (access tokens are checked against it), moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(services, clock) -> Accounts:
    key = "another-functional-test-key-0123456789abcdef"
    return Accounts(services.settings, services.account_store, services.events, key, clock)


def _user(accounts: Accounts, name: str = "carol", admin: bool = False) -> None:
    accounts.create_user(UserCreate(name=name, password=PASSWORD, admin=admin))


def test_two_concurrent_refreshes_of_one_token_exactly_one_wins(accounts) -> None:
    _user(accounts)
    first = accounts.login("carol", PASSWORD)
    for _ in range(3):  # a few rounds: the race is real each time
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def refresh(
            token: str = first.refresh_token,
            barrier: threading.Barrier = barrier,
            results: list[Any] = results,
        ) -> None:
            barrier.wait()
            try:
                results.append(accounts.refresh(token))
            except Unauthorized as exc:
                results.append(exc)

        threads = [threading.Thread(target=refresh) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert {r.code for r in results if isinstance(r, Exception)} == {"TokenReused"}
        # a race inside the grace period revokes nothing: the winner's tokens work
        assert accounts.authenticate({"Authorization": f"Bearer {winners[0].access_token}"})
        first = winners[0]


def test_refresh_rotates_and_a_replayed_token_revokes_everything(accounts, clock) -> None:
    _user(accounts)
    t1 = accounts.login("carol", PASSWORD)
    t2 = accounts.refresh(t1.refresh_token)
    assert t2.refresh_token != t1.refresh_token
    clock.now += REUSE_GRACE_SECONDS + 1
    with pytest.raises(Unauthorized) as exc:
        accounts.refresh(t1.refresh_token)  # stolen and replayed
    assert exc.value.code == "TokenReused"
    for token in (t2.refresh_token,):
        with pytest.raises(Unauthorized):
            accounts.refresh(token)
    with pytest.raises(Unauthorized) as exc:
        accounts.authenticate({"Authorization": f"Bearer {t2.access_token}"})
    assert exc.value.code == "TokenRevoked"
    assert [e.data["user_id"] for e in accounts.events.recent("RefreshTokenReused")] == ["carol"]


def test_a_refresh_token_expires(accounts, clock, services) -> None:
    _user(accounts)
    tokens = accounts.login("carol", PASSWORD)
    clock.now += services.settings.auth_refresh_ttl_seconds + 1
    with pytest.raises(Unauthorized):
        accounts.refresh(tokens.refresh_token)


def test_an_access_token_expires_after_its_ttl(accounts, services) -> None:
    _user(accounts)
    token = accounts.tokens.issue("carol", accounts.get_user("carol").role, 0, now=time.time())
    assert accounts.authenticate({"Authorization": f"Bearer {token}"}).user_id == "carol"
    old = accounts.tokens.issue(
        "carol", accounts.get_user("carol").role, 0,
        now=time.time() - services.settings.auth_access_ttl_seconds - 1,
    )  # fmt: skip
    with pytest.raises(Unauthorized) as exc:
        accounts.authenticate({"Authorization": f"Bearer {old}"})
    assert exc.value.code == "TokenExpired"


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer_after_the_same_work(
    accounts,
) -> None:
    _user(accounts)
    verified: list[str | None] = []
    real_verify = accounts.passwords.verify

    def counting(stored: str | None, password: str) -> bool:
        verified.append(stored)
        return real_verify(stored, password)

    accounts.passwords.verify = counting  # type: ignore[method-assign]
    answers = []
    for name in ("carol", "nobody"):
        with pytest.raises(Unauthorized) as exc:
            accounts.login(name, "a wrong password", client="10.0.0.1")
        answers.append((exc.value.status, exc.value.code, exc.value.message))
    assert answers[0] == answers[1] == (401, "InvalidCredentials", "wrong user name or password")
    # both ran argon2: the real hash for carol, the dummy one for the unknown name
    assert len(verified) == 2 and verified[0] is not None and verified[1] is None
    failed = [e.data for e in accounts.events.recent("LoginFailed")]
    assert [(f["username"], f["reason"]) for f in failed] == [
        ("carol", "credentials"),
        ("nobody", "credentials"),
    ]


def test_failed_logins_are_throttled_per_user_with_a_growing_delay(accounts, clock, services):
    _user(accounts)
    free = services.settings.auth_throttle_free_attempts
    for i in range(free):
        with pytest.raises(Unauthorized):
            accounts.login("carol", "wrong password", client=f"10.0.0.{i}")  # many addresses
    delays = []
    for _ in range(3):
        with pytest.raises(Unauthorized):
            accounts.login("carol", "wrong password", client="10.0.1.1")
        with pytest.raises(TooManyRequests) as exc:
            accounts.login("carol", PASSWORD, client="10.0.1.2")  # even the right password
        delays.append(exc.value.retry_after)
        clock.now += exc.value.retry_after + 0.01
    assert delays[0] < delays[1] < delays[2]  # it doubles
    assert accounts.login("carol", PASSWORD, client="10.0.1.2").user["id"] == "carol"
    # a success forgets the user's failures
    with pytest.raises(Unauthorized):
        accounts.login("carol", "wrong password", client="10.0.2.1")
    assert [e.data["reason"] for e in accounts.events.recent("LoginFailed")].count("throttled") == 3


def test_failed_logins_are_throttled_per_address_whatever_the_name(accounts, services) -> None:
    _user(accounts)
    for i in range(services.settings.auth_throttle_free_attempts + 1):
        with pytest.raises(Unauthorized):
            accounts.login(f"guess{i}", "password guess", client="192.0.2.7")
    with pytest.raises(TooManyRequests):
        accounts.login("carol", PASSWORD, client="192.0.2.7")
    assert accounts.login("carol", PASSWORD, client="192.0.2.8").user["id"] == "carol"


def test_a_throttled_login_answers_429_with_retry_after(api, chalice_client, services) -> None:
    for _ in range(services.settings.auth_throttle_free_attempts + 1):
        r = chalice_client.http.post(
            "/auth/login",
            body=json.dumps({"username": "admin", "password": "not the password"}),
            headers={"Content-Type": "application/json"},
        )
        assert (r.status_code, r.json_body["error"]["code"]) == (401, "InvalidCredentials")
    r = chalice_client.http.post(
        "/auth/login",
        body=json.dumps({"username": "admin", "password": PASSWORD}),
        headers={"Content-Type": "application/json"},
    )
    assert (r.status_code, r.json_body["error"]["code"]) == (429, "TooManyAttempts")
    assert int(r.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short", "at least 12"),
        ("elevenchars", "at least 12"),
        ("password1234", "common"),
        ("PASSWORD1234", "common"),
        ("iloveyou1234", "common"),
        ("my name is carol!", "user name"),
        ("aaaaaaaaaaaaaaaa", "different characters"),
        ("aaaaaaaaaaaa", "common"),
        ("abababababababab", "different characters"),
    ],
)
def test_password_rules(accounts, password: str, rule: str) -> None:
    with pytest.raises(Unprocessable) as exc:
        accounts.create_user(UserCreate(name="carol", password=password))
    assert exc.value.code == "WeakPassword" and rule in exc.value.message


def test_the_common_password_list_is_shipped_and_loaded() -> None:
    words = common_passwords()
    assert (
        len(words) > 100 and "password1234" in words and not any(w.startswith("#") for w in words)
    )


def test_a_user_name_is_taken_once_even_when_raced(accounts) -> None:
    results: list[Any] = []
    barrier = threading.Barrier(3)

    def create() -> None:
        barrier.wait()
        try:
            _user(accounts, "dave")
            results.append("created")
        except Conflict:
            results.append("taken")

    threads = [threading.Thread(target=create) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["created", "taken", "taken"]
    assert [e.data["user_id"] for e in accounts.events.recent("UserCreated")] == ["dave"]


def test_api_keys_are_shown_once_stored_as_hashes_and_revocable(api, services) -> None:
    r = api.http.post(
        "/me/api-keys", body=json.dumps({"name": "scripts"}),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 201
    key = r.json_body["key"]
    listed = api.http.get("/me/api-keys").json_body["api_keys"]
    assert listed == [
        {"id": r.json_body["id"], "name": "scripts", "created_at": listed[0]["created_at"]}
    ]
    stored = services.account_store.get_api_key("admin", r.json_body["id"])
    assert key.split(".")[-1] not in json.dumps(stored.model_dump())  # the secret is not kept
    by_key = api.http.get("/me", headers={"Authorization": f"Bearer {key}"})
    assert by_key.status_code == 200 and by_key.json_body["id"] == "admin"
    wrong = key[:-2] + ("AA" if not key.endswith("AA") else "BB")
    assert api.http.get("/me", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert api.http.delete(f"/me/api-keys/{r.json_body['id']}").status_code == 204
    r = api.http.get("/me", headers={"Authorization": f"Bearer {key}"})
    assert (r.status_code, r.json_body["error"]["code"]) == (401, "InvalidApiKey")
    assert api.http.delete(f"/me/api-keys/{listed[0]['id']}").status_code == 404
    created = [e.data for e in services.events.recent("ApiKeyCreated")]
    assert created == [{"user_id": "admin", "key_id": listed[0]["id"], "name": "scripts"}]
    assert len(services.events.recent("ApiKeyRevoked")) == 1


def test_login_refresh_and_admin_user_management_over_http(api, chalice_client, services):
    r = api.http.post(
        "/users", body=json.dumps({"name": "Erin", "password": PASSWORD}),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 201 and r.json_body == {
        "id": "erin", "role": "user", "created_at": r.json_body["created_at"],
    }  # fmt: skip
    assert "password_hash" not in json.dumps(api.http.get("/users").json_body)
    tokens = login(chalice_client, "ERIN")  # names are case-insensitive
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    r = chalice_client.http.post(
        "/auth/refresh", body=json.dumps({"refresh_token": tokens["refresh_token"]}),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 200 and r.json_body["refresh_token"] != tokens["refresh_token"]
    assert [e.data["user_id"] for e in services.events.recent("UserLoggedIn")][-1] == "erin"
    assert api.http.delete("/users/erin").status_code == 204
    fresh = r.json_body["access_token"]
    r = api.http.get("/me", headers={"Authorization": f"Bearer {fresh}"})
    assert r.status_code == 401  # a deleted user's tokens die with it
    assert api.http.get("/users/erin").status_code == 404
    r = api.http.delete("/users/admin")  # the only administrator: nobody could manage users
    assert (r.status_code, r.json_body["error"]["code"]) == (409, "LastAdmin")


def test_make_user_is_the_cli_path_too(services) -> None:
    make_user(services, "frank", admin=True)
    assert services.accounts.get_user("frank").is_admin
    assert services.accounts.has_users()


def test_an_api_key_is_read_with_its_user_and_refused_without_either(accounts, services) -> None:
    """One read brings the user and the key; the key of a user whose profile is gone, a key id
    the user does not have and another user's id in the key are each refused."""
    dora = accounts.create_user(UserCreate(name="dora", password=PASSWORD))
    principal = Principal(user_id=dora.id, role=dora.role, via="token")
    key = str(accounts.create_api_key(principal, "scripts")["key"])
    store = services.account_store
    prefix, user_part, key_id, secret = key.split(".")
    user, stored = store.user_with_api_key(dora.id, key_id)
    assert (user, stored and stored.user_id) == (dora, dora.id)
    assert store.user_with_api_key(dora.id, "0" * len(key_id)) == (dora, None)
    seen = accounts.authenticate({"authorization": f"Bearer {key}"})
    assert (seen.user_id, seen.via) == (dora.id, "api_key")
    erin = accounts.create_user(UserCreate(name="erin", password=PASSWORD)).id
    for bad in (
        f"{prefix}.{user_part}.{'0' * len(key_id)}.{secret}",  # no such key
        f"{prefix}.{erin}.{key_id}.{secret}",  # that key id under another user
    ):
        with pytest.raises(Unauthorized):
            accounts.authenticate({"authorization": f"Bearer {bad}"})
    store.delete_user(dora.id)  # the profile gone, the key row left behind
    assert store.user_with_api_key(dora.id, key_id)[0] is None
    with pytest.raises(Unauthorized):
        accounts.authenticate({"authorization": f"Bearer {key}"})

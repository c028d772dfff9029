"""The accounts' pure parts: credentials in headers, token shapes and kinds, password hashing
with the settings' parameters, and the CLI's 0600 token file."""

from __future__ import annotations

import stat

import pytest

from viewra import credentials
from viewra.accounts.models import Principal, Role
from viewra.accounts.passwords import Passwords
from viewra.accounts.service import credentials_of
from viewra.accounts.tokens import (
    AccessTokens,
    new_api_key,
    new_refresh_token,
    parse_api_key,
    parse_refresh_token,
)
from viewra.common.errors import Unauthorized
from viewra.common.settings import Settings
from viewra.local.run import first_admin_hint

KEY = "unit-test-signing-key-0123456789abcdef"
CHEAP = Settings(auth_argon2_time_cost=1, auth_argon2_memory_kib=64, auth_argon2_parallelism=1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        (None, None),
        ({"Authorization": "Bearer abc"}, ("bearer", "abc")),
        ({"authorization": "bearer   abc  "}, ("bearer", "abc")),
        ({"Authorization": "Bearer vk.u.k.s"}, ("api_key", "vk.u.k.s")),
        ({"Authorization": "Basic dTpw"}, None),
        ({"Authorization": "Bearer"}, None),
        ({"Authorization": ""}, None),
        ({"X-Viewra-User": "admin"}, None),  # the old header means nothing now
    ],
)
def test_credentials_come_only_from_a_bearer_authorization(headers, expected) -> None:
    assert credentials_of(headers) == expected


def test_access_and_media_tokens_are_not_interchangeable() -> None:
    tokens = AccessTokens(KEY, "viewra", "viewra-api", 900)
    access = tokens.issue("alice", Role.USER, 3)
    media = tokens.issue("alice", Role.USER, 3, kind="media", ttl_seconds=60)
    assert tokens.check(access).epoch == 3
    assert tokens.check(media, kind="media").user_id == "alice"
    for token, kind in ((access, "media"), (media, "access")):
        with pytest.raises(Unauthorized):
            tokens.check(token, kind=kind)
    with pytest.raises(ValueError):
        AccessTokens("short", "viewra", "viewra-api", 900)


def test_opaque_tokens_carry_their_owner_and_refuse_other_shapes() -> None:
    token, token_hash = new_refresh_token("alice")
    assert parse_refresh_token(token) == ("alice", token_hash)
    for bad in ("", "rt.alice", "rt..secret", "xx.alice.secret", "rt.Al ice.secret", "rt.a.b.c"):
        with pytest.raises(Unauthorized):
            parse_refresh_token(bad)
    key, key_id, key_hash = new_api_key("bob")
    assert parse_api_key(key) == ("bob", key_id, key_hash)
    assert parse_api_key("vk.bob.only-three") is None and parse_api_key(token) is None
    assert token_hash not in token and key_hash not in key  # only the hashes are stored


def test_passwords_hash_with_the_settings_parameters_and_verify_nothing_for_no_user() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("a long enough passphrase")
    assert stored.startswith("$argon2id$") and "m=64,t=1,p=1" in stored
    assert passwords.verify(stored, "a long enough passphrase")
    assert not passwords.verify(stored, "another passphrase")
    assert not passwords.verify(None, "a long enough passphrase")  # the dummy hash, False
    assert not passwords.verify("not a hash", "x")
    stronger = Passwords(Settings(auth_argon2_time_cost=2, auth_argon2_memory_kib=64,
                                  auth_argon2_parallelism=1))  # fmt: skip
    assert stronger.needs_rehash(stored) and not passwords.needs_rehash(stored)


def test_a_principal_sees_granted_libraries_and_its_own_data() -> None:
    alice = Principal("alice", Role.USER, "token", frozenset({"lib1"}))
    admin = Principal("root", Role.ADMIN, "token")
    assert alice.can_see_library("lib1") and not alice.can_see_library("lib2")
    assert not alice.can_see_library(None)
    assert admin.can_see_library("anything")
    assert alice.may_act_for("alice") and not alice.may_act_for("bob") and admin.may_act_for("bob")


def test_the_cli_keeps_its_token_0600_in_a_0700_dir(tmp_path) -> None:
    settings = Settings(config_dir=str(tmp_path / "conf"), api_url="http://api")
    path = credentials.save(settings, {"access_token": "a", "refresh_token": "r"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert credentials.load(settings)["access_token"] == "a"
    other_api = Settings(config_dir=str(tmp_path / "conf"), api_url="http://elsewhere")
    assert credentials.load(other_api) is None  # a token is for the API that issued it
    credentials.save(settings, {"access_token": "b", "refresh_token": "r2"})  # replaced
    assert credentials.load(settings)["access_token"] == "b"
    credentials.forget(settings)
    assert credentials.load(settings) is None


def test_make_run_says_how_to_make_the_first_admin() -> None:
    hint = first_admin_hint("http://127.0.0.1:5055")
    assert "viewra users create --admin NAME" in hint
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:5055" in hint and "password" in hint

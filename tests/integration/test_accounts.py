"""Accounts on the running stack: the first admin made by the CLI, ``viewra login`` keeping its
token 0600 in the config dir, API keys, and the refusals over real HTTP."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration
VIEWRA = str(Path(sys.executable).with_name("viewra"))


def viewra(stack, *args: str, env: dict[str, str] | None = None, stdin: str = ""):
    return subprocess.run(
        [VIEWRA, "--api", stack.api, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env if env is not None else stack.env | {"COLUMNS": "200"},
    )


def test_cli_login_keeps_a_0600_token_and_logout_revokes_it(stack, tmp_path) -> None:
    name, password = stack.admin
    env = {k: v for k, v in stack.env.items() if k != "VIEWRA_API_KEY"}
    env |= {"VIEWRA_CONFIG_DIR": str(tmp_path / "conf"), "COLUMNS": "200"}
    refused = viewra(stack, "libraries", "list", env=env)
    assert refused.returncode == 1 and "viewra login" in refused.stdout
    wrong = viewra(stack, "login", "--user", name, env=env, stdin="not the password\n")
    assert wrong.returncode == 1 and "InvalidCredentials" in wrong.stdout
    done = viewra(stack, "login", "--user", name, env=env, stdin=password + "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    kept = tmp_path / "conf" / "credentials.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    listed = viewra(stack, "libraries", "list", env=env)
    assert listed.returncode == 0, listed.stdout
    token = json.loads(kept.read_text())["access_token"]
    assert viewra(stack, "logout", env=env).returncode == 0
    assert not kept.exists()
    r = requests.get(f"{stack.api}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "TokenRevoked")


def test_users_create_refuses_weak_passwords_and_taken_names(stack) -> None:
    env = stack.operator_env()
    weak = subprocess.run(
        [VIEWRA, "users", "create", "weakling"], input="password1234\n", env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert weak.returncode == 1 and "WeakPassword" in weak.stdout
    empty = subprocess.run(
        [VIEWRA, "users", "create", "nobody"], input="", env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert empty.returncode == 1 and "no password" in empty.stdout
    taken = subprocess.run(
        [VIEWRA, "users", "create", stack.admin[0]], input="a good long passphrase\n", env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert taken.returncode == 1 and "UserExists" in taken.stdout


def test_a_regular_user_over_http_sees_only_what_was_granted(stack) -> None:
    mine, other = stack.library("movies"), stack.library("movies")
    stack.create_user("viewer", "a good long passphrase")
    assert stack.post("/users", {"name": "x", "password": "short"}).status_code == 422
    grant = requests.put(
        f"{stack.api}/users/viewer/libraries", json={"libraries": [mine["id"]]},
        headers=stack.headers, timeout=10,
    )  # fmt: skip
    assert grant.status_code == 200
    token = stack.login("viewer", "a good long passphrase")["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    r = requests.get(f"{stack.api}/libraries", headers=auth, timeout=10)
    assert [x["id"] for x in r.json()["libraries"]] == [mine["id"]]
    r = requests.get(f"{stack.api}/libraries/{other['id']}", headers=auth, timeout=10)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "NotFound")
    r = requests.post(f"{stack.api}/libraries/{mine['id']}/scan", headers=auth, timeout=10)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "Forbidden")
    r = requests.get(f"{stack.api}/items", timeout=10)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "Unauthorized")
    assert requests.get(f"{stack.api}/health", timeout=10).status_code == 200


def test_an_admin_lists_users_and_grants_libraries_from_the_shell(stack) -> None:
    # Given a regular user and a library
    env = stack.operator_env()
    made = subprocess.run(
        [VIEWRA, "users", "create", "granted-reader"], input="a reader's long passphrase\n",
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    lib = stack.post("/libraries", {"name": "Granted", "prefix": "granted-cli/", "kind": "movies"})
    library_id = lib.json()["library"]["id"]
    # When the admin grants it and lists the users
    granted = viewra(stack, "users", "grant", "granted-reader", "Granted")
    listed = viewra(stack, "users", "list")
    # Then the user sees that library and nothing else, and is listed as a regular user
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert "granted-reader" in listed.stdout and "user" in listed.stdout
    token = stack.login("granted-reader", "a reader's long passphrase")["access_token"]
    seen = requests.get(
        f"{stack.api}/libraries", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["libraries"]
    assert [row["id"] for row in seen] == [library_id]

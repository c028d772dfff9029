"""Schemathesis over the running stack's ``/openapi.json``, with every check and bounded examples:
no server error, no status the document does not declare, no request the document admits
refused nor one it forbids accepted, 405 with ``Allow`` for undeclared methods. Its own stack:
the run creates users and libraries the other tests would see.

``VIEWRA_FUZZ_EXAMPLES`` and ``VIEWRA_FUZZ_SEED`` widen or vary the run (the default is fixed
so a failure reproduces); the per-operation decisions are in ``schemathesis.toml`` beside this.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.conftest import start_test_stack
from viewra.local.launch import Stack

pytestmark = pytest.mark.integration
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = start_test_stack(tmp_path_factory.mktemp("fuzz"), "--no-snapshot")
    yield s
    s.stop()


def test_schemathesis_finds_nothing_over_the_openapi_document(fuzz_stack: Stack, tmp_path) -> None:
    command = [
        SCHEMATHESIS,
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{fuzz_stack.api}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        os.environ.get("VIEWRA_FUZZ_EXAMPLES", "5"),
        "--seed",
        os.environ.get("VIEWRA_FUZZ_SEED", "1"),
        "--workers",
        "1",
        "--header",
        f"Authorization: {fuzz_stack.headers['Authorization']}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    summary = run.stdout[run.stdout.find("= SUMMARY") :] if "= SUMMARY" in run.stdout else ""
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
    assert "Tested: " in summary and "failures" not in summary.splitlines()[-1], summary


def test_the_five_inputs_of_issue_20_answer_4xx_on_the_real_stack(fuzz_stack: Stack) -> None:
    """The inputs that answered 500 (the emulator, unlike moto in process, refuses a 2 KB key)."""
    api, headers = fuzz_stack.api, {**fuzz_stack.headers, "Content-Type": "application/json"}
    session = requests.Session()
    answers = {
        "deep": session.post(f"{api}/transcodes", data="[" * 5000 + "]" * 5000, headers=headers),
        "list": session.post(f"{api}/transcode/cache/evict", data="[1, 2]", headers=headers),
        "empty id": session.post(f"{api}/transcodes", json={"item_id": ""}, headers=headers),
        "played": session.post(f"{api}/users/{'u' * 2100}/played/x1", headers=headers),
        "progress": session.post(
            f"{api}/sessions/{'s' * 2100}/progress", json={"position": 1}, headers=headers
        ),
        "stop": session.post(f"{api}/sessions/{'s' * 2100}/stop", json={}, headers=headers),
        "trace": session.request("TRACE", f"{api}/health"),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "deep": 400,
        "list": 400,
        "empty id": 422,
        "played": 400,
        "progress": 400,
        "stop": 400,
        "trace": 405,
    }
    assert all(r.json()["error"]["code"] for r in answers.values())
    assert answers["trace"].headers["Allow"] == "GET"

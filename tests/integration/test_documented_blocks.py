"""The docs' walk-throughs, run as they stand: every shell block of README.md and docs/*.md marked
``<!-- docs-test: stack -->`` runs in bash against a fresh local stack, with only the addresses
and the venv's path made this run's. The stack is its own, not the session's, because a
walk-through starts from an empty library as a new user's does (titles are looked up by name)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.commands import Block, all_blocks
from tests.integration.conftest import EXTERNAL, start_test_stack
from viewra.local.launch import Stack

pytestmark = pytest.mark.integration
STACK_BLOCKS = [block for block in all_blocks() if block.run == "stack"]
# What the docs write, and what this run's stack has instead.
DOCUMENTED_API = "http://127.0.0.1:8000"
DOCUMENTED_EMULATOR = "http://127.0.0.1:5055"
DOCUMENTED_BUCKET = "viewra-media"
# The files the walk-throughs upload, from the generated test media.
FILES = {"film.mkv": "mkv_hevc"}


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if EXTERNAL:  # make test-localstack: the store outlives the stack and holds others' items
        pytest.skip("a walk-through starts from an empty store, which external endpoints are not")
    s = start_test_stack(tmp_path_factory.mktemp("docs-stack"), "--no-snapshot")
    yield s
    s.stop()


def _as_this_run(text: str, stack: Stack) -> str:
    venv_bin = str(Path(sys.executable).parent) + "/"
    emulator = stack.endpoints.get("s3") or stack.endpoint
    return (
        text.replace(".venv/bin/", venv_bin)
        .replace(DOCUMENTED_API, stack.api)
        .replace(DOCUMENTED_EMULATOR, emulator)
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="the blocks are bash")
@pytest.mark.parametrize("block", STACK_BLOCKS, ids=[b.id for b in STACK_BLOCKS])
def test_documented_block_runs_as_it_stands(
    block: Block, fresh_stack: Stack, media_dir, tmp_path: Path
) -> None:
    # Given the files the block names, in the directory it runs in
    assert fresh_stack.bucket == DOCUMENTED_BUCKET
    for name, media in FILES.items():
        if name in block.text:
            shutil.copyfile(media_dir[media], tmp_path / name)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIEWRA_"))},
        "VIEWRA_API_URL": fresh_stack.api,  # the CLI's default is the documented address
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "200",
    }
    # When the block runs as one bash script that stops at the first failing command
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _as_this_run(block.text, fresh_stack)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(done.stdout, done.stderr, sep="\n")  # shown when the test fails or with -rP
    # Then every command succeeded, and the output says what the docs promise
    assert done.returncode == 0, f"{block.id}\n{done.stdout}\n{done.stderr}"
    if block.expect:
        assert block.expect in done.stdout, done.stdout


def test_the_documented_walk_through_is_found() -> None:
    assert any(b.doc == "README.md" for b in STACK_BLOCKS)

"""Integration tests: the real local stack in a subprocess (moto_server process, the scan worker,
the API over HTTP), real ffmpeg-generated media, real MediaInfo. Tests talk to it as a user
would: boto3 or the aws CLI to drop files, HTTP (or the viewra CLI) to read the library.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from viewra.local.launch import Stack, start_stack

# A short visibility timeout makes retries (and the DLQ) quick to observe; the store hook is on.
STORE_HOOK_TOKEN = "integration-hook-token"
TEST_ENV = {
    "VIEWRA_QUEUE_VISIBILITY_TIMEOUT": "2",
    "VIEWRA_WORKER_THREADS": "3",
    "VIEWRA_STORE_HOOK_TOKEN": STORE_HOOK_TOKEN,
    # argon2 at its cheapest: the suite logs in often (production: viewra.common.settings' defaults)
    "VIEWRA_AUTH_ARGON2_TIME_COST": "1",
    "VIEWRA_AUTH_ARGON2_MEMORY_KIB": "64",
    "VIEWRA_AUTH_ARGON2_PARALLELISM": "1",
}


EXTERNAL: list[str] = []  # ["--external-endpoints"] under make test-localstack


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--external-endpoints", default=False):
        EXTERNAL.append("--external-endpoints")


def start_test_stack(state_dir, *extra: str) -> Stack:
    """A stack with an administrator signed in: ``stack.get``/``post`` and the CLI (through
    ``VIEWRA_API_KEY`` in ``stack.env``) act as it; ``stack.admin`` is its name and password."""
    return start_stack(state_dir, *EXTERNAL, *extra, env_extra=TEST_ENV)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = start_test_stack(tmp_path_factory.mktemp("stack"), "--no-snapshot")
    yield s
    s.stop()

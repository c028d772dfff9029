"""Session-wide test media: real files made by ffmpeg once per session (see media_factory)."""

from __future__ import annotations

import pytest

from tests.media_factory import MediaSet, ffmpeg_available


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> MediaSet:
    """Name → generated media file (``media_dir["mp4_faststart"]``), each built on first use."""
    if not ffmpeg_available():
        pytest.skip("ffmpeg is not on PATH: the test media are generated with the real ffmpeg CLI")
    return MediaSet(tmp_path_factory.mktemp("media"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--external-endpoints",
        action="store_true",
        help="integration: run the stack on the configured AWS_ENDPOINT_URL_* (LocalStack) "
        "instead of starting the embedded emulator (make test-localstack)",
    )


# The integration stack every test shares (tests/integration/conftest.py's session fixture)
SHARED_STACK = "stack"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``make test`` (pytest-xdist, ``--dist loadgroup``) tests that share something costly
    run on one worker, so it is built once: every test on the shared integration stack in one
    group, and the tests of a module with a module-scoped fixture (a stack or a browser of its
    own) in one group per module. Everything else is spread test by test."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if SHARED_STACK in info.names_closure:
            item.add_marker(pytest.mark.xdist_group(SHARED_STACK))
            continue
        scopes = {d.scope for defs in info.name2fixturedefs.values() for d in defs}
        if "module" in scopes:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))

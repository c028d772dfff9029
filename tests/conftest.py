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

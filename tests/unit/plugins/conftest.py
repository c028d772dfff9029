"""Fake installed distributions: a real ``*.dist-info`` with ``entry_points.txt`` on sys.path,
so discovery runs through importlib.metadata exactly as it does for a pip-installed plugin."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "plugins"
MISBEHAVING = Path(__file__).with_name("misbehaving_plugin.py")

FakeDist = Callable[[dict[str, str], dict[str, str]], str]


def build_fake_dist(
    site: Path, group: str, entry_points: dict[str, str], modules: dict[str, str]
) -> None:
    """Write a distribution's ``*.dist-info`` (METADATA, entry_points.txt) and modules."""
    info = site / "fake_viewra_plugins-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-viewra-plugins\nVersion: 1.0\n"
    )
    lines = "\n".join(f"{name} = {value}" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}\n")
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source))


def unique_group() -> str:
    return f"viewra.plugins.test{uuid.uuid4().hex[:8]}"


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDist:
    """``fake_dist(entry_points, modules)``: modules are written as ``<name>.py``; returns the
    entry point group (unique per test, so tests never see each other's plugins)."""
    group = unique_group()

    def build(entry_points: dict[str, str], modules: dict[str, str]) -> str:
        build_fake_dist(tmp_path / "site", group, entry_points, modules)
        monkeypatch.syspath_prepend(str(tmp_path / "site"))
        return group

    return build


@pytest.fixture
def examples_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example plugins importable (as if ``pip install -e examples/plugins``)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


def misbehaving_argv(mode: str, name: str = "misbehaving") -> list[str]:
    return [sys.executable, str(MISBEHAVING), mode, name]

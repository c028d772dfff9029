"""Discovery through entry points of a fake installed distribution, and the registry's
isolation: broken plugins are listed with their state and errors, the others keep working."""

from __future__ import annotations

import sys

from tests.unit.plugins.conftest import MISBEHAVING, FakeDist
from viewra.plugins.discovery import discover
from viewra.plugins.model import PluginState, PluginType
from viewra.plugins.registry import FieldsResult, PluginRegistry, list_plugins

GOOD = """
from viewra.plugins.base import InProcessPlugin
from viewra.plugins.model import PluginInfo

class Good(InProcessPlugin):
    INFO = PluginInfo(name="good", type="scraper", version="1.2.3")

    def handle_scrape(self, params):
        return {"fields": {"title": params["item"]["title"].upper(), "sources": ["good"]}}

class Buggy(InProcessPlugin):
    INFO = PluginInfo(name="buggy", type="scraper", version="0.1")

    def handle_scrape(self, params):
        raise KeyError("oops")

class Liar(InProcessPlugin):
    INFO = PluginInfo(name="someone-else", type="scraper", version="0.1")
"""

EXTERNAL = f"""
import sys
from viewra.plugins.base import ExternalPlugin

def argv(mode, name):
    return ExternalPlugin(argv=[sys.executable, {str(MISBEHAVING)!r}, mode, name])

CRASHER = argv("crash", "crasher")
HANGER = argv("hang", "hanger")
GARBAGE = argv("bad-shape", "garbage")
OK = argv("ok", "external-ok")
"""


def _plugins(fake_dist: FakeDist, module: str) -> str:
    return fake_dist(
        {
            "good": f"{module}:Good",
            "buggy": f"{module}:Buggy",
            "liar": f"{module}:Liar",
            "missing": f"{module}_nope:Nothing",
            "crasher": f"{module}_ext:CRASHER",
            "hanger": f"{module}_ext:HANGER",
            "garbage": f"{module}_ext:GARBAGE",
            "external-ok": f"{module}_ext:OK",
        },
        {module: GOOD, f"{module}_ext": EXTERNAL},
    )


def test_discovery_reads_entry_points_of_an_installed_distribution(fake_dist: FakeDist) -> None:
    group = _plugins(fake_dist, "disc_plugins")
    found = {d.name: d for d in discover(group)}
    assert sorted(found) == [
        "buggy",
        "crasher",
        "external-ok",
        "garbage",
        "good",
        "hanger",
        "liar",
        "missing",
    ]
    assert found["good"].distribution == "fake-viewra-plugins"
    assert found["good"].value == "disc_plugins:Good"
    assert found["good"].error is None
    assert "ModuleNotFoundError" in (found["missing"].error or "")


def test_the_registry_lists_every_plugin_with_state_and_errors(fake_dist: FakeDist) -> None:
    registry = PluginRegistry.load(group=_plugins(fake_dist, "reg_plugins"))
    try:
        rows = {row["name"]: row for row in list_plugins(registry)}
        assert rows["good"]["state"] == "ready"
        assert rows["good"]["version"] == "1.2.3"
        assert rows["good"]["type"] == "scraper"
        assert rows["external-ok"]["state"] == "ready"
        assert rows["external-ok"]["out_of_process"] is True
        assert rows["missing"]["state"] == "failed"
        assert "load failed" in rows["missing"]["errors"][0]
        assert rows["liar"]["state"] == "failed"
        assert "declares the name 'someone-else'" in rows["liar"]["errors"][0]
    finally:
        registry.close()


def test_crashing_hanging_and_garbage_plugins_are_skipped_while_the_rest_answer(
    fake_dist: FakeDist,
) -> None:
    group = _plugins(fake_dist, "iso_plugins")
    registry = PluginRegistry.load(group=group)
    for entry in registry._entries.values():  # keep the hang short: 0.5 s instead of 10
        if hasattr(entry.plugin, "call_timeout"):
            entry.plugin.call_timeout = 0.5
    try:
        params = {"item": {"title": "heat"}}
        scrapers = registry.call_each(PluginType.SCRAPER, "scrape", params)
        enrichers = registry.call_each(PluginType.ENRICHER, "enrich", params)
        outcomes = {o.name: o for o in scrapers + enrichers}

        good = outcomes["good"].result
        assert isinstance(good, FieldsResult) and good.fields.title == "HEAT"
        assert "KeyError" in (outcomes["buggy"].error or "")
        assert "exited" in (outcomes["crasher"].error or "")
        assert "no answer" in (outcomes["hanger"].error or "")
        assert "invalid answer" in (outcomes["garbage"].error or "")
        ok = outcomes["external-ok"].result
        assert isinstance(ok, FieldsResult) and ok.fields.genres == ["Drama"]

        states = {s.name: s.state for s in registry.statuses()}
        assert states["crasher"] is states["hanger"] is states["garbage"] is PluginState.FAILED
        assert states["buggy"] is PluginState.READY  # an in-process bug fails the call only
        # the failed ones are skipped from now on; the good ones still answer
        again = {o.name for o in registry.call_each(PluginType.ENRICHER, "enrich", params)}
        assert again == {"external-ok"}
    finally:
        registry.close()


def test_an_entry_point_without_a_plugin_is_reported(fake_dist: FakeDist) -> None:
    group = fake_dist({"thing": "odd_plugins:THING"}, {"odd_plugins": "THING = 42\n"})
    registry = PluginRegistry.load(group=group)
    [row] = registry.statuses()
    assert row.state is PluginState.FAILED
    assert row.errors


def test_nothing_installed_means_an_empty_registry() -> None:
    assert PluginRegistry.load(group="viewra.plugins.none-installed").statuses() == []
    assert sys.executable  # the stub plugins above run on this interpreter

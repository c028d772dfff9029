"""The example plugins (one per type), discovered from their own pyproject's entry points,
configured by CUE files, and called through the registry."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from tests.unit.plugins.conftest import EXAMPLES, ROOT, FakeDist, build_fake_dist, unique_group
from viewra.plugins.model import PluginState, PluginType
from viewra.plugins.registry import FieldsResult, PluginRegistry, TranscodePlan

NFO = "<movie><title>Alien</title><year>1979</year><genre>Horror</genre></movie>"


def _example_entry_points() -> dict[str, str]:
    project = tomllib.loads((EXAMPLES / "pyproject.toml").read_text())["project"]
    return project["entry-points"]["viewra.plugins"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory):
    """One registry for the read-only tests: loading runs CUE (a Node process) once."""
    tmp = tmp_path_factory.mktemp("examples")
    group = unique_group()
    build_fake_dist(tmp / "site", group, _example_entry_points(), {})
    shutil.copytree(ROOT / "config" / "plugins", tmp / "config")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp / "site"))
        patch.syspath_prepend(str(EXAMPLES))
        loaded = PluginRegistry.load(group=group, config_dir=tmp / "config")
        yield loaded
        loaded.close()


def test_each_example_loads_with_its_shipped_config(registry: PluginRegistry) -> None:
    """Also proves config/plugins/*.cue valid: an invalid one would disable its plugin."""
    rows = {s.name: s for s in registry.statuses()}
    assert {name: row.state for name, row in rows.items()} == {
        "example-transcoder": PluginState.READY,
        "example-nfo-scraper": PluginState.READY,
        "example-keyword-enricher": PluginState.READY,
    }
    assert rows["example-nfo-scraper"].priority == 80  # from its .cue
    assert rows["example-keyword-enricher"].out_of_process
    assert rows["example-transcoder"].capabilities.formats == ["mp4"]
    assert registry.statuses()[0].name == "example-nfo-scraper"  # priority order


def test_the_examples_answer_their_methods(registry: PluginRegistry) -> None:
    plan = registry.call(
        "example-transcoder",
        "transcode.plan",
        {
            "input": {"url": "in.mkv", "video_codec": "h264", "audio_codec": "aac"},
            "target": {"container": "mp4", "output": "out.mp4"},
        },
    ).result
    assert isinstance(plan, TranscodePlan) and plan.argv[-1] == "out.mp4"
    assert "copy" in plan.argv

    [scraped] = registry.call_each(PluginType.SCRAPER, "scrape", {"nfo": NFO})
    assert isinstance(scraped.result, FieldsResult)
    assert (scraped.result.fields.title, scraped.result.fields.year) == ("Alien", 1979)

    # out of process; "robot" comes from the settings in its .cue, sent in the handshake
    [enriched] = registry.call_each(
        PluginType.ENRICHER, "enrich", {"item": {"title": "Alien Robot Ghost"}}
    )
    assert isinstance(enriched.result, FieldsResult), enriched.error
    assert enriched.result.fields.genres == ["Horror", "Science Fiction"]


def test_an_invalid_config_disables_its_plugin_and_the_others_load(
    fake_dist: FakeDist, examples_on_path: None, tmp_path: Path
) -> None:
    group = fake_dist(_example_entry_points(), {})
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config" / "plugins", config_dir)
    (config_dir / "example-transcoder.cue").write_text("plugin: {\n\tpriority: 101\n}\n")
    (config_dir / "example-nfo-scraper.cue").write_text("plugin: enabled: false\n")
    registry = PluginRegistry.load(group=group, config_dir=config_dir)
    try:
        rows = {s.name: s for s in registry.statuses()}
        transcoder = rows["example-transcoder"]
        assert transcoder.state is PluginState.DISABLED and not transcoder.enabled
        assert any(
            e.startswith(f"{config_dir / 'example-transcoder.cue'}:2:") and "plugin.priority" in e
            for e in transcoder.errors
        ), transcoder.errors
        assert rows["example-nfo-scraper"].state is PluginState.DISABLED
        assert rows["example-nfo-scraper"].errors == []
        assert rows["example-keyword-enricher"].state is PluginState.READY
        assert registry.call_each(PluginType.TRANSCODER, "transcode.plan", {}) == []
    finally:
        registry.close()

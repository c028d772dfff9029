"""The published JSON schema of :class:`~viewra.media.models.items.MediaItem`, the scan's record.

Anything that builds items for a decision (test tables, other tools, the API's docs) can
validate against ``viewra/data/schemas/media_item.schema.json``. The file is generated from the
model; ``python -m viewra.playback.decision.schema`` rewrites it, and a unit test fails when the two
drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from viewra.media.models.items import MediaItem

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "data" / "schemas" / "media_item.schema.json"


def media_item_schema() -> dict[str, Any]:
    """``MediaItem.model_json_schema()``, the source of truth for the written file."""
    return MediaItem.model_json_schema()


def render_schema() -> str:
    """The schema as the file holds it: sorted keys, two-space indent, trailing newline."""
    return json.dumps(media_item_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the schema file (a developer step, not something ``decide`` does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_schema())
    return path


if __name__ == "__main__":
    print(write_schema())

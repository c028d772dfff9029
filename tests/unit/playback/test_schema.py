"""The published MediaItem schema file matches the model; regenerate with
``python -m viewra.playback.decision.schema`` when models.py changes."""

from __future__ import annotations

import json

from viewra.media.models.items import MediaItem
from viewra.playback.decision.schema import SCHEMA_PATH, media_item_schema, render_schema


def test_schema_file_is_in_sync_with_the_model() -> None:
    assert SCHEMA_PATH.read_text() == render_schema(), (
        "media_item.schema.json is stale: run `python -m viewra.playback.decision.schema`"
    )


def test_schema_is_the_models_own() -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == MediaItem.model_json_schema()
    assert media_item_schema()["title"] == "MediaItem"
    assert {"id", "library_id", "bucket", "key", "etag"} <= set(media_item_schema()["required"])

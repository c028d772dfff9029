"""The decide function's event in and answer out, errors as ``{"error": {...}}`` like the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from viewra.common.errors import BadRequest, NotFound, ViewraError
from viewra.common.http_answers import validation_message
from viewra.media.models import MediaItem
from viewra.playback.decision import NoCompatibleStreamError, PlaybackOptions, decide
from viewra.playback.service import resolve_profile


def decide_event(services: Callable[[], Any], event: dict[str, Any]) -> dict[str, Any]:
    """Decide for an inline item, or for one from the catalogue by ``item_id``."""
    try:
        if "item" in event:
            item = MediaItem.model_validate(event["item"])
        elif "item_id" in event:
            found = services().catalog.get(str(event["item_id"]))
            if found is None:
                raise NotFound(f"item {event['item_id']!r} does not exist")
            item = found
        else:
            raise BadRequest("give 'item' or 'item_id'")
        profile = resolve_profile(event.get("profile", "chrome"))
        options = PlaybackOptions.model_validate(event.get("options") or {})
        return {"decision": decide(item, profile, options).model_dump(mode="json")}
    except ValidationError as exc:
        return {"error": {"code": "ValidationError", "message": validation_message(exc)}}
    except NoCompatibleStreamError as exc:
        return {
            "error": {
                "code": "NoCompatibleStream",
                "message": str(exc),
                "reasons": [r.value for r in exc.reasons],
            }
        }
    except ViewraError as exc:
        return exc.to_dict()

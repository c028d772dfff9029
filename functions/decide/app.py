"""The decide function: an item and a device profile in, a playback decision out.

The api function decides in process (see viewra.playback.service); this function offers the same
pure
core to other callers (batch pre-checks, other services) by direct invocation:
``{"item": {...} | "item_id": "...", "profile": "chrome" | {...}, "options": {...}}``.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from viewra.bootstrap import get_services
from viewra.common.logs import logger
from viewra.playback.service import decide_event

app = Chalice(app_name="viewra-decide")


@app.lambda_function(name="decide")
def handle_decide(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(getattr(context, "aws_request_id", None))
    return decide_event(get_services, event)

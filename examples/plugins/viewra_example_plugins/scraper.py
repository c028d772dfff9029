"""An in-process metadata scraper: the fields of the NFO file beside the video.

The host passes the NFO's bytes (it found the sidecar and read it, bounded) as base64, or its
text; the plugin parses them with Viewra's own safe NFO reader.
"""

from __future__ import annotations

import base64
from typing import Any

from viewra.media.scrapers.nfo import parse_nfo
from viewra.plugins.base import InProcessPlugin
from viewra.plugins.model import Capabilities, PluginInfo, PluginType


class NfoScraper(InProcessPlugin):
    INFO = PluginInfo(
        name="example-nfo-scraper",
        type=PluginType.SCRAPER,
        version="0.1.0",
        capabilities=Capabilities(kinds=["movie", "episode", "video"]),
        methods=["scrape"],
    )

    def handle_scrape(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("nfo_base64"):
            data = base64.b64decode(params["nfo_base64"])
        else:
            data = str(params.get("nfo") or "").encode()
        if not data:
            return {"fields": {}}
        nfo = parse_nfo(data)
        return {"fields": nfo.metadata.model_dump(mode="json", exclude_defaults=True)}

"""An out-of-process enricher: genres from keywords in the title, via a local table.

Run as ``python enricher.py``; it speaks the JSON-RPC protocol on
stdin/stdout through :func:`viewra.plugins.sdk.serve`. The entry point publishes :data:`PLUGIN`,
the command that starts it, so the host runs it as a subprocess and survives whatever it does.
Settings (from ``config/plugins/example-keyword-enricher.cue``) may add keywords.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from viewra.plugins.base import ExternalPlugin
from viewra.plugins.model import Capabilities, PluginInfo, PluginType
from viewra.plugins.sdk import serve

# run as a script, so the subprocess needs only viewra importable, not this package
PLUGIN = ExternalPlugin(argv=[sys.executable, str(Path(__file__).resolve())])

INFO = PluginInfo(
    name="example-keyword-enricher",
    type=PluginType.ENRICHER,
    version="0.1.0",
    capabilities=Capabilities(kinds=["movie", "episode"]),
)

KEYWORDS = {"alien": "Science Fiction", "space": "Science Fiction", "ghost": "Horror"}


def enrich(params: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    table = {**KEYWORDS, **dict(settings.get("keywords") or {})}
    title = str((params.get("item") or {}).get("title") or "").lower()
    genres = sorted({genre for word, genre in table.items() if word in title.split()})
    return {"fields": {"sources": [INFO.name], "genres": genres}}


def main() -> None:
    serve(INFO, {"enrich": enrich})


if __name__ == "__main__":
    main()

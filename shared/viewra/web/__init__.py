"""The built web app (``web/``, built by ``make web`` into ``web/dist``) as the API serves it:
``/`` is its ``index.html``, ``/config.json`` its runtime configuration and ``/assets/{name}``
its hashed files. On AWS the same files are served from the web bucket behind CloudFront."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from viewra.common.errors import NotFound

# text only: the API answers with str bodies (Vite's output is JS, CSS and HTML)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
# an asset's name as Vite writes it (name-hash.ext): no separators, no dot segments
ASSET_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$")
NOT_BUILT = "the web app is not built here: run `make web` (on AWS it is served by CloudFront)"


@dataclass(frozen=True)
class WebFile:
    body: str
    content_type: str
    cache_control: str


def web_file(web_dir: str | Path, name: str) -> WebFile:
    """A file of the built app: ``index.html``, ``config.json`` or ``assets/<name>``.

    Hashed assets never change under their name, so they may be cached for a year; the page and
    its configuration are asked for again each time, so a new build is seen at once."""
    root = Path(web_dir)
    parts = name.split("/")
    if name in {"index.html", "config.json"}:
        path = root / name
        cache = "no-cache"
    elif len(parts) == 2 and parts[0] == "assets" and ASSET_NAME.match(parts[1]):
        path = root / "assets" / parts[1]
        cache = "public, max-age=31536000, immutable"
    else:
        raise NotFound(f"no web file {name!r}")
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type is None:
        raise NotFound(f"no web file {name!r}")
    try:
        body = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(NOT_BUILT if name == "index.html" else f"no web file {name!r}") from None
    return WebFile(body=body, content_type=content_type, cache_control=cache)

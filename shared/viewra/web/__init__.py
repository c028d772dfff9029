"""The web page the API serves at ``/``: one static HTML file that calls the same JSON API."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def web_page() -> str:
    return (files("viewra.web") / "index.html").read_text(encoding="utf-8")

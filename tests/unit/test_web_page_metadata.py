"""The web page's item detail: what it renders from an item's metadata (run under Node, as the
browser would run the page's own functions; the page is one file with no build step)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from viewra.web import web_page

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")


def _functions(*names: str) -> str:
    """The named top-level functions of the page's script, as written there."""
    script = re.search(r"<script>(.*)</script>", web_page(), re.S)
    assert script is not None
    text = script.group(1)
    found = []
    for name in names:
        start = text.index(f"function {name}(")
        end = text.index("\n}\n", start) + 3
        found.append(text[start:end])
    return "\n".join(found)


def _render(item: dict) -> dict:
    program = (
        _functions("esc", "remoteArt", "about")
        + f"\nconst it = {json.dumps(item)};"
        + "\nconsole.log(JSON.stringify({about: about(it), art: remoteArt(it)}));"
    )
    done = subprocess.run(
        ["node", "-e", program], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout)


def test_the_detail_shows_tagline_overview_cast_and_links() -> None:
    item = {
        "kind": "movie",
        "overview": "In the smog-choked dystopian Los Angeles of 2019…",
        "genres": ["Science Fiction", "Drama"],
        "metadata": {
            "sources": ["tmdb"],
            "tagline": "Man has made his match",
            "cast": [{"name": "Harrison Ford", "role": "Rick Deckard"}, {"name": "Sean Young"}],
            "external_ids": {"imdb": "tt0083658", "tmdb": 78},
            "poster_url": "https://image.tmdb.org/t/p/w500/poster.jpg",
        },
    }

    out = _render(item)

    assert "<i>Man has made his match</i>" in out["about"]
    assert "Science Fiction · Drama" in out["about"]
    assert "Harrison Ford <span" in out["about"] and "as Rick Deckard" in out["about"]
    assert "Sean Young" in out["about"]
    assert 'href="https://www.imdb.com/title/tt0083658/"' in out["about"]
    assert 'href="https://www.themoviedb.org/movie/78"' in out["about"]
    assert "(from tmdb)" in out["about"]
    assert out["art"] == "https://image.tmdb.org/t/p/w500/poster.jpg"


def test_what_an_nfo_says_is_escaped_and_only_web_urls_are_shown() -> None:
    item = {
        "kind": "movie",
        "metadata": {
            "sources": ["nfo"],
            "cast": [{"name": "<script>alert(1)</script>", "role": None}],
            "poster_url": "javascript:alert(1)",
        },
    }

    out = _render(item)

    assert "<script>" not in out["about"] and "&lt;script&gt;" in out["about"]
    assert out["art"] == ""


def test_an_item_without_metadata_renders_nothing_extra() -> None:
    assert _render({"kind": "movie", "genres": []}) == {"about": "", "art": ""}

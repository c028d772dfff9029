"""Remote artwork: fetched from the services' image hosts only, by hand through redirects, and
kept only when its bytes are an image."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.unit.media.enrich.conftest import FixtureServer
from viewra.media.enrich.artwork import ArtworkFetcher, image_type

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _fetcher(server: FixtureServer, **kw) -> ArtworkFetcher:
    return ArtworkFetcher(hosts=frozenset({"127.0.0.1"}), user_agent="Viewra-test/0.1", **kw)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"GIF89a" + b"\x00" * 16, None),  # an image, but not one artwork is stored as
        (b'{"instance": "metadata"}', None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_an_image_is_told_by_its_bytes(data: bytes, mime: str | None) -> None:
    assert image_type(data) == mime


def test_an_image_on_a_known_host_is_fetched(server: FixtureServer) -> None:
    server.raw["/t/p/w500/poster.jpg"] = (200, {"Content-Type": "image/jpeg"}, JPEG)

    got = _fetcher(server).fetch(f"{server.url}/t/p/w500/poster.jpg")

    assert got == (JPEG, "image/jpeg")
    assert server.requests[0].headers["User-Agent"] == "Viewra-test/0.1"


def test_another_host_is_never_asked(server: FixtureServer) -> None:
    port = urlsplit(server.url).port
    for url in (
        f"http://localhost:{port}/t/p/w500/poster.jpg",  # the same server by another name
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.jpg",
    ):
        assert _fetcher(server).fetch(url) is None
    assert server.requests == []


def test_redirects_are_followed_only_to_known_hosts(server: FixtureServer) -> None:
    port = urlsplit(server.url).port
    server.raw["/caa/front"] = (307, {"Location": "/download/front.png"}, b"")
    server.raw["/download/front.png"] = (200, {"Content-Type": "image/png"}, PNG)
    server.raw["/caa/elsewhere"] = (302, {"Location": f"http://localhost:{port}/x.png"}, b"")

    assert _fetcher(server).fetch(f"{server.url}/caa/front") == (PNG, "image/png")
    assert _fetcher(server).fetch(f"{server.url}/caa/elsewhere") is None
    assert [r.path for r in server.requests] == [
        "/caa/front",
        "/download/front.png",
        "/caa/elsewhere",
    ]


def test_a_redirect_loop_ends(server: FixtureServer) -> None:
    server.raw["/loop"] = (302, {"Location": "/loop"}, b"")

    assert _fetcher(server).fetch(f"{server.url}/loop") is None
    assert len(server.requests) == 4  # the first request and three redirects


def test_what_is_not_an_image_or_too_big_is_not_kept(server: FixtureServer) -> None:
    server.raw["/json.jpg"] = (200, {"Content-Type": "image/jpeg"}, b'{"secret": "x"}')
    server.raw["/big.jpg"] = (200, {"Content-Type": "image/jpeg"}, JPEG + b"\x00" * 4096)

    assert _fetcher(server).fetch(f"{server.url}/json.jpg") is None
    assert _fetcher(server, max_bytes=1024).fetch(f"{server.url}/big.jpg") is None
    assert _fetcher(server).fetch(f"{server.url}/missing.jpg") is None  # a 404

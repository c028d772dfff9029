"""Remote artwork (a TMDB poster, a Cover Art Archive cover) fetched into the content bucket.

An item without artwork of its own (none embedded, no ``poster.jpg`` beside it) gets the poster
or cover its metadata names, stored content-addressed like local artwork, so every client reads
it through the item's presigned ``artwork_url`` rather than from the service's host.

Only the services' image hosts are asked: the metadata's URLs may come from an NFO, which is
text anyone who can write to the bucket controls, and a worker fetching any URL it is handed
could be pointed at internal addresses (an instance metadata endpoint, the emulator). Redirects
are followed by hand, each hop checked against the same hosts (the Cover Art Archive answers
with a redirect to archive.org), and the answer must be a JPEG, PNG or WebP image by its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from viewra.common.logs import logger
from viewra.media.probe.tags import sniff_image_mime
from viewra.media.scrapers.artwork import MAX_ARTWORK_BYTES

ACCEPTED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})  # what artwork is stored as
MAX_REDIRECTS = 3
ARCHIVE_SUFFIX = ".archive.org"  # where the Cover Art Archive's images are served from


def image_type(data: bytes) -> str | None:
    """The image's MIME type by its first bytes; None when it is not JPEG, PNG or WebP."""
    mime = sniff_image_mime(data)
    return mime if mime in ACCEPTED_TYPES else None


@dataclass
class ArtworkFetcher:
    """GETs an image from one of ``hosts`` (or a host ending in one of ``host_suffixes``)."""

    hosts: frozenset[str]
    user_agent: str
    host_suffixes: tuple[str, ...] = (ARCHIVE_SUFFIX,)
    max_bytes: int = MAX_ARTWORK_BYTES
    timeout: float = 20.0
    session: requests.Session = field(default_factory=requests.Session)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return False
        return host in self.hosts or any(host.endswith(s) for s in self.host_suffixes)

    def fetch(self, url: str) -> tuple[bytes, str] | None:
        """The image's bytes and MIME type; None (logged) when it is refused or not an image."""
        for _ in range(MAX_REDIRECTS + 1):
            if not self.allowed(url):
                logger.info("artwork URL not fetched: not a known image host", extra={"url": url})
                return None
            try:
                with self.session.get(
                    url,
                    headers={"User-Agent": self.user_agent},
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                ) as resp:
                    if resp.is_redirect and resp.headers.get("Location"):
                        url = urljoin(url, resp.headers["Location"])
                        continue
                    if resp.status_code != 200:
                        logger.info(
                            "artwork not fetched", extra={"url": url, "status": resp.status_code}
                        )
                        return None
                    buf = bytearray()
                    for chunk in resp.iter_content(64 * 1024):
                        buf += chunk
                        if len(buf) > self.max_bytes:
                            logger.info("artwork too big", extra={"url": url})
                            return None
            except requests.RequestException as exc:
                logger.info("artwork not fetched", extra={"url": url, "error": str(exc)})
                return None
            data = bytes(buf)
            mime = image_type(data)
            if mime is None:
                logger.info("artwork URL answered something else than an image", extra={"url": url})
            return (data, mime) if mime else None
        logger.info("artwork URL redirected too often", extra={"url": url})
        return None

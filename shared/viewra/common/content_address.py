"""Content addressing: the key layout the content bucket uses for everything derived from media
(artwork, transcodes). Imports nothing of Viewra."""

from __future__ import annotations


def content_key(prefix: str, digest: str, name: str = "") -> str:
    """Content-addressed key ``{prefix}/{h[0:2]}/{h[2:4]}/{h}/{name}``.

    The layout the content bucket uses for everything derived from media.
    """
    base = f"{prefix}/{digest[0:2]}/{digest[2:4]}/{digest}/"
    return base + name

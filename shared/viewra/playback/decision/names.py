"""Codec and container names, and Jellyfin's comma-list matching of them.

Profiles list names as comma-separated strings (``"mp4,m4v"``); a leading ``-`` makes the list
negative (``"-mkv,ts"``: anything but these), and an empty list matches everything. That is
Jellyfin's ``ContainerHelper.ContainsContainer``; every list in a profile (containers, codecs,
subtitle formats, languages) is matched the same way.

The scan writes ffmpeg's spelling (``subrip``, ``hdmv_pgs_subtitle``, ``matroska``) while
Jellyfin profiles use Jellyfin's (``srt``, ``pgssub``, ``mkv``). Both sides are folded to one
canonical name with :func:`canonical` so either spelling matches.
"""

from __future__ import annotations

from dataclasses import dataclass

# ffmpeg / Jellyfin aliases folded to the one name the engine compares.
_ALIASES: dict[str, str] = {
    # containers
    "matroska": "mkv",
    "mpegts": "ts",
    "mpeg2ts": "ts",
    "oga": "ogg",
    # video codecs
    "avc": "h264",
    "h265": "hevc",
    "mpeg2": "mpeg2video",
    # audio codecs
    "dca": "dts",
    # subtitle formats
    "subrip": "srt",
    "webvtt": "vtt",
    "hdmv_pgs_subtitle": "pgssub",
    "pgs": "pgssub",
    "sup": "pgssub",
    "dvd_subtitle": "dvdsub",
    "vobsub": "dvdsub",
    "dvb_subtitle": "dvbsub",
    "tx3g": "mov_text",
}

# Picture-based subtitle formats: they cannot be converted to text, only burned in or sent as-is
# (Jellyfin's ``MediaStream.IsTextFormat`` is the negation of this).
IMAGE_SUBTITLE_FORMATS = frozenset({"pgssub", "dvdsub", "dvbsub", "xsub"})

# Image codecs that ffprobe reports as a video stream when a music file carries cover art.
IMAGE_CODECS = frozenset({"mjpeg", "png", "bmp", "gif", "webp", "tiff"})


def canonical(name: str | None) -> str | None:
    """Lower-case ``name`` and fold a known alias; ``None`` and ``""`` stay unknown (``None``)."""
    if not name:
        return None
    low = name.strip().lower()
    return _ALIASES.get(low, low)


def split_names(value: str | None) -> tuple[str, ...]:
    """Split a comma list into canonical names, dropping empty entries."""
    if not value:
        return ()
    out = []
    for part in value.split(","):
        name = canonical(part)
        if name:
            out.append(name)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class NameList:
    """A parsed profile list: its names, and whether it is a negative (``-``) list.

    ``matches`` follows ``ContainerHelper.ContainsContainer``: an empty list matches anything,
    including an unknown name; an unknown name matches a negative list and no positive one.
    """

    names: frozenset[str]
    negative: bool = False
    ordered: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str | None) -> NameList:
        """Parse ``"a,b"`` or ``"-a,b"``; done once per profile, never per decision."""
        raw = (value or "").strip()
        negative = raw.startswith("-")
        if negative:
            raw = raw[1:]
        ordered = split_names(raw)
        return cls(frozenset(ordered), negative and bool(ordered), ordered)

    @property
    def is_empty(self) -> bool:
        return not self.names

    def matches(self, name: str | None) -> bool:
        """Whether one canonical name (or an unknown one) is in this list."""
        if not self.names:
            return True
        if name is None:
            return self.negative
        return (name in self.names) != self.negative

    def matches_any(self, names: tuple[str, ...]) -> bool:
        """Whether any of several names (a multi-name container like ``mov,mp4``) matches."""
        if not self.names:
            return True
        if self.negative:
            return not any(n in self.names for n in names)
        return any(n in self.names for n in names)

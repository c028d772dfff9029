"""HLS playlists: reading ffmpeg's media playlist, writing the master playlist, and rendering
both for clients with every URI replaced (presigned URLs, or API routes).

Stored playlists keep relative URIs (``seg_00000.ts``), so the content stays valid wherever it is
served from; only the copy handed to a client carries absolute, signed URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PLAYLIST_TYPE = re.compile(r"^#EXT-X-PLAYLIST-TYPE:.*$", re.MULTILINE)
_MAP_URI = re.compile(r'(#EXT-X-(?:MAP|MEDIA):.*?URI=")([^"]+)(")')
_EXTINF = re.compile(r"^#EXTINF:([0-9.]+)")


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float


def media_segments(text: str) -> list[Segment]:
    """The segments of a media playlist, in order, with their EXTINF durations."""
    segments: list[Segment] = []
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        m = _EXTINF.match(line)
        if m:
            duration = float(m.group(1))
        elif line and not line.startswith("#"):
            segments.append(Segment(uri=line, duration=duration or 0.0))
            duration = None
    return segments


def init_uri(text: str) -> str | None:
    m = _MAP_URI.search(text)
    return m.group(2) if m else None


def as_vod(text: str) -> str:
    """The playlist marked VOD and ended (ffmpeg's EVENT playlist, once the job is complete)."""
    if PLAYLIST_TYPE.search(text):
        text = PLAYLIST_TYPE.sub("#EXT-X-PLAYLIST-TYPE:VOD", text)
    if "#EXT-X-ENDLIST" not in text:
        text = text.rstrip("\n") + "\n#EXT-X-ENDLIST\n"
    return text


@dataclass(frozen=True)
class Variant:
    uri: str
    bandwidth: int
    average_bandwidth: int | None = None
    width: int | None = None
    height: int | None = None
    codecs: str | None = None
    frame_rate: float | None = None


@dataclass(frozen=True)
class AudioRendition:
    """An audio-only rendition the variants play beside their video (``EXT-X-MEDIA``): a
    fanned-out job encodes its audio in one pass, apart from the video chunks."""

    group: str
    uri: str
    name: str = "audio"


def master_playlist(
    variants: Sequence[Variant], *, version: int = 3, audio: AudioRendition | None = None
) -> str:
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{version}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{audio.group}",NAME="{audio.name}",'
            f'DEFAULT=YES,AUTOSELECT=YES,URI="{audio.uri}"'
        )
    for v in variants:
        attrs = [f"BANDWIDTH={max(int(v.bandwidth), 1)}"]
        if v.average_bandwidth:
            attrs.append(f"AVERAGE-BANDWIDTH={int(v.average_bandwidth)}")
        if v.width and v.height:
            attrs.append(f"RESOLUTION={v.width}x{v.height}")
        if v.frame_rate:
            attrs.append(f"FRAME-RATE={v.frame_rate:.3f}")
        if v.codecs:
            attrs.append(f'CODECS="{v.codecs}"')
        if audio is not None:
            attrs.append(f'AUDIO="{audio.group}"')
        lines += [f"#EXT-X-STREAM-INF:{','.join(attrs)}", v.uri]
    return "\n".join(lines) + "\n"


def rewrite_uris(text: str, url_for: Callable[[str], str]) -> str:
    """The playlist with every URI line and ``EXT-X-MAP`` URI replaced by ``url_for(uri)``."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(url_for(line))
        elif line.startswith(("#EXT-X-MAP:", "#EXT-X-MEDIA:")):
            out.append(_MAP_URI.sub(lambda m: m.group(1) + url_for(m.group(2)) + m.group(3), line))
        else:
            out.append(raw)
    return "\n".join(out) + "\n"


# RFC 6381 codec strings for the master playlist's CODECS attribute.
_H264_PROFILES = {"baseline": 0x42, "constrained baseline": 0x42, "main": 0x4D, "high": 0x64}


def codec_string(stream: dict[str, object]) -> str | None:
    """A codec string from an ffprobe stream (``avc1.64001e``, ``hvc1.1.6.L93.B0``,
    ``mp4a.40.2``), or None when unsure (the attribute is then left out)."""
    name = str(stream.get("codec_name") or "")
    profile = str(stream.get("profile") or "").lower()
    level = stream.get("level")
    if name == "h264" and profile in _H264_PROFILES and isinstance(level, int) and level > 0:
        constraint = 0x40 if profile == "constrained baseline" else 0
        return f"avc1.{_H264_PROFILES[profile]:02x}{constraint:02x}{level:02x}"
    if name == "hevc" and isinstance(level, int) and level > 0:
        return f"hvc1.{2 if '10' in profile else 1}.{4 if '10' in profile else 6}.L{level}.B0"
    if name == "aac":
        return "mp4a.40.5" if profile.startswith("he") else "mp4a.40.2"
    if name == "mp3":
        return "mp4a.40.34"
    if name == "ac3":
        return "ac-3"
    return None

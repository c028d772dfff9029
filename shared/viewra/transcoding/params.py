"""Transcode requests made canonical, and the content hash that names their output.

Two requests that would produce the same bytes must hash the same, so parameters are normalised
before hashing: codec aliases folded to ffmpeg's names (``avc`` → ``h264``), fields that cannot
affect the output dropped (a bitrate for a copied stream, a segment length for progressive MP4),
defaults filled in. ``h`` is the SHA-256 of the source's identity (bucket, key, ETag or version,
size) and those canonical parameters, as canonical JSON; ``HASH_VERSION`` is part of it so a change
of what the transcoder produces for the same parameters can retire every old hash at once.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from viewra.common.identifiers import Codec

HASH_VERSION = 1
COPY = "copy"
DEFAULT_SEGMENT_SECONDS = 6

_VIDEO_ALIASES = {
    "avc": "h264",
    "avc1": "h264",
    "x264": "h264",
    "libx264": "h264",
    "h265": "hevc",
    "hvc1": "hevc",
    "hev1": "hevc",
    "x265": "hevc",
    "libx265": "hevc",
}
_AUDIO_ALIASES = {"mp4a": "aac", "libfdk_aac": "aac", "mp3": "mp3", "libmp3lame": "mp3"}
_CONTAINER_ALIASES = {"mpegts": "ts", "m2ts": "ts", "fmp4": "mp4", "m4s": "mp4", "mov": "mp4"}


# Bounds of what a client may ask for (an unbounded number reached a stored record: a 500)
MAX_BITRATE = 10**10  # bits per second
MAX_PIXELS = 16384
MAX_STREAMS = 1000
_CONTAINERS = ("ts", "mp4", *_CONTAINER_ALIASES)


def _any_case(*words: str) -> str:
    """An anchored pattern of ``words`` in any case, in the regex subset every engine reads."""
    spelled = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in w) for w in words)
    return f"^({'|'.join(spelled)})$"


class Protocol(StrEnum):
    HLS = "hls"
    MP4 = "mp4"  # one progressive, faststart MP4 file


def _bitrate(value: Any) -> int | None:
    """Bits per second from ``2000000``, ``"2000k"``, ``"2M"``; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a bitrate is a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().lower().removesuffix("bps").removesuffix("b")
        scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:], 1)
        number = float(text[:-1] if scale != 1 else text) * scale
    if number <= 0:
        raise ValueError("a bitrate must be positive")
    return round(number)


class TranscodeParams(BaseModel):
    """What a client asks the transcoder for. ``video_codec``/``audio_codec`` None drops the
    stream, ``"copy"`` passes it through. ``burn_subtitle`` is the index among the source's
    subtitle streams (ffmpeg's ``si``) to render into the picture."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Protocol = Protocol.HLS
    # hls: ts (default) or mp4 (fMP4); progressive: mp4 (or an alias of these, any case)
    container: str | None = Field(default=None, pattern=_any_case(*_CONTAINERS))
    video_codec: Codec | None = "h264"
    # bits per second; the Python API also reads "2M" or "800k" (the HTTP API: a number)
    video_bitrate: int | None = Field(default=None, gt=0, le=MAX_BITRATE)
    max_width: int | None = Field(default=None, gt=0, le=MAX_PIXELS)
    max_height: int | None = Field(default=None, gt=0, le=MAX_PIXELS)
    audio_codec: Codec | None = "aac"
    audio_channels: int | None = Field(default=None, gt=0, le=8)
    audio_bitrate: int | None = Field(default=None, gt=0, le=MAX_BITRATE)
    # among audio streams (a:N)
    audio_stream_index: int | None = Field(default=None, ge=0, le=MAX_STREAMS)
    segment_length: int | None = Field(default=None, gt=0, le=60)
    burn_subtitle: int | None = Field(default=None, ge=0, le=MAX_STREAMS)
    # an encoder profile and level to pin (an optimized version promises them to devices)
    video_profile: str | None = Field(default=None, pattern=r"^(baseline|main|high)$")
    video_level: str | None = Field(default=None, pattern=r"^[1-6](\.[0-2])?$")

    @field_validator("video_bitrate", "audio_bitrate", mode="before")
    @classmethod
    def _rates(cls, value: Any, info: ValidationInfo) -> Any:
        if info.mode == "json":  # a JSON body (the HTTP API): a whole number, as documented
            return value
        return _bitrate(value)

    @field_validator("video_codec", "audio_codec", "container", "video_profile", mode="before")
    @classmethod
    def _lower(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            if info.mode == "json":  # the HTTP API: as documented (no spaces), in any case
                return value.lower()
            value = value.strip().lower()
            return value or None
        return value

    @model_validator(mode="after")
    def _check(self) -> TranscodeParams:
        if self.video_codec is None and self.audio_codec is None:
            raise ValueError("at least one of video_codec and audio_codec is needed")
        if self.burn_subtitle is not None and self.canonical_video_codec in {None, COPY}:
            raise ValueError("burning in a subtitle needs a video encode, not copy")
        container = self.canonical_container
        if self.protocol is Protocol.HLS and container not in {"ts", "mp4"}:
            raise ValueError(f"HLS segments are ts or mp4, not {container}")
        if self.protocol is Protocol.MP4 and container != "mp4":
            raise ValueError(f"progressive output is mp4, not {container}")
        pinned = self.video_profile is not None or self.video_level is not None
        if pinned and self.canonical_video_codec != "h264":
            raise ValueError("video_profile and video_level are pinned for an h264 encode only")
        return self

    @property
    def canonical_video_codec(self) -> str | None:
        v = self.video_codec
        return None if v is None else _VIDEO_ALIASES.get(v, v)

    @property
    def canonical_audio_codec(self) -> str | None:
        a = self.audio_codec
        return None if a is None else _AUDIO_ALIASES.get(a, a)

    @property
    def canonical_container(self) -> str:
        c = self.container or ("ts" if self.protocol is Protocol.HLS else "mp4")
        return _CONTAINER_ALIASES.get(c, c)

    def canonical(self) -> dict[str, Any]:
        """Every field, normalised; fields that cannot change the output are None."""
        video = self.canonical_video_codec
        audio = self.canonical_audio_codec
        encoding_video = video not in {None, COPY}
        encoding_audio = audio not in {None, COPY}
        hls = self.protocol is Protocol.HLS
        return {
            "protocol": self.protocol.value,
            "container": self.canonical_container,
            "video_codec": video,
            "video_bitrate": self.video_bitrate if encoding_video else None,
            "max_width": self.max_width if encoding_video else None,
            "max_height": self.max_height if encoding_video else None,
            "audio_codec": audio,
            "audio_channels": self.audio_channels if encoding_audio else None,
            "audio_bitrate": self.audio_bitrate if encoding_audio else None,
            "audio_stream_index": (self.audio_stream_index or 0) if audio else None,
            "segment_length": (self.segment_length or DEFAULT_SEGMENT_SECONDS) if hls else None,
            "burn_subtitle": self.burn_subtitle if encoding_video else None,
            # named only when set, so every hash made before these fields existed still holds
            **({"video_profile": self.video_profile} if self.video_profile else {}),
            **({"video_level": self.video_level} if self.video_level else {}),
        }

    def normalised(self) -> TranscodeParams:
        """The canonical form as params again (what the worker builds its command from)."""
        return TranscodeParams.model_validate(self.canonical())


class SourceRef(BaseModel):
    """Which bytes are transcoded: an object version, pinned by ETag (or version) and size."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    etag: str
    size: int = Field(ge=0)
    version_id: str | None = None

    @field_validator("etag", mode="before")
    @classmethod
    def _etag(cls, value: Any) -> Any:
        return value.strip('"') if isinstance(value, str) else value

    def identity(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "key": self.key,
            "etag": self.etag,
            "version_id": self.version_id,
            "size": self.size,
        }


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(source: SourceRef, params: TranscodeParams) -> str:
    """``h``: SHA-256 over the source identity and the canonical parameters."""
    document = {"v": HASH_VERSION, "source": source.identity(), "params": params.canonical()}
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def params_from_target(target: Any, *, burn_subtitle: int | None = None) -> TranscodeParams:
    """Parameters from a playback decision's
    :class:`~viewra.playback.decision.outcome.TranscodeTarget`.

    Duck-typed on the target's fields so this module does not depend on the playback package.
    """
    wanted = str(getattr(target.protocol, "value", target.protocol)).lower()
    protocol = Protocol.HLS if wanted == "hls" else Protocol.MP4
    container = target.container if protocol is Protocol.HLS else "mp4"
    if protocol is Protocol.HLS and container not in {"ts", "mpegts", "mp4", "fmp4"}:
        container = "ts"
    return TranscodeParams(
        protocol=protocol,
        container=container,
        video_codec=target.video_codec,
        video_bitrate=target.video_bitrate,
        max_width=target.max_width,
        max_height=target.max_height,
        audio_codec=target.audio_codec,
        audio_channels=target.audio_channels,
        audio_bitrate=target.audio_bitrate,
        segment_length=target.segment_length,
        burn_subtitle=burn_subtitle,
    )

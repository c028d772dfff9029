"""Optimized-version presets: named, validated transcode settings a library asks for on ingest
(Plex's "Optimized Versions"), the built-in catalogue, and which of them fit a source.

An optimized version is one progressive, faststart MP4 under its content address, made ahead of
time so a device that cannot play the original direct-plays the version instead of waiting for a
live transcode. Pure: imports only the parameters and the media records.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from viewra.media.models.items import MediaItem
from viewra.transcoding.params import Protocol, TranscodeParams, _bitrate

VIDEO_CODECS = frozenset({"h264"})  # what a preset promises; profile and level are H.264's
AUDIO_CODECS = frozenset({"aac", "ac3", "mp3"})  # what MP4 carries and devices commonly take


class PresetKind(StrEnum):
    VIDEO = "video"  # for items with a video stream
    AUDIO = "audio"  # for audio-only items (music)


class Preset(BaseModel):
    """One named output. A video preset is a bounding box (``max_width`` by ``max_height``): the
    picture is scaled down to fit it, keeping its aspect ratio, never up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,40}$")
    title: str
    kind: PresetKind = PresetKind.VIDEO
    container: str = "mp4"
    video_codec: str | None = "h264"
    video_profile: str | None = "high"
    video_level: str | None = "4.1"
    max_width: int | None = Field(default=None, gt=0)
    max_height: int | None = Field(default=None, gt=0)
    video_bitrate: int | None = None
    audio_codec: str = "aac"
    audio_channels: int = Field(default=2, gt=0, le=8)
    audio_bitrate: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _rates(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for name in ("video_bitrate", "audio_bitrate"):
                data[name] = _bitrate(data.get(name))
        return data

    @model_validator(mode="after")
    def _check(self) -> Preset:
        if self.container != "mp4":
            raise ValueError("an optimized version is a progressive mp4")
        if self.audio_codec not in AUDIO_CODECS:
            raise ValueError(f"audio_codec: one of {sorted(AUDIO_CODECS)}")
        if self.kind is PresetKind.AUDIO:
            if self.video_codec is not None:
                raise ValueError("an audio preset has no video")
            return self
        if self.video_codec not in VIDEO_CODECS:
            raise ValueError(f"video_codec: one of {sorted(VIDEO_CODECS)}")
        if not (self.max_width and self.max_height and self.video_bitrate):
            raise ValueError("a video preset needs max_width, max_height and video_bitrate")
        # the same checks the transcoder applies to any request
        TranscodeParams.model_validate(self._params_fields(None))
        return self

    def _params_fields(self, audio_position: int | None) -> dict[str, Any]:
        video = self.kind is PresetKind.VIDEO
        return {
            "protocol": Protocol.MP4,
            "container": "mp4",
            "video_codec": self.video_codec if video else None,
            "video_profile": self.video_profile if video else None,
            "video_level": self.video_level if video else None,
            "video_bitrate": self.video_bitrate if video else None,
            "max_width": self.max_width if video else None,
            "max_height": self.max_height if video else None,
            "audio_codec": self.audio_codec,
            "audio_channels": self.audio_channels,
            "audio_bitrate": self.audio_bitrate,
            "audio_stream_index": audio_position,
        }

    def params_for(self, item: MediaItem) -> TranscodeParams:
        """The transcode request of this preset for ``item``: its default audio track."""
        return TranscodeParams.model_validate(self._params_fields(audio_position(item)))

    def skip_reason(self, item: MediaItem) -> str | None:
        """Why this preset makes no version of ``item`` (None: it makes one).

        - A video preset is for items with video, an audio preset for audio-only items.
        - A video preset larger than the source in both dimensions is skipped: its version
          would be the source's size at a higher bitrate (a 720p source gets no 1080p version).
          A source as wide *or* as tall as the box gets it (a 1920x800 film gets the 1080p one).
        - A source that already is what the preset would make (same codecs in MP4, inside the
          box, at or under its bitrates and channels) gets no copy of itself.
        """
        video = item.video_streams[0] if item.video_streams else None
        audio = default_audio(item)
        if self.kind is PresetKind.AUDIO:
            if video is not None or audio is None:
                return "an audio preset is for audio-only items"
            if _already(item, audio.codec == self.audio_codec, audio, self) and (
                audio.bitrate or item.bitrate or 0
            ) <= (self.audio_bitrate or 0):
                return "the source already is this preset's output"
            return None
        if video is None:
            return "a video preset is for items with video"
        width, height = video.width or 0, video.height or 0
        if not width or not height:
            return "the source's picture size is unknown"
        assert self.max_width and self.max_height and self.video_bitrate
        if width < self.max_width and height < self.max_height:
            return f"larger than the source ({width}x{height})"
        fits = width <= self.max_width and height <= self.max_height
        rate = video.bitrate or item.bitrate or 0
        if (
            fits
            and video.codec == self.video_codec
            and 0 < rate <= self.video_bitrate
            and _already(item, True, audio, self)
        ):
            return "the source already is this preset's output"
        return None


def default_audio(item: MediaItem) -> Any:
    streams = [s for s in item.audio_streams if not s.external]
    wanted = item.default_audio_stream_index
    return next((s for s in streams if s.index == wanted), streams[0] if streams else None)


def audio_position(item: MediaItem) -> int | None:
    """The default audio stream's position among the embedded audio streams (ffmpeg's a:N)."""
    audio = default_audio(item)
    if audio is None:
        return None
    return [s.index for s in item.audio_streams if not s.external].index(audio.index)


def _already(item: MediaItem, same_codec: bool, audio: Any, preset: Preset) -> bool:
    if (item.container or "").lower() not in {"mp4", "m4v", "m4a", "mov"}:
        return False
    if audio is None:
        return same_codec
    return (
        same_codec
        and audio.codec == preset.audio_codec
        and (audio.channels or 0) <= preset.audio_channels
    )


def _video(
    name: str, title: str, size: tuple[int, int], rate: str, level: str, audio: str
) -> Preset:
    profile = "main" if size[1] <= 480 else "high"
    return Preset(
        name=name,
        title=title,
        max_width=size[0],
        max_height=size[1],
        video_bitrate=rate,  # type: ignore[arg-type]
        video_profile=profile,
        video_level=level,
        audio_bitrate=audio,  # type: ignore[arg-type]
    )


BUILT_IN_PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _video("1080p-h264-8mbps", "1080p H.264 8 Mbps", (1920, 1080), "8M", "4.1", "192k"),
        _video("720p-h264-3mbps", "720p H.264 3 Mbps", (1280, 720), "3M", "4.0", "160k"),
        _video("480p-h264-1.5mbps", "480p H.264 1.5 Mbps", (854, 480), "1.5M", "3.1", "128k"),
        Preset(
            name="aac-256k",
            title="AAC 256 kbit/s stereo",
            kind=PresetKind.AUDIO,
            video_codec=None,
            video_profile=None,
            video_level=None,
            audio_bitrate="256k",  # type: ignore[arg-type]
        ),
    )
}


def preset(name: str) -> Preset:
    """A built-in preset by name (KeyError names the known ones)."""
    try:
        return BUILT_IN_PRESETS[name]
    except KeyError:
        raise KeyError(
            f"unknown preset {name!r}; built-in: {', '.join(BUILT_IN_PRESETS)}"
        ) from None


def check_names(names: list[str]) -> list[str]:
    """A library's preset list, validated: known names, each once (a ValueError says which)."""
    unknown = [n for n in names if n not in BUILT_IN_PRESETS]
    if unknown:
        known = ", ".join(BUILT_IN_PRESETS)
        raise ValueError(f"unknown preset(s) {', '.join(map(repr, unknown))}; built-in: {known}")
    if len(set(names)) != len(names):
        raise ValueError("a preset is named twice")
    return names

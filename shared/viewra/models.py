"""The records that cross module boundaries: what a scan writes and every other part reads.

The item is the contract between scan, the API, playback decisions and transcoding, so it is a
pydantic model: validated on the way in, with a JSON schema any tool can build items from
(``MediaItem.model_json_schema()``). Codec and container names follow ffmpeg's spelling
(``h264``, ``hevc``, ``aac``, ``mkv``) because device profiles (Jellyfin's among them) use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class StreamType(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    SUBTITLE = "subtitle"
    DATA = "data"


class MediaStream(BaseModel):
    """One elementary stream as the prober saw it; every field is optional but index and type."""

    model_config = ConfigDict(extra="ignore")

    index: int
    type: StreamType
    codec: str | None = None
    codec_tag: str | None = None
    profile: str | None = None
    level: float | None = None
    bitrate: int | None = None
    language: str | None = None
    title: str | None = None
    default: bool = False
    forced: bool = False
    hearing_impaired: bool = False
    external: bool = False
    external_key: str | None = None
    # video
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    bit_depth: int | None = None
    pixel_format: str | None = None
    video_range: str | None = None  # SDR or HDR
    video_range_type: str | None = None  # SDR, HDR10, HDR10Plus, HLG, DOVI, DOVIWithHDR10, ...
    color_primaries: str | None = None
    color_transfer: str | None = None
    rotation: int | None = None
    interlaced: bool | None = None
    anamorphic: bool | None = None
    aspect_ratio: str | None = None
    ref_frames: int | None = None
    # audio
    channels: int | None = None
    channel_layout: str | None = None
    sample_rate: int | None = None


class Tags(BaseModel):
    """Embedded tags, as far as the file carries them."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track: int | None = None
    disc: int | None = None
    year: int | None = None
    genres: list[str] = Field(default_factory=list)


class ProbeResult(BaseModel):
    """What probing one object yields; ``cover`` carries embedded artwork bytes, if any."""

    container: str | None = None
    duration: float | None = None
    bitrate: int | None = None
    size: int = 0
    streams: list[MediaStream] = Field(default_factory=list)
    tags: Tags = Field(default_factory=Tags)
    cover: bytes | None = Field(default=None, exclude=True)
    cover_mime: str | None = None


class ItemKind(StrEnum):
    MOVIE = "movie"
    EPISODE = "episode"
    TRACK = "track"
    VIDEO = "video"  # a video that names neither a movie nor an episode
    UNKNOWN = "unknown"  # failed before its kind could be told


class ItemStatus(StrEnum):
    READY = "ready"
    FAILED = "failed"
    REMOVED = "removed"


class ParsedName(BaseModel):
    """What the library-relative path says about the media (guessit, plus tags for music)."""

    kind: ItemKind
    title: str | None = None
    year: int | None = None
    series: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_title: str | None = None


class MediaItem(BaseModel):
    """A catalogued object: identity in the store, what it is, and what it holds."""

    model_config = ConfigDict(extra="ignore")

    id: str
    library_id: str
    bucket: str
    key: str
    etag: str
    size: int = 0
    status: ItemStatus = ItemStatus.READY
    failure_reason: str | None = None
    kind: ItemKind = ItemKind.UNKNOWN
    title: str | None = None
    year: int | None = None
    series: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track: int | None = None
    disc: int | None = None
    genres: list[str] = Field(default_factory=list)
    overview: str | None = None
    container: str | None = None
    duration: float | None = None
    bitrate: int | None = None
    streams: list[MediaStream] = Field(default_factory=list)
    artwork_key: str | None = None
    added_at: str | None = None
    updated_at: str | None = None

    @property
    def video_streams(self) -> list[MediaStream]:
        return [s for s in self.streams if s.type is StreamType.VIDEO]

    @property
    def audio_streams(self) -> list[MediaStream]:
        return [s for s in self.streams if s.type is StreamType.AUDIO]

    @property
    def subtitle_streams(self) -> list[MediaStream]:
        return [s for s in self.streams if s.type is StreamType.SUBTITLE]


@dataclass(frozen=True)
class ObjectHead:
    """What the store says of one object (a HEAD, a listing row, or an S3 event's fields)."""

    key: str
    etag: str
    size: int
    version_id: str | None = None

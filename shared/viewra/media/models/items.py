"""The records that cross module boundaries: what a scan writes and every other part reads.

The item is the contract between scan, the API, playback decisions and transcoding, so it is a
pydantic model: validated on the way in, with a JSON schema any tool can build items from
(``MediaItem.model_json_schema()``). Codec and container names follow ffmpeg's spelling
(``h264``, ``hevc``, ``aac``, ``mkv``) because device profiles (Jellyfin's among them) use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

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


class CoverLocation(BaseModel):
    """Where an embedded cover picture's bytes lie in the object: the probe does not read them.

    A 2 MB album cover is not an index: the probe skips it and the scan fetches exactly these
    bytes once, in one ranged read, to store them as the item's artwork.
    """

    offset: int
    length: int
    mime: str | None = None
    # how the image is stored there: None, as is; "ogg-picture", as the base64 of a FLAC PICTURE
    # block in a Vorbis comment, with Ogg page headers after the first ``first_run`` bytes
    packing: str | None = None
    first_run: int = 0


class ProbeResult(BaseModel):
    """What probing one object yields; ``cover`` carries embedded artwork bytes read with the
    probe, ``cover_at`` where a cover lies that the probe skipped (one of the two at most)."""

    container: str | None = None
    duration: float | None = None
    bitrate: int | None = None
    size: int = 0
    streams: list[MediaStream] = Field(default_factory=list)
    tags: Tags = Field(default_factory=Tags)
    cover: bytes | None = Field(default=None, exclude=True)
    cover_mime: str | None = None
    cover_at: CoverLocation | None = None
    # why the file is damaged though it plays (cut short); ``duration`` is then what plays
    damage: str | None = None
    default_audio_stream_index: int | None = None


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


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str | None = None  # the character, for cast
    order: int | None = None
    image_url: str | None = None


class ExternalIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tmdb: int | None = None
    imdb: str | None = None
    tvdb: int | None = None
    musicbrainz_recording: str | None = None
    musicbrainz_release: str | None = None
    musicbrainz_release_group: str | None = None
    musicbrainz_artist: str | None = None


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str  # tmdb, imdb, ...
    value: float
    votes: int | None = None


MAX_CAST = 20  # an item keeps its first 20 cast members (billing order): a detail page's worth


class ItemMetadata(BaseModel):
    """What an NFO sidecar or an enrichment service said of the item beyond its own fields: cast,
    ids on other services, ratings, remote artwork. Kept on the item so its detail can show them;
    each field is empty where no source knew it."""

    model_config = ConfigDict(extra="ignore")

    sources: list[str] = Field(default_factory=list)
    original_title: str | None = None
    tagline: str | None = None
    studios: list[str] = Field(default_factory=list)
    ratings: list[Rating] = Field(default_factory=list)
    cast: list[Person] = Field(default_factory=list, max_length=MAX_CAST)
    external_ids: ExternalIds = Field(default_factory=ExternalIds)
    poster_url: str | None = None
    backdrop_url: str | None = None
    cover_url: str | None = None

    def filled_from(self, other: ItemMetadata) -> ItemMetadata:
        """These values, with the gaps filled from ``other`` (a source of lower priority)."""
        return ItemMetadata.model_validate(fill_gaps(self.model_dump(), other.model_dump()))


UNION_FIELDS = frozenset({"sources", "errors"})  # lists of where things came from: joined


def fill_gaps(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Merge two dumps of one metadata model field by field: a value of ``mine`` stands, an
    empty one (None, []) takes ``theirs``; external ids merge id by id; the source lists are
    joined. One rule for every source (NFO, TMDB, MusicBrainz, a plugin), whatever the order."""
    out: dict[str, Any] = {}
    for key, value in mine.items():
        if key in UNION_FIELDS:
            out[key] = value + [s for s in theirs[key] if s not in value]
        elif key == "external_ids":
            out[key] = {k: v if v is not None else theirs[key][k] for k, v in value.items()}
        else:
            out[key] = value if value not in (None, []) else theirs[key]
    return out


class OptimizedVersion(BaseModel):
    """One optimized version of an item (a library's preset, made on ingest): the preset's name,
    the content address of its output, and the source audio stream it carries (its
    ``MediaStream.index``). Which bytes it holds is in the address: a replaced file's item names
    new ones."""

    preset: str
    h: str
    audio_stream_index: int | None = None


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
    # ready but cut short (viewra.media.probe.damage): ``duration`` is what plays, ``damage``
    # says why
    damaged: bool = False
    damage: str | None = None
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
    metadata: ItemMetadata | None = None  # from an NFO sidecar or enrichment, if any said more
    container: str | None = None
    duration: float | None = None
    bitrate: int | None = None
    streams: list[MediaStream] = Field(default_factory=list)
    # Jellyfin's MediaSourceInfo.DefaultAudioStreamIndex: the audio stream the container marks
    # as default, played when a request names none (see default_audio_index).
    default_audio_stream_index: int | None = None
    artwork_key: str | None = None
    # the library's presets that fit this item, queued when the scan catalogued it
    optimized_versions: list[OptimizedVersion] = Field(default_factory=list)
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


def default_audio_index(streams: list[MediaStream]) -> int | None:
    """The container's default audio stream: the first embedded audio stream flagged default,
    else the first embedded audio stream (Jellyfin's probe does the same when no language
    preference picks one); ``None`` without audio."""
    audio = [s for s in streams if s.type is StreamType.AUDIO and not s.external]
    flagged = next((s for s in audio if s.default), None)
    chosen = flagged or (audio[0] if audio else None)
    return chosen.index if chosen is not None else None

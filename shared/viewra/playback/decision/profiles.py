"""Device profiles: Jellyfin's ``DeviceProfile`` JSON, parsed once and shared by every decision.

A profile says what a client plays untouched (``DirectPlayProfiles``), what it wants when it
cannot (``TranscodingProfiles``), the limits it puts on containers and codecs
(``ContainerProfiles``, ``CodecProfiles`` with ``ApplyConditions``) and how it takes subtitles
(``SubtitleProfiles``). Lists such as ``"mp4,m4v"`` are parsed into :class:`NameList` once, when
the profile is loaded, so :func:`viewra.playback.decision.decide.decide` never re-parses a profile.

Built-in profiles live as JSON in ``viewra/data/profiles``; :func:`load_builtin_profiles` reads
them once per process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator

from viewra.playback.decision.conditions import AUDIO_PROPERTIES, ProfileCondition
from viewra.playback.decision.enums import (
    CodecType,
    DlnaProfileType,
    EncodingContext,
    MediaStreamProtocol,
    SubtitleDeliveryMethod,
)
from viewra.playback.decision.names import NameList, canonical
from viewra.playback.decision.profile_base import ProfileModel

Conditions = tuple[ProfileCondition, ...]

# Transcoding containers that name a playlist rather than a media container.
_PLAYLIST_CONTAINERS = frozenset({"m3u8", "hls"})


class DirectPlayProfile(ProfileModel):
    """A container + codecs combination the client plays as it is (empty codec list: any)."""

    container: str = ""
    audio_codec: str = ""
    video_codec: str = ""
    # Jellyfin's enum default (the first member) when the JSON leaves Type out.
    type: DlnaProfileType = DlnaProfileType.AUDIO

    _containers: NameList = PrivateAttr()
    _audio: NameList = PrivateAttr()
    _video: NameList = PrivateAttr()

    def model_post_init(self, __context: Any) -> None:
        self._containers = NameList.parse(self.container)
        self._audio = NameList.parse(self.audio_codec)
        self._video = NameList.parse(self.video_codec)

    # An unknown name (no container, no codec) is never "supported", even by an empty list:
    # ContainerHelper.ContainsContainer answers an empty input before it looks at the list.
    def supports_container(self, containers: tuple[str, ...]) -> bool:
        if not containers:
            return self._containers.negative
        return self._containers.matches_any(containers)

    def supports_video_codec(self, codec: str | None) -> bool:
        if codec is None:
            return self.type is DlnaProfileType.VIDEO and self._video.negative
        return self.type is DlnaProfileType.VIDEO and self._video.matches(codec)

    def supports_audio_codec(self, codec: str | None) -> bool:
        if codec is None:
            return self._audio.negative
        return self._audio.matches(codec)

    @property
    def containers(self) -> NameList:
        return self._containers

    @property
    def audio_codecs(self) -> NameList:
        return self._audio


class TranscodingProfile(ProfileModel):
    """What the client wants when it cannot direct play: first match for the media type wins."""

    # Jellyfin defaults what the JSON leaves out: a missing Container is "" (Jellyfin Media
    # Player and Kodi send ``{"Type": "Audio"}`` alone), a missing Type is Audio.
    container: str = ""
    type: DlnaProfileType = DlnaProfileType.AUDIO
    video_codec: str = ""
    audio_codec: str = ""
    protocol: MediaStreamProtocol = MediaStreamProtocol.HTTP
    context: EncodingContext = EncodingContext.STREAMING
    estimate_content_length: bool = False
    enable_mpegts_m2ts_mode: bool = Field(default=False, alias="EnableMpegtsM2TsMode")
    copy_timestamps: bool = False
    enable_subtitles_in_manifest: bool = False
    max_audio_channels: int | None = None
    min_segments: int = 0
    segment_length: int = 0
    break_on_non_key_frames: bool = False
    conditions: Conditions = ()

    _video: tuple[str, ...] = PrivateAttr()
    _audio: tuple[str, ...] = PrivateAttr()
    _container: str = PrivateAttr()
    _protocol: MediaStreamProtocol = PrivateAttr()

    @field_validator("protocol", mode="before")
    @classmethod
    def _empty_protocol_is_http(cls, value: object) -> object:
        # Jellyfin's JsonDefaultStringEnumConverter: "" is the enum's [DefaultValue], http.
        return value or MediaStreamProtocol.HTTP

    @field_validator("context", mode="before")
    @classmethod
    def _empty_context_is_streaming(cls, value: object) -> object:
        return value or EncodingContext.STREAMING

    @field_validator("max_audio_channels", mode="before")
    @classmethod
    def _channels_text(cls, value: object) -> object:
        # Jellyfin types MaxAudioChannels as a string ("6"); "" means no limit.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def model_post_init(self, __context: Any) -> None:
        self._video = NameList.parse(self.video_codec).ordered
        self._audio = NameList.parse(self.audio_codec).ordered
        container = canonical(self.container) or ""
        self._protocol = self.protocol
        if container in _PLAYLIST_CONTAINERS:
            # Kodi asks for Container "m3u8": a playlist, i.e. HLS, whose segments Jellyfin
            # writes as MPEG-TS. Our transcoder takes the segment container and the protocol.
            container, self._protocol = "ts", MediaStreamProtocol.HLS
        self._container = container

    @property
    def video_codecs(self) -> tuple[str, ...]:
        """Target video codecs in preference order (canonical names)."""
        return self._video

    @property
    def audio_codecs(self) -> tuple[str, ...]:
        """Target audio codecs in preference order; for music, the container names the codec
        (Jellyfin's ``AudioCodec ?? Container``). Empty when the profile names neither."""
        if self._audio:
            return self._audio
        if self.type is DlnaProfileType.AUDIO and self._container:
            return (self._container,)
        return ()

    @property
    def target_container(self) -> str:
        """The output container; ``""`` when the profile names none (the caller decides)."""
        return self._container

    @property
    def delivery_protocol(self) -> MediaStreamProtocol:
        """``Protocol``, except that a playlist container (``m3u8``) means HLS."""
        return self._protocol


class ContainerProfile(ProfileModel):
    """Conditions on the whole file for one media type and container list (empty: any)."""

    type: DlnaProfileType = DlnaProfileType.AUDIO
    container: str = ""
    conditions: Conditions = ()

    _containers: NameList = PrivateAttr()

    def model_post_init(self, __context: Any) -> None:
        self._containers = NameList.parse(self.container)

    def applies_to(self, containers: tuple[str, ...]) -> bool:
        return self._containers.matches_any(containers)


class CodecProfile(ProfileModel):
    """Conditions on one kind of stream, for some codecs in some containers.

    ``ApplyConditions`` gate the profile (Jellyfin's ``ContainsAnyCodec`` plus ``ApplyConditions
    .All(...)``): when the stream fails one, the profile's ``Conditions`` are not checked at all.

    A profile whose ``Container`` is ``hls`` speaks about HLS output: for it, ``SubContainer``
    (``mp4`` for fMP4 segments, ``ts``) is what the output's segment container must match, and
    it never applies to a file played or remuxed as it is.
    """

    type: CodecType = CodecType.VIDEO
    codec: str = ""
    container: str = ""
    sub_container: str = ""
    conditions: Conditions = ()
    apply_conditions: Conditions = ()

    _codecs: NameList = PrivateAttr()
    _containers: NameList = PrivateAttr()
    _sub_containers: NameList = PrivateAttr()
    _is_hls: bool = PrivateAttr()

    @field_validator("conditions", "apply_conditions")
    @classmethod
    def _audio_side_reads_audio(cls, value: Conditions, info: Any) -> Conditions:
        kind = info.data.get("type")
        if kind in (CodecType.AUDIO, CodecType.VIDEO_AUDIO):
            for i, cond in enumerate(value):
                if cond.property not in AUDIO_PROPERTIES:
                    raise ValueError(
                        f"condition {i}: {cond.property.value} is not an audio property, "
                        f"but this is a {kind.value} codec profile"
                    )
        return value

    def model_post_init(self, __context: Any) -> None:
        self._codecs = NameList.parse(self.codec)
        self._containers = NameList.parse(self.container)
        self._sub_containers = NameList.parse(self.sub_container)
        self._is_hls = self._containers.names == {"hls"} and not self._containers.negative

    def applies_to(
        self, codec: str | None, containers: tuple[str, ...], *, hls: bool = False
    ) -> bool:
        """Jellyfin's ``CodecProfile.ContainsAnyCodec``: container list, then codec list.

        ``hls`` says ``containers`` are an HLS output's segments: then a ``Container: hls``
        profile is matched by its ``SubContainer`` (useSubContainer in Jellyfin).
        """
        names = self._sub_containers if hls and self._is_hls else self._containers
        if not names.matches_any(containers):
            return False
        return self._codecs.is_empty or (codec is not None and self._codecs.matches(codec))


class SubtitleProfile(ProfileModel):
    """A subtitle format the client takes, and how (External file, Embed in the stream, Hls…)."""

    format: str = ""
    # Jellyfin's enum default, Encode (burn-in), when the JSON leaves Method out.
    method: SubtitleDeliveryMethod = SubtitleDeliveryMethod.ENCODE
    language: str = ""
    container: str = ""

    _format: str = PrivateAttr()
    _languages: NameList = PrivateAttr()
    _containers: NameList = PrivateAttr()

    def model_post_init(self, __context: Any) -> None:
        self._format = canonical(self.format) or ""
        self._languages = NameList.parse(self.language)
        self._containers = NameList.parse(self.container)

    @property
    def canonical_format(self) -> str:
        return self._format

    def supports_language(self, language: str | None) -> bool:
        """Jellyfin's ``SupportsLanguage``: no list takes all; an unknown language is ``und``."""
        return self._languages.matches((language or "und").lower())

    def supports_container(self, container: str | None) -> bool:
        return self._containers.matches(container)

    def supports_file_container(self, container: str | None) -> bool:
        """ContainerHelper on a subtitle file: an unknown container matches no list."""
        if container is None:
            return self._containers.negative
        return self._containers.matches(container)


class DeviceProfile(ProfileModel):
    """A client's capabilities, in Jellyfin's ``DeviceProfile`` shape (bitrates in bit/s)."""

    name: str = ""
    id: str | None = None
    max_streaming_bitrate: int | None = None
    max_static_bitrate: int | None = None
    music_streaming_transcoding_bitrate: int | None = None
    max_static_music_bitrate: int | None = None
    direct_play_profiles: tuple[DirectPlayProfile, ...] = ()
    transcoding_profiles: tuple[TranscodingProfile, ...] = ()
    container_profiles: tuple[ContainerProfile, ...] = ()
    codec_profiles: tuple[CodecProfile, ...] = ()
    subtitle_profiles: tuple[SubtitleProfile, ...] = ()

    _direct: dict[DlnaProfileType, tuple[DirectPlayProfile, ...]] = PrivateAttr()
    _codec: dict[CodecType, tuple[CodecProfile, ...]] = PrivateAttr()
    _container: dict[DlnaProfileType, tuple[ContainerProfile, ...]] = PrivateAttr()

    def model_post_init(self, __context: Any) -> None:
        self._direct = {
            t: tuple(p for p in self.direct_play_profiles if p.type is t) for t in DlnaProfileType
        }
        self._codec = {t: tuple(p for p in self.codec_profiles if p.type is t) for t in CodecType}
        self._container = {
            t: tuple(p for p in self.container_profiles if p.type is t) for t in DlnaProfileType
        }

    def direct_play(self, kind: DlnaProfileType) -> tuple[DirectPlayProfile, ...]:
        return self._direct[kind]

    def codec(self, kind: CodecType) -> tuple[CodecProfile, ...]:
        return self._codec[kind]

    def containers(self, kind: DlnaProfileType) -> tuple[ContainerProfile, ...]:
        return self._container[kind]

    def transcoding(
        self, kind: DlnaProfileType, context: EncodingContext
    ) -> tuple[TranscodingProfile, ...]:
        """Transcoding profiles for one media type and context, in the profile's order."""
        return tuple(
            p for p in self.transcoding_profiles if p.type is kind and p.context is context
        )


class ProfileError(ValueError):
    """A device profile that does not parse; ``errors`` carry each bad field's path (``loc``).

    The API answers 422 with ``errors`` as they are: ``loc`` uses the profile's own PascalCase
    keys, e.g. ``("CodecProfiles", 2, "Conditions", 0, "Value")``.
    """

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {"loc": (), "msg": "invalid profile"}
        where = ".".join(str(p) for p in first["loc"]) or "<profile>"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"invalid device profile at {where}: {first['msg']}{more}")


def parse_profile(data: Mapping[str, Any] | str | bytes) -> DeviceProfile:
    """Parse Jellyfin device-profile JSON (mapping or text), or raise :class:`ProfileError`."""
    try:
        if isinstance(data, str | bytes):
            return DeviceProfile.model_validate_json(data)
        return DeviceProfile.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": tuple(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False)
        ]
        raise ProfileError(errors) from None


class UnknownProfileError(KeyError):
    """No built-in profile has that name."""


@cache
def _builtin() -> dict[str, DeviceProfile]:
    folder = resources.files("viewra").joinpath("data", "profiles")
    out: dict[str, DeviceProfile] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            out[entry.name.removesuffix(".json")] = parse_profile(json.loads(entry.read_text()))
    return out


def load_builtin_profiles() -> dict[str, DeviceProfile]:
    """The built-in profiles by file name (``chrome``, ``roku``…), parsed once per process."""
    return dict(_builtin())


def get_profile(name: str) -> DeviceProfile:
    """One built-in profile by name; :class:`UnknownProfileError` names the known ones."""
    profiles = _builtin()
    try:
        return profiles[name]
    except KeyError:
        raise UnknownProfileError(
            f"no built-in profile {name!r}; known: {', '.join(sorted(profiles))}"
        ) from None

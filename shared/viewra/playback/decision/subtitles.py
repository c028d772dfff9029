"""How a chosen subtitle reaches the client: Jellyfin's ``StreamBuilder.GetSubtitleProfile``.

Order of preference, as Jellyfin: embedded in the stream in its own format, embedded after a
text conversion, an external file (or HLS rendition) in its own format, one after conversion,
and finally ``Encode``: burned into re-encoded video. Rules kept from Jellyfin:

* a text subtitle converts to any other text format except to or from ASS/SSA (styling would
  be lost, so Jellyfin burns those in rather than flatten them);
* picture subtitles (PGS, VobSub, DVB) never convert; an External profile must be a picture
  format for them;
* embedding into a new container (remux or transcode) only works for Matroska output, and
  there an external text subtitle can be embedded too (the transcoder muxes the file in);
* HLS delivery needs a text subtitle and an HLS output;
* an External profile with a ``Container`` (``mks`` for VobSub) only takes a subtitle whose
  file is in that container: an external file by its extension, an embedded stream by the
  container the server extracts it to;
* an embedded subtitle goes out as an External or HLS track only when the server may extract
  it (Jellyfin's ``CanExtractSubtitles``); otherwise it is embedded or burned in.

Ours on top: a ``Drop`` profile matching the format is used before falling back to burn-in (the
client says "do not bother"), and ``Hls`` also serves a remux (our DirectStream is HLS too).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from viewra.media.models.items import MediaStream
from viewra.playback.decision.enums import MediaStreamProtocol, PlayMethod
from viewra.playback.decision.enums import SubtitleDeliveryMethod as M
from viewra.playback.decision.names import IMAGE_SUBTITLE_FORMATS, canonical
from viewra.playback.decision.profiles import SubtitleProfile

_STYLED = frozenset({"ass", "ssa"})
_EMBED_OUTPUTS = frozenset({"mkv"})
# What the server extracts an embedded picture subtitle into, when not a file of its own format.
_EXTRACT_CONTAINERS = {"dvdsub": "mks"}


def is_text_format(fmt: str | None) -> bool:
    """Jellyfin's ``MediaStream.IsTextFormat``: anything that is not a picture format."""
    return fmt not in IMAGE_SUBTITLE_FORMATS


def can_convert(source: str | None, target: str) -> bool:
    """Jellyfin's ``SupportsSubtitleConversionTo``: text to text, never to or from ASS/SSA."""
    return (
        is_text_format(source)
        and is_text_format(target)
        and source not in _STYLED
        and target not in _STYLED
    )


def subtitle_file_container(stream: MediaStream) -> str | None:
    """The container a subtitle reaches the client in as a separate file: an external file's
    own (its extension: ``srt``, ``idx``, ``mks``), or the one the server extracts an embedded
    stream to (VobSub into Matroska, ``mks``; any other format into a file of its own name)."""
    if stream.external:
        key = stream.external_key or ""
        name = key.rsplit("/", 1)[-1]
        return canonical(name.rsplit(".", 1)[-1]) if "." in name else None
    codec = canonical(stream.codec)
    return _EXTRACT_CONTAINERS.get(codec or "", codec)


def subtitle_delivery(
    stream: MediaStream,
    profiles: tuple[SubtitleProfile, ...],
    method: PlayMethod,
    output_container: str | None,
    protocol: MediaStreamProtocol | None,
    *,
    can_extract: bool = True,
) -> tuple[M, str | None]:
    """The delivery method and the format the client gets for ``stream``."""
    codec = canonical(stream.codec)
    text = is_text_format(codec)
    remux = method is not PlayMethod.DIRECT_PLAY
    hls_out = remux and protocol is MediaStreamProtocol.HLS
    container = canonical(output_container)

    # An external file can only be embedded into a new container, and only a text one.
    embeds = (not stream.external or (remux and text)) and not hls_out
    if embeds:
        embeddable = [
            p
            for p in profiles
            if p.method is M.EMBED
            and p.supports_language(stream.language)
            and p.supports_container(container)
            and (not remux or container in _EMBED_OUTPUTS)
        ]
        for p in embeddable:
            if p.canonical_format == codec and text == is_text_format(p.canonical_format):
                return M.EMBED, p.canonical_format
        for p in embeddable:
            if text and can_convert(codec, p.canonical_format):
                return M.EMBED, p.canonical_format

    separate = stream.external or can_extract
    file_container = subtitle_file_container(stream) if separate else None
    for allow_conversion in (False, True):
        for p in profiles:
            if not separate:
                break
            if p.method is M.HLS:
                if not (hls_out and text):
                    continue
            elif p.method is M.EXTERNAL:
                if text != is_text_format(p.canonical_format):
                    continue
                if p.container and not p.supports_file_container(file_container):
                    continue
            else:
                continue
            if not p.supports_language(stream.language):
                continue
            if p.canonical_format == codec:
                return p.method, p.canonical_format
            if allow_conversion and can_convert(codec, p.canonical_format):
                return p.method, p.canonical_format

    for p in profiles:
        if p.method is M.DROP and p.canonical_format == codec:
            return M.DROP, codec
    return M.ENCODE, codec


class SubtitleTrack(BaseModel):
    """One subtitle stream of the item and how it reaches this client, as Jellyfin sets
    ``DeliveryMethod`` (and, for ``External``, ``DeliveryUrl``) on every subtitle stream of the
    media source it answers with, not just on the chosen one: a client can then show or switch
    to any External track itself and needs a new decision only for the others."""

    model_config = ConfigDict(frozen=True)

    index: int
    codec: str | None = None
    language: str | None = None
    title: str | None = None
    default: bool = False
    forced: bool = False
    hearing_impaired: bool = False
    external: bool = False
    delivery: M
    format: str | None = None
    url: str | None = None


def subtitle_tracks(
    streams: list[MediaStream],
    profiles: tuple[SubtitleProfile, ...],
    method: PlayMethod,
    output_container: str | None,
    protocol: MediaStreamProtocol | None,
    *,
    can_extract: bool = True,
) -> list[SubtitleTrack]:
    """Every subtitle stream's delivery under a decision already made (its method, container
    and protocol); the URL is the caller's to add."""
    tracks = []
    for stream in streams:
        delivery, fmt = subtitle_delivery(
            stream, profiles, method, output_container, protocol, can_extract=can_extract
        )
        tracks.append(
            SubtitleTrack(
                index=stream.index,
                codec=stream.codec,
                language=stream.language,
                title=stream.title,
                default=stream.default,
                forced=stream.forced,
                hearing_impaired=stream.hearing_impaired,
                external=stream.external,
                delivery=delivery,
                format=fmt,
            )
        )
    return tracks

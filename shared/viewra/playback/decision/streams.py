"""Which audio and subtitle streams play when the request does not say, as Jellyfin picks them."""

from __future__ import annotations

from viewra.media.models.items import MediaItem, MediaStream, StreamType


def choose_audio(item: MediaItem, index: int | None) -> MediaStream | None:
    """Jellyfin's ``GetDefaultAudioStream(options.AudioStreamIndex ?? DefaultAudioStreamIndex)``:
    the requested index, else the item's default audio stream (what the probe read from the
    container's default flags), else the default-flagged audio stream, else the first one. An
    index that is not an audio stream falls back the same way (Jellyfin does not fail the
    request either)."""
    audio = [s for s in item.streams if s.type is StreamType.AUDIO]
    for wanted in (index, item.default_audio_stream_index):
        if wanted is not None:
            for s in audio:
                if s.index == wanted:
                    return s
    for s in audio:
        if s.default:
            return s
    return audio[0] if audio else None


def audio_candidates(
    item: MediaItem, chosen: MediaStream | None, requested: int | None
) -> tuple[MediaStream, ...]:
    """Streams that may stand in for ``chosen`` when direct playing (Jellyfin's
    ``candidateAudioStreams``): with no explicit request, every default-flagged stream if the
    chosen one is default, else every stream in the chosen one's language; the chosen stream
    comes first so it wins ties."""
    if chosen is None:
        return ()
    if requested is not None and requested >= 0 and chosen.index == requested:
        return (chosen,)
    audio = [s for s in item.streams if s.type is StreamType.AUDIO]
    if chosen.default:
        same = [s for s in audio if s.default]
    else:
        same = [s for s in audio if s.language == chosen.language]
    ordered = [chosen, *(s for s in same if s.index != chosen.index)]
    return tuple(ordered)


def choose_subtitle(item: MediaItem, index: int | None) -> MediaStream | None:
    """The requested subtitle (-1: none); with no request, a forced track, else a default one.

    Jellyfin also weighs the user's language preferences here; we have none, so forced (meant
    to be shown with any audio) and then the file's default flag decide.
    """
    subs = [s for s in item.streams if s.type is StreamType.SUBTITLE]
    if index is not None:
        return next((s for s in subs if s.index == index), None)
    for flag in ("forced", "default"):
        for s in subs:
            if getattr(s, flag):
                return s
    return None

"""Playlists as clients get them: stored playlists with every URI made playable from outside.

The master playlist points at the media playlist through ``variant_url`` (the API route that
serves :func:`render_media`, e.g. ``/transcode/{h}/media.m3u8``); the media playlist's segments
(and fMP4 init section) become presigned GET URLs of the content bucket. A job still running has
an EVENT media playlist of the segments uploaded so far, so playback can start before it ends.
"""

from __future__ import annotations

from collections.abc import Callable

from viewra.common.errors import NotFound
from viewra.transcoding import hls
from viewra.transcoding.chunks import AUDIO_GROUP, AUDIO_PLAYLIST, ChunkPlan, live_media_playlist
from viewra.transcoding.command import MASTER_PLAYLIST, MEDIA_PLAYLIST, MP4_FILE
from viewra.transcoding.context import Transcoder
from viewra.transcoding.jobs import touch

PLAYLISTS = (MASTER_PLAYLIST, MEDIA_PLAYLIST, AUDIO_PLAYLIST)


def _stored(tc: Transcoder, h: str, name: str) -> str:
    data = tc.content.get_bytes(tc.content.key(h, name))
    if data is None:
        raise NotFound(f"no {name} for transcode {h}")
    return data.decode("utf-8")


def render_media(tc: Transcoder, h: str, name: str = MEDIA_PLAYLIST) -> str:
    """The media playlist with presigned segment URLs. A fanned-out job's has no stored copy
    until it is complete: it is made from the record, the segments counted up so far in order
    up to the first missing one."""
    if name not in (MEDIA_PLAYLIST, AUDIO_PLAYLIST):
        raise NotFound(f"no playlist {name}")
    data = tc.content.get_bytes(tc.content.key(h, name))
    if data is not None:
        text = data.decode("utf-8")
    else:
        record = tc.jobs.get(h) if name == MEDIA_PLAYLIST else None
        if record is None or not getattr(record, "plan", None):
            raise NotFound(f"no {name} for transcode {h}")
        plan = ChunkPlan.from_dict(record.plan)
        text = live_media_playlist(plan, {int(n) for n in record.segments or ()})
    expires = tc.settings.player_url_seconds(_length(text))
    return hls.rewrite_uris(text, lambda uri: tc.content.presign(tc.content.key(h, uri), expires))


def _length(playlist: str) -> float:
    """A media playlist's length: the sum of its segments' EXTINF durations."""
    total = 0.0
    for line in playlist.splitlines():
        if line.startswith("#EXTINF:"):
            try:
                total += float(line[8:].split(",", 1)[0])
            except ValueError:
                continue
    return total


def render_master(tc: Transcoder, h: str, variant_url: Callable[[str], str]) -> str:
    """The master playlist with each variant at ``variant_url(name)``; counts as a use (LRU).

    While the job runs there is no stored master yet: one is made for the media playlist so
    far (bandwidth from the requested bitrates, else a nominal 2 Mbit/s)."""
    data = tc.content.get_bytes(tc.content.key(h, MASTER_PLAYLIST))
    if data is not None:
        text = data.decode("utf-8")
    else:
        record = tc.jobs.get(h)
        plan = getattr(record, "plan", None) if record is not None else None
        if plan:  # a fanned-out job: playable once segment 0 is counted up
            if 0 not in {int(n) for n in record.segments or ()}:  # type: ignore[union-attr]
                raise NotFound(f"no {MEDIA_PLAYLIST} for transcode {h} yet")
        else:
            _stored(tc, h, MEDIA_PLAYLIST)  # NotFound until the first segments are up
        params = (record.params if record is not None else None) or {}
        rate = int(params.get("video_bitrate") or 0) + int(params.get("audio_bitrate") or 0)
        audio = None
        if plan and ChunkPlan.from_dict(plan).audio:
            audio = hls.AudioRendition(AUDIO_GROUP, AUDIO_PLAYLIST)
        text = hls.master_playlist(
            [hls.Variant(uri=MEDIA_PLAYLIST, bandwidth=rate or 2_000_000)], audio=audio
        )
    touch(tc, h)
    return hls.rewrite_uris(text, variant_url)


def render(tc: Transcoder, h: str, name: str, base_url: str) -> str:
    """What ``GET {base_url}/{name}`` answers: the master (variants under ``base_url``) or the
    media playlist."""
    if name == MASTER_PLAYLIST:
        return render_master(tc, h, lambda uri: f"{base_url.rstrip('/')}/{uri}")
    return render_media(tc, h, name)


def mp4_url(tc: Transcoder, h: str) -> str:
    """A presigned URL of a progressive MP4 output (ready jobs only)."""
    key = tc.content.key(h, MP4_FILE)
    if not tc.content.has_manifest(h) or not tc.content.exists(key):
        raise NotFound(f"no MP4 output for transcode {h}")
    touch(tc, h)
    files = (tc.content.manifest(h) or {}).get("files") or []
    duration = max((float(f.get("duration") or 0) for f in files if isinstance(f, dict)), default=0)
    return tc.content.presign(key, tc.settings.player_url_seconds(duration))

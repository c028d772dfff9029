"""Optimized versions of an item: which of a library's presets fit it (and their content
addresses), queueing them as ordinary transcode requests, their states, and a ready version's
media facts for the playback decision.

A version is asked for like any transcode (:func:`viewra.transcoding.jobs.request_transcode`), so
the content address deduplicates it: a re-scan, a replayed event or two libraries asking for the
same preset of the same bytes share one job and one output. Imports the transcoding core and the
media records only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from viewra.common.errors import NotFound
from viewra.common.logs import logger
from viewra.common.timestamps import now_iso
from viewra.media.models.items import MediaItem, MediaStream, OptimizedVersion, StreamType
from viewra.transcoding.command import MP4_FILE
from viewra.transcoding.context import Transcoder
from viewra.transcoding.for_playback import request_for_item, source_of
from viewra.transcoding.jobs import JobStatus, RequestResult, get_job
from viewra.transcoding.models import output_key
from viewra.transcoding.params import content_hash
from viewra.transcoding.presets import BUILT_IN_PRESETS, default_audio


class OptimizedVersions:
    """The transcoder's side of optimized versions, handed to the media and playback modules
    (their ports) by :mod:`viewra.bootstrap`."""

    def __init__(self, context: Transcoder) -> None:
        self._tc = context

    def plan(self, item: MediaItem, presets: Sequence[str]) -> list[OptimizedVersion]:
        """The versions ``item`` gets of ``presets`` (those that fit it), with their content
        addresses: pure, no request made. A name no longer in the catalogue is skipped."""
        out: list[OptimizedVersion] = []
        audio = default_audio(item)
        for name in presets:
            found = BUILT_IN_PRESETS.get(name)
            if found is None:
                logger.warning("library names an unknown preset", extra={"preset": name})
                continue
            reason = found.skip_reason(item)
            if reason:
                logger.info(
                    "preset skipped", extra={"preset": name, "item_id": item.id, "reason": reason}
                )
                continue
            h = content_hash(source_of(item), found.params_for(item))
            index = audio.index if audio is not None else None
            out.append(OptimizedVersion(preset=name, h=h, audio_stream_index=index))
        return out

    def request(self, item: MediaItem, versions: Sequence[OptimizedVersion]) -> list[RequestResult]:
        """Queue each version (one job per content address; a ready or running one is left be)."""
        results = []
        for version in versions:
            params = BUILT_IN_PRESETS[version.preset].params_for(item)
            results.append(request_for_item(self._tc, item, params))
        return results

    def states(self, versions: Sequence[OptimizedVersion], base_url: str) -> list[dict[str, Any]]:
        """Each version with its job's state (``missing``: evicted, or never made) and the URLs
        of its file and its job."""
        out = []
        base = base_url.rstrip("/")
        for version in versions:
            row: dict[str, Any] = version.model_dump(mode="json")
            try:
                job = get_job(self._tc, version.h)
                row.update(status=job.status.value, progress=job.progress, error=job.error)
            except NotFound:
                row.update(status="missing", progress=None, error=None)
            row["url"] = f"{base}/transcodes/{version.h}/{MP4_FILE}"
            row["status_url"] = f"{base}/transcodes/{version.h}"
            out.append(row)
        return out

    def ready(self, item: MediaItem) -> list[tuple[OptimizedVersion, MediaItem]]:
        """The item's complete versions, each with its media facts as an item of its own (the
        output's object, streams as the worker probed them): what the playback decision runs
        on. One manifest read per version; the manifest's presence is what says complete."""
        out = []
        for version in item.optimized_versions:
            manifest = self._tc.content.manifest(version.h)
            if not manifest or manifest.get("entry") != MP4_FILE:
                continue
            out.append((version, version_item(item, version, manifest, self._bucket())))
        return out

    def played(self, h: str) -> None:
        """A version starts playing: its use keeps it from least-recently-used eviction (one
        conditional write, nothing read back)."""
        self._tc.jobs.touch(h, {"accessed_at": now_iso()}, only_if_status=(JobStatus.READY.value,))

    def _bucket(self) -> str:
        return self._tc.settings.content_bucket


def avc_level(codecs: str | None) -> float | None:
    """The H.264 level in ffprobe's units (41 for 4.1) from an RFC 6381 ``avc1.PPCCLL``."""
    if not codecs or not codecs.startswith(("avc1.", "avc3.")) or len(codecs) < 11:
        return None
    try:
        return float(int(codecs[9:11], 16))
    except ValueError:
        return None


def version_item(
    item: MediaItem, version: OptimizedVersion, manifest: dict[str, Any], bucket: str
) -> MediaItem:
    """A version's media facts as a :class:`MediaItem`: its streams as the worker probed them
    (codec, profile, level, size, channels, sample rate), its bitrates as the preset set them,
    and what the transcode keeps of the source (frame rate, colour range, languages)."""
    params = manifest.get("params") or {}
    source_video = item.video_streams[0] if item.video_streams else None
    source_audio = next(
        (s for s in item.audio_streams if s.index == version.audio_stream_index), None
    )
    streams: list[MediaStream] = []
    for s in manifest.get("streams") or []:
        index = len(streams)
        if s.get("type") == "video":
            streams.append(
                MediaStream(
                    index=index,
                    type=StreamType.VIDEO,
                    codec=s.get("codec"),
                    profile=s.get("profile"),
                    level=avc_level(s.get("codecs")),
                    width=s.get("width"),
                    height=s.get("height"),
                    bitrate=params.get("video_bitrate"),
                    frame_rate=source_video.frame_rate if source_video else None,
                    bit_depth=8,  # the encoder writes yuv420p
                    pixel_format="yuv420p",
                    video_range=source_video.video_range if source_video else None,
                    video_range_type=source_video.video_range_type if source_video else None,
                    anamorphic=source_video.anamorphic if source_video else None,
                    interlaced=False,
                    default=True,
                )
            )
        elif s.get("type") == "audio":
            rate = s.get("sample_rate")
            streams.append(
                MediaStream(
                    index=index,
                    type=StreamType.AUDIO,
                    codec=s.get("codec"),
                    channels=s.get("channels"),
                    sample_rate=int(rate) if rate else None,
                    bitrate=params.get("audio_bitrate"),
                    language=source_audio.language if source_audio else None,
                    title=source_audio.title if source_audio else None,
                    default=True,
                )
            )
    duration = manifest.get("duration") or item.duration
    size = int(manifest.get("total_bytes") or 0)
    audio_index = next((s.index for s in streams if s.type is StreamType.AUDIO), None)
    return item.model_copy(
        update={
            "bucket": bucket,
            "key": output_key(version.h, MP4_FILE),
            "etag": version.h,
            "size": size,
            "container": "mp4",
            "duration": duration,
            "bitrate": int(size * 8 / duration) if duration and size else None,
            "streams": streams,
            "default_audio_stream_index": audio_index,
            "damaged": False,
            "damage": None,
            "optimized_versions": [],
        }
    )

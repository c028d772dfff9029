"""An item's text subtitles as files a browser can load: WebVTT (or the sidecar's own format)
converted from a sidecar (SRT, WebVTT, ASS/SSA) or extracted from the video by ffmpeg on a
transcode worker.

This is what a subtitle's ``External`` delivery URL answers (Jellyfin's ``/Videos/{id}/{source}/
Subtitles/{index}/Stream.{format}``). Sidecars are small and converted on every request (pysubs2,
pure Python, so the api function needs no ffmpeg for them); an embedded stream takes an ffmpeg
pass over the whole file, which a transcode worker makes (:mod:`viewra.transcoding.
subtitle_extract`) while the request waits a little (then 409 ``SubtitleNotReady`` with
``Retry-After``); the WebVTT is kept in the content bucket under the item's etag.
Imports no storage adapter: the buckets are the media module's ports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pysubs2

from viewra.common.errors import Conflict, NotFound, Unprocessable
from viewra.media.models.items import ItemStatus, MediaItem, MediaStream, StreamType
from viewra.transcoding.models import FAILED_SUFFIX, SUBTITLE_PREFIX, subtitle_message

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices

# A subtitle file larger than this is not a subtitle (a feature film's SRT is about 100 KB).
MAX_SUBTITLE_BYTES = 8 * 1024 * 1024
EXTRACT_WAIT_SECONDS = 20.0  # how long a request waits for a worker's extraction: then 409
POLL_SECONDS = 0.5
RETRY_AFTER_SECONDS = 5
ASK_AGAIN_SECONDS = 600.0

# The formats a subtitle file can be asked for, and what pysubs2 calls them.
FORMATS = {"vtt": "vtt", "webvtt": "vtt", "srt": "srt", "subrip": "srt", "ass": "ass", "ssa": "ssa"}
CONTENT_TYPES = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "ass": "text/x-ssa; charset=utf-8",
    "ssa": "text/x-ssa; charset=utf-8",
}
# ffmpeg's names of the text subtitle codecs it can write as WebVTT
_TEXT_CODECS = frozenset({"subrip", "srt", "webvtt", "ass", "ssa", "mov_text", "text", "microdvd"})


@dataclass(frozen=True)
class SubtitleFile:
    body: str
    content_type: str


def parse_name(name: str) -> tuple[int, str]:
    """``"3.vtt"`` → (3, "vtt"); a clear 404 for anything else (the route's last segment)."""
    stem, _, ext = name.rpartition(".")
    fmt = FORMATS.get(ext.lower())
    if not stem.isdigit() or fmt is None:
        raise NotFound(
            f"no subtitle file {name!r}: ask for <index>.vtt (or .srt, .ass, .ssa)",
            code="NoSuchSubtitle",
        )
    return int(stem), fmt


def decode_text(data: bytes) -> str:
    """Subtitle files come in every encoding: UTF-8 (with or without BOM), UTF-16 with a BOM,
    else Windows-1252 (what old SRTs are), which decodes any byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def convert(text: str, fmt: str) -> str:
    """Any text subtitle pysubs2 reads (SRT, WebVTT, ASS/SSA, MicroDVD) in ``fmt``.

    ASS/SSA to WebVTT keeps the text and timing and drops the styling (the browser has no ASS
    renderer; a client that wants the styling asks for the ``.ass`` itself)."""
    try:
        subs = pysubs2.SSAFile.from_string(text)
    except (pysubs2.exceptions.Pysubs2Error, ValueError) as exc:
        raise Unprocessable(f"the subtitle file cannot be read: {exc}", code="BadSubtitle") from exc
    return subs.to_string(FORMATS[fmt])


def _stream(item: MediaItem, index: int) -> MediaStream:
    for stream in item.streams:
        if stream.index == index and stream.type is StreamType.SUBTITLE:
            return stream
    raise NotFound(f"item {item.id!r} has no subtitle stream {index}", code="NoSuchSubtitle")


def subtitle_file(services: MediaServices, item: MediaItem, index: int, fmt: str) -> SubtitleFile:
    """The item's subtitle ``index`` as ``fmt``: a sidecar converted, or an embedded text
    stream extracted (once; then from the content bucket)."""
    stream = _stream(item, index)
    if stream.external and stream.external_key:
        data = services.objects.read_head(item.bucket, stream.external_key, MAX_SUBTITLE_BYTES)
        return SubtitleFile(convert(decode_text(data), fmt), CONTENT_TYPES[fmt])
    if (stream.codec or "").lower() not in _TEXT_CODECS:
        raise Unprocessable(
            f"subtitle {index} is a picture format ({stream.codec}): it can only be burned in",
            code="NotTextSubtitle",
        )
    vtt = _extracted_vtt(services, item, stream)
    return SubtitleFile(convert(vtt, fmt), CONTENT_TYPES[fmt])  # one spelling of timings


def extracted_key(item: MediaItem, index: int) -> str:
    """Where an embedded stream's WebVTT is kept: a new version of the file (new etag) is a
    new key, so a cached extraction never outlives the video it came from."""
    return f"{SUBTITLE_PREFIX}{item.id}/{item.etag}/{index}.vtt"


def _asked_key(item: MediaItem) -> str:
    return f"{SUBTITLE_PREFIX}{item.id}/{item.etag}/asked"


class SubtitleNotReady(Conflict):
    """The subtitle is being extracted: ask again after ``Retry-After`` seconds."""

    code = "SubtitleNotReady"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _extracted_vtt(services: MediaServices, item: MediaItem, stream: MediaStream) -> str:
    """The stored WebVTT of an embedded stream; else ask a transcode worker for it (one pass
    for every embedded text stream of the item) and wait up to ``EXTRACT_WAIT_SECONDS``."""
    bucket = services.settings.content_bucket
    key = extracted_key(item, stream.index)
    deadline = time.monotonic() + EXTRACT_WAIT_SECONDS
    asked = False
    while True:
        if services.objects.head(bucket, key) is not None:
            return services.objects.read_head(bucket, key, MAX_SUBTITLE_BYTES).decode("utf-8")
        if services.objects.head(bucket, key + FAILED_SUFFIX) is not None:
            reason = services.objects.read_head(bucket, key + FAILED_SUFFIX, 4096)
            raise Unprocessable(reason.decode("utf-8", "replace"), code="BadSubtitle")
        if not asked:
            _ask_extraction(services, item)
            asked = True
        if time.monotonic() >= deadline:
            raise SubtitleNotReady(
                f"subtitle {stream.index} of item {item.id!r} is being extracted; ask again"
            )
        time.sleep(POLL_SECONDS)


def _ask_extraction(services: MediaServices, item: MediaItem) -> None:
    """Queue the extraction of the item's embedded text streams, unless asked for in the last
    ``ASK_AGAIN_SECONDS`` (a player retrying must not start a pass over the file each time; a
    message lost or a worker that died is asked again after that)."""
    bucket = services.settings.content_bucket
    asked = _asked_key(item)
    if services.objects.head(bucket, asked) is not None:
        when = services.objects.read_head(bucket, asked, 64).decode("ascii", "replace")
        try:
            if time.time() - float(when) < ASK_AGAIN_SECONDS:
                return
        except ValueError:
            pass
    outputs = {
        s.index: extracted_key(item, s.index)
        for s in item.streams
        if s.type is StreamType.SUBTITLE
        and not s.external
        and (s.codec or "").lower() in _TEXT_CODECS
    }
    services.objects.put_content(asked, str(time.time()).encode(), "text/plain")
    services.queues.send(
        services.settings.transcode_queue,
        [subtitle_message(item.bucket, item.key, item.etag, outputs)],
    )


def item_subtitle(services: MediaServices, item_id: str, name: str) -> SubtitleFile:
    """``GET /items/{id}/subtitles/{name}``: ``name`` is ``<stream index>.<format>``."""
    index, fmt = parse_name(name)
    item = services.catalog.get(item_id)
    if item is None or item.status is ItemStatus.REMOVED:
        raise NotFound(f"item {item_id!r} does not exist")
    return subtitle_file(services, item, index, fmt)

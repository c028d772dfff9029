"""Probe a media object through bounded byte-range reads: what it holds, never the whole object.

``probe(source)`` feeds MediaInfo from a :class:`BlockReader` over a :class:`RangeSource` (an S3
object, a local file) and maps the answer to a
:class:`~viewra.media.models.items.ProbeResult`, in ffmpeg's
vocabulary. Objects that are not media (empty, text, random bytes, a video cut before its index)
raise :class:`ProbeError` with a reason a person can act on.

Why the parse speed differs by container: ISO BMFF files (mp4, mov, m4a, 3gp) are probed at
MediaInfo's ``ParseSpeed=-1``, which reads the moov box and nothing of the media data. The moov
holds everything Viewra records (codec configuration records with the SPS, so profile, level,
bit depth, chroma, colour description and in-band HDR10 SEI; ``colr``/``mdcv``/``dvcC``; the track
matrix for rotation; ``pasp``). ``ParseSpeed=0`` would add the first frames of each track: for
a 50 MB one-minute MP4, ~170 KB of media data on top of a 35 KB moov (0.55 % of the file instead
of 0.13 %), for the x264 settings string. What is lost at -1 is HDR10+ and other per-frame SEI that
only the first frames carry. Other containers (Matroska, TS, MP3, …) need ``ParseSpeed=0``: their
headers say less, and Matroska at -1 reads whole clusters.

What is not index is not read: a long MP4's per-sample tables (a 3.5 h M4A's 2 MB ``stsz``) are
fed as short stand-ins (:mod:`viewra.media.probe.isobmff`), and an embedded cover picture (FLAC
PICTURE, ID3 APIC, MP4 ``covr``, Ogg METADATA_BLOCK_PICTURE) is located, skipped and returned as
``ProbeResult.cover_at`` for :func:`fetch_cover` (:mod:`~viewra.media.probe.flac`,
:mod:`~viewra.media.probe.id3`, :mod:`~viewra.media.probe.ogg`); the parsers see stand-ins of the
same length through the reader (:class:`~viewra.media.probe.reader.Patch`).

Containers MediaInfo would read straight through (MPEG-TS/M2TS, MPEG-PS, AVI, ASF) are fed a
capped head and the tail (:mod:`viewra.media.probe.feed`); their duration and a missing frame
rate come from the timestamps in those same bytes (:mod:`viewra.media.probe.timestamps`).
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymediainfo import MediaInfo

from viewra.media.models.items import (
    CoverLocation,
    MediaStream,
    ProbeResult,
    StreamType,
    default_audio_index,
)
from viewra.media.probe import (
    asf,
    damage,
    feed,
    flac,
    fragments,
    id3,
    isobmff,
    mapping,
    ogg,
    timestamps,
)
from viewra.media.probe.feed import Family
from viewra.media.probe.reader import (
    BlockReader,
    BudgetExceeded,
    FileRangeSource,
    ProbeError,
    RangeSource,
)
from viewra.media.probe.tags import (
    cover_from_mediainfo,
    merge_tags,
    read_with_mutagen,
    sniff_image_mime,
    tags_from_mediainfo,
)

__all__ = [
    "BlockReader",
    "BudgetExceeded",
    "FileRangeSource",
    "ProbeError",
    "RangeSource",
    "fetch_cover",
    "probe",
    "probe_reader",
]

log = logging.getLogger(__name__)

_TIMESTAMPED = frozenset({Family.MPEG_TS, Family.M2TS, Family.MPEG_PS})


def probe(
    source: RangeSource, *, block_size: int | None = None, max_bytes: int | None = None
) -> ProbeResult:
    """Probe ``source`` in ranged reads of ``block_size``, fetching at most ``max_bytes``."""
    reader = BlockReader(source, block_size=block_size, max_bytes=max_bytes)
    return probe_reader(reader)


def probe_reader(reader: BlockReader) -> ProbeResult:
    """Probe through a reader the caller keeps, to read its ``bytes_fetched`` afterwards."""
    if reader.size == 0:
        raise ProbeError("empty object (0 bytes)")
    family, cover_at = _skip_what_is_not_index(reader)
    family, info = _mediainfo(reader, family)
    general = _general_track(info)
    streams = _streams(info)
    harm = damage.check(reader, family)
    if harm is not None and not harm.playable:
        raise ProbeError(harm.reason)
    if not any(s.type in {StreamType.VIDEO, StreamType.AUDIO} for s in streams):
        raise ProbeError(_no_stream_reason(general))
    tags = tags_from_mediainfo(general)
    duration = mapping.duration_seconds(general) or _longest_stream(info)
    if family in _TIMESTAMPED:
        duration, streams = _from_timestamps(reader, family, duration, streams)
    elif family is Family.ASF and _lacks_rate(streams):
        streams = _with_rate(streams, _asf_frame_rate(reader))
    elif family is Family.FLV and duration is None:
        duration = _flv_last_tag_time(reader)
    elif family is Family.ISO_BMFF:
        duration, streams = _fragmented(reader, duration, streams)
    if harm is not None and harm.duration:
        duration = harm.duration
    if not any(s.type is StreamType.VIDEO for s in streams):
        reader.seek(0)
        music = read_with_mutagen(reader)
        if music is not None:
            tags = merge_tags(music.tags, tags)
            duration = music.duration or duration
    cover, cover_mime = cover_from_mediainfo(general)
    if cover_at is not None:
        cover, cover_mime = None, cover_at.mime
    return ProbeResult(
        container=mapping.container_name(general),
        duration=duration,
        bitrate=mapping.to_int(general.overall_bit_rate),
        size=reader.size,
        streams=streams,
        tags=tags,
        cover=cover,
        cover_mime=cover_mime if cover or cover_at else None,
        cover_at=cover_at,
        damage=harm.reason if harm else None,
        default_audio_stream_index=default_audio_index(streams),
    )


def fetch_cover(
    source: RangeSource, where: CoverLocation, max_bytes: int
) -> tuple[bytes, str | None] | None:
    """The cover picture a probe skipped (:attr:`ProbeResult.cover_at`), in one exact ranged
    read, and its type; None when it is larger than ``max_bytes`` or not an image we know.

    The probe records where the picture is instead of reading it, so its byte count is the
    container's and the picture is paid for once, by whoever stores it.
    """
    if where.length <= 0 or where.length > max_bytes or where.offset + where.length > source.size:
        return None
    data = source.read_range(where.offset, where.length)
    if len(data) != where.length:
        return None
    if where.packing == ogg.PACKING:
        unpacked = ogg.unpack_picture(data, where.first_run)
        if unpacked is None or len(unpacked[0]) > max_bytes:
            return None
        data = unpacked[0]
    mime = sniff_image_mime(data)
    return (data, mime) if mime is not None else None


class _SettingsGate:
    """Lets probes run in parallel only while they share MediaInfo's settings.

    libmediainfo keeps some options (ParseSpeed, MpegTs_MaximumOffset) where concurrent handles
    see them, so pymediainfo warns against parallel parses *with different parameters*. The local
    worker probes from several threads; this admits any number of probes with the same settings
    and makes a probe with other settings wait until those are done.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._mode: object = None
        self._active = 0

    @contextmanager
    def enter(self, mode: object) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: self._active == 0 or self._mode == mode)
            self._mode = mode
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()


_GATE = _SettingsGate()


def _fragmented(
    reader: BlockReader, duration: float | None, streams: list[MediaStream]
) -> tuple[float | None, list[MediaStream]]:
    """A fragmented MP4's length and frame rate from its index and first fragment: MediaInfo
    times the first fragment only (1 s of 8, and 24.947 fps for 25)."""
    try:
        length = fragments.fragmented_duration(reader)
        rate = fragments.fragmented_frame_rate(reader)
    except (struct.error, ValueError, IndexError) as exc:
        log.info("no length from a malformed fragment index: %s", exc)
        return duration, streams
    if rate:
        streams = [
            s.model_copy(update={"frame_rate": round(rate, 3)}) if s.type is StreamType.VIDEO else s
            for s in streams
        ]
    return length or duration, streams


def _skip_what_is_not_index(reader: BlockReader) -> tuple[Family, CoverLocation | None]:
    """The family; and, overlaid on the reader, stand-ins for what no probe needs to read.

    A long MP4's per-sample tables and a big embedded cover picture are not fed to the parsers
    (:mod:`viewra.media.probe.isobmff`, :mod:`viewra.media.probe.flac`); the cover's place is
    returned so the scan can fetch those bytes alone.
    """
    reader.seek(0)
    family = feed.sniff(reader.read(1024))
    try:
        if family is Family.ISO_BMFF:
            found = isobmff.stand_ins(reader)
        elif family is Family.OGG:
            found = ogg.stand_ins(reader)
        elif family is Family.OTHER:
            found = flac.stand_ins(reader)
            if not found.patches:
                found = id3.stand_ins(reader)  # an MP3 (or ADTS AAC) tag
        else:
            return family, None
        reader.overlay(found.patches)
    except (struct.error, ValueError) as exc:
        # a structure that contradicts itself: the parsers read the file as it is, and judge it
        log.info("no stand-ins for a malformed %s structure: %s", family.value, exc)
        return family, None
    return family, found.cover


def _mediainfo(reader: BlockReader, family: Family) -> tuple[Family, MediaInfo]:
    """MediaInfo's answer, read as the family's plan says.

    A TS whose capped head held no video frame header (a recording that starts mid-GOP at a high
    bitrate) is read again with a wider head, and a wider one still (``feed.TS_HEAD_RETRIES``);
    the blocks already fetched are not fetched again.
    """
    reader.seek(0)
    head = reader.read(1024)
    info = _parse(reader, feed.plan_for(family, head))
    if family in {Family.MPEG_TS, Family.M2TS}:
        seen = _SCAN_HEAD
        for wider in feed.TS_HEAD_RETRIES:
            # a parse that saw no video frame may list no video track at all: the program map
            # (in the head already read) says whether there is one to wait for
            video = bool(info.video_tracks) or _declares_video(reader, family, seen)
            if _frame_headers_seen(info) and (info.video_tracks or not video):
                break
            info = _parse(reader, feed.plan_for(family, wider=wider))
            seen = wider
    return family, info


def _declares_video(reader: BlockReader, family: Family, length: int) -> bool:
    reader.seek(0)
    data = reader.read(min(length, reader.size))
    size = timestamps.M2TS_PACKET if family is Family.M2TS else timestamps.TS_PACKET
    return bool(timestamps.declares_video(data, size))


def _parse(reader: BlockReader, plan: feed.ReadPlan) -> MediaInfo:
    try:
        with _GATE.enter(plan.settings):
            return feed.parse(reader, plan)
    except BudgetExceeded:
        raise
    except RuntimeError as exc:
        raise ProbeError(f"MediaInfo could not parse the object: {exc}") from exc


def _frame_headers_seen(info: MediaInfo) -> bool:
    """Whether every video track has its size and there is an audio or video track at all."""
    video = info.video_tracks
    return bool(video or info.audio_tracks) and all(t.width for t in video)


# How much of each end the timestamp scan reads: what MediaInfo was fed already (cached blocks).
# A tail with no timestamp at all (a very high bitrate), or with too few video frames to measure
# their spacing when the stream does not say its frame rate, is read wider, up to 2 MB.
_SCAN_HEAD = 64 * 1024  # the first timestamps are in the first PES packets
_SCAN_TAIL = feed.TAIL
_SCAN_TAIL_MAX = 2 * 1024 * 1024


def _from_timestamps(
    reader: BlockReader, family: Family, duration: float | None, streams: list[MediaStream]
) -> tuple[float | None, list[MediaStream]]:
    """Duration from the first and last timestamps; a missing video frame rate from their spacing.

    MediaInfo takes a TS or PS duration from its own jump to the end, which a capped read does not
    make for PS; the PES headers in the head and tail say it for both families alike.
    """
    span = _SCAN_HEAD
    head_scan = _scan(reader, family, 0, span)
    while head_scan.first is None and span < min(_SCAN_TAIL_MAX, reader.size):
        span *= 2  # a recording cut inside a big frame: the next PES header is further on
        head_scan = _scan(reader, family, 0, span)
    span = _SCAN_TAIL
    tail_scan = _scan(reader, family, reader.size - span, span)
    wants_rate = _lacks_rate(streams)
    while span < min(_SCAN_TAIL_MAX, reader.size) and (
        tail_scan.last is None or (wants_rate and tail_scan.video_count < 3)
    ):
        span *= 2
        tail_scan = _scan(reader, family, reader.size - span, span)
    duration = timestamps.duration(head_scan, tail_scan) or duration
    return duration, _with_rate(streams, timestamps.frame_rate(head_scan, tail_scan))


def _lacks_rate(streams: list[MediaStream]) -> bool:
    return any(s.type is StreamType.VIDEO and s.frame_rate is None for s in streams)


def _with_rate(streams: list[MediaStream], rate: float | None) -> list[MediaStream]:
    """The video streams that have no frame rate get ``rate`` (measured from timestamps)."""
    if rate is None:
        return streams
    return [
        s.model_copy(update={"frame_rate": rate})
        if s.type is StreamType.VIDEO and s.frame_rate is None
        else s
        for s in streams
    ]


def _asf_frame_rate(reader: BlockReader) -> float | None:
    """The frame rate from the video's presentation times in the head and tail packets.

    The first frame of a file is its biggest (it fills most of the head), so the tail, on the
    same packet grid, is read wider (like a TS tail) until it holds three frame starts.
    """
    reader.seek(0)
    header = reader.read(24)
    header_size = int.from_bytes(header[16:24], "little") if len(header) == 24 else 0
    reader.seek(0)
    head = reader.read(min(header_size, 64 << 20) + feed.ASF_PACKETS)  # what MediaInfo was fed
    grid = asf.layout(head)
    if grid is None:
        return None
    head_scan = asf.scan(grid, head, 0)
    span = _SCAN_TAIL
    while True:
        start = max(0, grid.packets_end - span)
        reader.seek(start)
        tail_scan = asf.scan(grid, reader.read(grid.packets_end - start), start)
        if tail_scan.video_count >= 3 or span >= min(_SCAN_TAIL_MAX, reader.size):
            return timestamps.frame_rate(head_scan, tail_scan)
        span *= 2


def _flv_last_tag_time(reader: BlockReader) -> float | None:
    """An FLV without a duration in its metadata: the last tag's timestamp, found through the
    PreviousTagSize field that ends the file (8 bytes of reading)."""
    if reader.size < 15:
        return None
    reader.seek(reader.size - 4)
    previous = int.from_bytes(reader.read(4), "big")
    if not 11 <= previous < reader.size - 4:
        return None
    reader.seek(reader.size - 4 - previous)
    tag = reader.read(8)
    millis = int.from_bytes(tag[4:7], "big") | tag[7] << 24
    return round(millis / 1000, 3) if millis else None


def _scan(reader: BlockReader, family: Family, start: int, length: int) -> timestamps.Scan:
    reader.seek(max(0, start))
    data = reader.read(length)
    if family is Family.MPEG_PS:
        return timestamps.scan_ps(data)
    size = timestamps.M2TS_PACKET if family is Family.M2TS else timestamps.TS_PACKET
    return timestamps.scan_ts(data, size)


def _general_track(info: MediaInfo) -> Any:
    general = info.general_tracks[0] if info.general_tracks else None
    if general is None or not general.format:
        raise ProbeError("unrecognised format: not an audio or video file")
    return general


def _no_stream_reason(general: Any) -> str:
    container = general.format
    if mapping.is_yes(general.istruncated):
        return f"no audio or video stream found: {container} file is truncated or corrupt"
    return f"no audio or video stream found in {container} file"


def _stream_order(track: Any) -> int | None:
    """The container's stream order ("3", or "0-1" for program 0 stream 1 in a TS)."""
    order = str(track.streamorder or "").split("-")[-1]
    return int(order) if order.isdigit() else None


def _streams(info: MediaInfo) -> list[MediaStream]:
    """Video, audio and subtitle streams, indexed like ffmpeg when the container says the order.

    Cover pictures (attached pics, Image tracks) are artwork, not streams: they are left out.
    """
    builders = {
        "Video": mapping.video_stream,
        "Audio": mapping.audio_stream,
        "Text": mapping.subtitle_stream,
    }
    tracks = [
        t
        for t in info.tracks
        if t.track_type in builders and not (t.track_type == "Video" and mapping.is_cover_track(t))
    ]
    orders = [_stream_order(t) for t in tracks]
    if None not in orders and len(set(orders)) == len(orders):
        pairs = sorted(((o or 0, t) for o, t in zip(orders, tracks, strict=True)), key=_first)
    else:
        pairs = list(enumerate(tracks))
    return [builders[track.track_type](track, index) for index, track in pairs]


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _longest_stream(info: MediaInfo) -> float | None:
    durations = [
        mapping.duration_seconds(t) for t in info.tracks if t.track_type in {"Video", "Audio"}
    ]
    known = [d for d in durations if d]
    return max(known) if known else None

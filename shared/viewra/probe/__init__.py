"""Probe a media object through bounded byte-range reads: what it holds, never the whole object.

``probe(source)`` feeds MediaInfo from a :class:`BlockReader` over a :class:`RangeSource` (an S3
object, a local file) and maps the answer to :class:`~viewra.models.ProbeResult`, in ffmpeg's
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
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymediainfo import MediaInfo

from viewra.models import MediaStream, ProbeResult, StreamType, default_audio_index
from viewra.probe import mapping
from viewra.probe.reader import (
    BlockReader,
    BudgetExceeded,
    FileRangeSource,
    ProbeError,
    RangeSource,
)
from viewra.probe.tags import (
    cover_from_mediainfo,
    merge_tags,
    read_with_mutagen,
    tags_from_mediainfo,
)

__all__ = [
    "BlockReader",
    "BudgetExceeded",
    "FileRangeSource",
    "ProbeError",
    "RangeSource",
    "probe",
    "probe_reader",
]

# Top-level box types an ISO BMFF / QuickTime file can start with.
_ISO_BMFF_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})


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
    info = _mediainfo(reader)
    general = _general_track(info)
    streams = _streams(info)
    if not any(s.type in {StreamType.VIDEO, StreamType.AUDIO} for s in streams):
        raise ProbeError(_no_stream_reason(general))
    tags = tags_from_mediainfo(general)
    duration = mapping.duration_seconds(general) or _longest_stream(info)
    if not any(s.type is StreamType.VIDEO for s in streams):
        reader.seek(0)
        music = read_with_mutagen(reader)
        if music is not None:
            tags = merge_tags(music.tags, tags)
            duration = music.duration or duration
    cover, cover_mime = cover_from_mediainfo(general)
    return ProbeResult(
        container=mapping.container_name(general),
        duration=duration,
        bitrate=mapping.to_int(general.overall_bit_rate),
        size=reader.size,
        streams=streams,
        tags=tags,
        cover=cover,
        cover_mime=cover_mime if cover else None,
        default_audio_stream_index=default_audio_index(streams),
    )


class _MediaInfoFeed:
    """What pymediainfo reads from: block-sized chunks, so MediaInfo can jump after each one.

    A budget overrun is turned into end-of-file and remembered, so MediaInfo still finalises and
    frees its handle (an exception inside its read loop would leak it); the caller re-raises.
    """

    def __init__(self, reader: BlockReader) -> None:
        self.reader = reader
        self.error: BudgetExceeded | None = None

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.reader.seek(offset, whence)

    def tell(self) -> int:
        return self.reader.tell()

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        try:
            return self.reader.read_chunk(size if size > 0 else self.reader.block_size)
        except BudgetExceeded as exc:
            self.error = exc
            return b""


def _parse_speed(reader: BlockReader) -> float:
    """-1 (moov only) for ISO BMFF, 0 otherwise: see the module docstring."""
    reader.seek(0)
    head = reader.read(12)
    reader.seek(0)
    return -1.0 if head[4:8] in _ISO_BMFF_FIRST_BOXES else 0.0


class _SettingsGate:
    """Lets probes run in parallel only while they share MediaInfo's settings.

    libmediainfo keeps some options (ParseSpeed among them) where concurrent handles see them, so
    pymediainfo warns against parallel parses *with different parameters*. The local worker
    probes from several threads; this admits any number of probes at one parse speed and makes
    a probe at another speed wait until those are done.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._mode: float | None = None
        self._active = 0

    @contextmanager
    def enter(self, mode: float) -> Iterator[None]:
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


def _mediainfo(reader: BlockReader) -> MediaInfo:
    parse_speed = _parse_speed(reader)
    feed = _MediaInfoFeed(reader)
    try:
        with _GATE.enter(parse_speed):
            info = MediaInfo.parse(
                feed,
                parse_speed=parse_speed,
                cover_data=True,
                full=True,
                buffer_size=reader.block_size,
            )
    except RuntimeError as exc:
        raise ProbeError(f"MediaInfo could not parse the object: {exc}") from exc
    if feed.error is not None:
        raise feed.error
    assert isinstance(info, MediaInfo)
    return info


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

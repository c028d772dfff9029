"""The fan-out plan of a long job: chunks of whole HLS segments, and the playlists built from it.

Pure: no I/O, no adapter. A chunk is ``chunk_segments`` segments of ``segment_seconds`` (the
last one shorter); its start is a multiple of the segment length, so with keyframes forced at
every segment boundary (``-force_key_frames``, the same expression a single job uses) each
chunk starts on a keyframe of its own encode and its segments are the ones a single run would
have cut. Only re-encodes are split: a copied video stream can be cut only at the source's own
keyframes, whose spacing the plan cannot choose, so copy and remux jobs run whole.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from viewra.transcoding.params import COPY, DEFAULT_SEGMENT_SECONDS, Protocol, TranscodeParams

# Every output of a chunked job (video chunks, the audio rendition) is shifted by this much, as
# ffmpeg's MPEG-TS muxer shifts a single job (its default muxdelay): the first video frame's DTS
# is then positive in every chunk, so ffmpeg never moves one chunk's timestamps on its own.
TS_BASE_SECONDS = 1.4
TAIL_SECONDS = 0.25
AUDIO_PLAYLIST = "audio.m3u8"
AUDIO_GROUP = "audio"


@dataclass(frozen=True)
class Chunk:
    index: int
    start: float  # seconds of the source
    length: float  # seconds (the last chunk: to the end)
    first_segment: int  # global number of its first segment
    segment_count: int


@dataclass(frozen=True)
class ChunkPlan:
    duration: float
    segment_seconds: int
    chunk_segments: int
    chunks: tuple[Chunk, ...]
    audio: bool  # an audio rendition is encoded in one pass beside chunk 0

    @property
    def segment_count(self) -> int:
        return sum(c.segment_count for c in self.chunks)

    def segment_duration(self, n: int) -> float:
        """The nominal length of global segment ``n`` (its EXTINF until the chunk is done)."""
        if n == self.segment_count - 1:  # the last runs to the end (with a tail too short for one)
            return round(self.duration - n * self.segment_seconds, 6)
        return float(self.segment_seconds)

    def chunk_of(self, n: int) -> Chunk | None:
        """The chunk holding global segment ``n``, or None past the end."""
        if n < 0 or n >= self.segment_count:
            return None
        return self.chunks[n // self.chunk_segments]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "chunks": [asdict(c) for c in self.chunks]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChunkPlan:
        names = Chunk.__dataclass_fields__
        chunks = tuple(Chunk(**{k: c[k] for k in names}) for c in data["chunks"])
        return cls(
            duration=float(data["duration"]),
            segment_seconds=int(data["segment_seconds"]),
            chunk_segments=int(data["chunk_segments"]),
            chunks=chunks,
            audio=bool(data["audio"]),
        )


def splittable(params: TranscodeParams) -> bool:
    """Whether a job can be fanned out: HLS in MPEG-TS with the video re-encoded and no subtitle
    burnt in. fMP4 would need one init section and matching ``tfdt`` across chunks; a copied
    video cuts only at the source's keyframes; an image subtitle's overlay needs the stream from
    its start."""
    return (
        params.protocol is Protocol.HLS
        and params.canonical_container == "ts"
        and params.canonical_video_codec not in {None, COPY}
        and params.burn_subtitle is None
    )


def plan_chunks(
    params: TranscodeParams,
    duration: float | None,
    *,
    threshold_seconds: float,
    chunk_segments: int,
) -> ChunkPlan | None:
    """The plan of a job, or None when it runs whole (short, unknown length, or not splittable)."""
    if not splittable(params) or not duration or duration <= threshold_seconds:
        return None
    seg = params.segment_length or DEFAULT_SEGMENT_SECONDS
    per_chunk = max(int(chunk_segments), 1)
    # A tail shorter than a few frames is no segment (and no chunk) of its own: the container's
    # duration ends a frame after the last frame starts, so a 240 s source at 23.976 fps lasts
    # 240.02 s with no frame from 240 s on, and a chunk there would have nothing to encode. The
    # tail stays in the last chunk, whose length runs to the end.
    segments = max(math.ceil((duration - TAIL_SECONDS) / seg), 1)
    chunks = []
    for i, first in enumerate(range(0, segments, per_chunk)):
        count = min(per_chunk, segments - first)
        start = first * seg
        last = i == math.ceil(segments / per_chunk) - 1
        length = duration - start if last else count * seg
        chunks.append(Chunk(i, float(start), round(length, 6), first, count))
    return ChunkPlan(
        duration=float(duration),
        segment_seconds=seg,
        chunk_segments=per_chunk,
        chunks=tuple(chunks),
        audio=params.canonical_audio_codec is not None,
    )


def visible_prefix(plan: ChunkPlan, done: set[int]) -> int:
    """How many segments, from the first, are all up: a playlist lists those and stops at the
    first missing one."""
    n = 0
    while n < plan.segment_count and n in done:
        n += 1
    return n


def live_media_playlist(
    plan: ChunkPlan, done: set[int], segment_name: str = "seg_{:05d}.ts"
) -> str:
    """An EVENT media playlist of the segments up so far, in order, up to the first missing one
    (no ENDLIST: the player reloads it)."""
    count = visible_prefix(plan, done)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{plan.segment_seconds}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for n in range(count):
        lines += [f"#EXTINF:{plan.segment_duration(n):.6f},", segment_name.format(n)]
    return "\n".join(lines) + "\n"


def vod_media_playlist(segments: list[tuple[str, float]], target: int) -> str:
    """The complete media playlist: every segment with its measured length, then ENDLIST."""
    longest = max((d for _, d in segments), default=target)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        # RFC 8216: each EXTINF rounded to the nearest integer is at most the target
        f"#EXT-X-TARGETDURATION:{max(target, round(longest))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for uri, duration in segments:
        lines += [f"#EXTINF:{duration:.6f},", uri]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"

"""The fan-out plan (pure): which jobs are split, into what, and the playlists built from it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewra.transcoding.chunks import (
    ChunkPlan,
    live_media_playlist,
    plan_chunks,
    splittable,
    visible_prefix,
    vod_media_playlist,
)
from viewra.transcoding.params import Protocol, TranscodeParams

HLS = TranscodeParams()


def plan(duration: float, params: TranscodeParams = HLS, per_chunk: int = 10) -> ChunkPlan | None:
    return plan_chunks(params, duration, threshold_seconds=120, chunk_segments=per_chunk)


@pytest.mark.parametrize(
    ("params", "split"),
    [
        (TranscodeParams(), True),
        (TranscodeParams(video_codec="hevc", max_height=720), True),
        (TranscodeParams(audio_codec=None), True),
        (TranscodeParams(video_codec="copy"), False),  # cut only at the source's keyframes
        (TranscodeParams(video_codec=None), False),  # audio only
        (TranscodeParams(container="mp4"), False),  # fMP4: one init section, tfdt
        (TranscodeParams(protocol=Protocol.MP4), False),
        (TranscodeParams(burn_subtitle=0), False),
    ],
)
def test_only_hls_ts_re_encodes_are_split(params: TranscodeParams, split: bool) -> None:
    assert splittable(params) is split
    assert (plan(600, params) is not None) is split


def test_short_or_unknown_sources_run_whole() -> None:
    assert plan(120) is None  # the threshold itself: not over it
    assert plan(0) is None
    assert plan_chunks(HLS, None, threshold_seconds=120, chunk_segments=10) is None


def test_a_ten_minute_source_is_ten_chunks_of_a_minute() -> None:
    p = plan(600.0)
    assert p is not None and len(p.chunks) == 10 and p.segment_count == 100
    assert [(c.start, c.first_segment, c.segment_count) for c in p.chunks[:2]] == [
        (0.0, 0, 10),
        (60.0, 10, 10),
    ]
    assert p.chunk_of(0) == p.chunks[0] and p.chunk_of(99) == p.chunks[9]
    assert p.chunk_of(100) is None and p.chunk_of(-1) is None


def test_the_last_chunk_runs_to_the_end_and_a_frame_of_tail_is_no_segment() -> None:
    p = plan(125.5, TranscodeParams(segment_length=4), per_chunk=10)
    assert p is not None and p.segment_count == 32  # 31 whole + 1.5 s
    last = p.chunks[-1]
    assert (last.start, last.segment_count, last.length) == (120.0, 2, 5.5)
    assert p.segment_duration(31) == 1.5
    # 240 s at 23.976 fps lasts 240.02 s with no frame from 240 s on: no chunk of its own
    assert plan(240.0217).segment_count == 40  # type: ignore[union-attr]
    assert plan(240.0217).chunks[-1].length == pytest.approx(60.0217)  # type: ignore[union-attr]
    assert plan(240.3).segment_count == 41  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(
    duration=st.floats(min_value=120.1, max_value=4 * 3600),
    seg=st.integers(min_value=1, max_value=10),
    per_chunk=st.integers(min_value=1, max_value=30),
)
def test_chunks_tile_the_source_with_whole_segments(
    duration: float, seg: int, per_chunk: int
) -> None:
    p = plan(duration, TranscodeParams(segment_length=seg), per_chunk)
    assert p is not None
    numbers = [
        n for c in p.chunks for n in range(c.first_segment, c.first_segment + c.segment_count)
    ]
    assert numbers == list(range(p.segment_count))
    ends = [c.start + c.length for c in p.chunks]
    assert [c.start for c in p.chunks[1:]] == pytest.approx(ends[:-1])
    assert ends[-1] == pytest.approx(duration)
    assert all(c.start % seg == 0 for c in p.chunks)  # every chunk starts on a segment boundary
    assert sum(p.segment_duration(n) for n in range(p.segment_count)) == pytest.approx(
        duration, abs=1e-3
    )
    assert ChunkPlan.from_dict(p.to_dict()) == p


def test_the_live_playlist_stops_at_the_first_missing_segment() -> None:
    p = plan(600.0)
    assert p is not None
    up = {0, 1, 2, 4, 5}
    assert visible_prefix(p, up) == 3
    text = live_media_playlist(p, up)
    assert [ln for ln in text.splitlines() if ln.startswith("seg_")] == [
        "seg_00000.ts",
        "seg_00001.ts",
        "seg_00002.ts",
    ]
    assert "#EXT-X-ENDLIST" not in text and "EVENT" in text and "DISCONTINUITY" not in text


def test_the_complete_playlist_has_measured_lengths_and_ends() -> None:
    text = vod_media_playlist([("seg_00000.ts", 6.006), ("seg_00001.ts", 3.5)], 6)
    assert "#EXTINF:6.006000," in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-TARGETDURATION:6" in text and "VOD" in text

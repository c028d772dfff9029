"""Canonical parameters and the content hash: pure, no I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from viewra.playback.decision.enums import MediaStreamProtocol
from viewra.playback.decision.outcome import TranscodeTarget
from viewra.transcoding.params import (
    Protocol,
    SourceRef,
    TranscodeParams,
    content_hash,
    params_from_target,
)

CASES = yaml.safe_load((Path(__file__).parent / "params_cases.yaml").read_text())
SOURCE = SourceRef(bucket="media", key="movies/a.mkv", etag="abc", size=1234)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_params_table(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ValidationError, match=case["error"]):
            TranscodeParams.model_validate(case["request"])
        return
    canonical = TranscodeParams.model_validate(case["request"]).canonical()
    assert {k: canonical[k] for k in case["canonical"]} == case["canonical"]


def test_the_hash_is_stable_across_releases() -> None:
    # Changing these values orphans every cached transcode: bump HASH_VERSION on purpose instead.
    assert content_hash(SOURCE, TranscodeParams()) == (
        "ee434b108fc77226bf09378b414dd4500e932d3e5c67f32af499febbd2eda53d"
    )
    copy = TranscodeParams(protocol=Protocol.MP4, video_codec="copy", audio_codec="copy")
    assert content_hash(SOURCE, copy) == (
        "713ca0ada680aab77640d9da0315b66edb2373e258974d32030c5d60b1ae6d14"
    )


def test_equivalent_requests_hash_the_same() -> None:
    a = TranscodeParams(video_codec="x264", video_bitrate="2M", segment_length=6)
    b = TranscodeParams(video_codec="h264", video_bitrate=2_000_000)
    c = TranscodeParams(video_codec="copy", max_width=640)
    d = TranscodeParams(video_codec="copy", max_width=1280)
    assert content_hash(SOURCE, a) == content_hash(SOURCE, b)
    assert content_hash(SOURCE, c) == content_hash(SOURCE, d)
    quoted = SourceRef(bucket="media", key="movies/a.mkv", etag='"abc"', size=1234)
    assert content_hash(quoted, a) == content_hash(SOURCE, a)


@pytest.mark.parametrize(
    "other",
    [
        SourceRef(bucket="media", key="movies/a.mkv", etag="abd", size=1234),
        SourceRef(bucket="media", key="movies/a.mkv", etag="abc", size=1235),
        SourceRef(bucket="media", key="movies/b.mkv", etag="abc", size=1234),
        SourceRef(bucket="other", key="movies/a.mkv", etag="abc", size=1234),
        SourceRef(bucket="media", key="movies/a.mkv", etag="abc", size=1234, version_id="v2"),
    ],
)
def test_any_change_of_source_identity_changes_the_hash(other: SourceRef) -> None:
    assert content_hash(other, TranscodeParams()) != content_hash(SOURCE, TranscodeParams())


def test_a_change_that_affects_output_changes_the_hash() -> None:
    base = content_hash(SOURCE, TranscodeParams())
    for changed in (
        TranscodeParams(video_bitrate=1_000_000),
        TranscodeParams(max_height=720),
        TranscodeParams(audio_channels=2),
        TranscodeParams(segment_length=4),
        TranscodeParams(container="mp4"),
        TranscodeParams(burn_subtitle=0),
        TranscodeParams(audio_stream_index=1),
    ):
        assert content_hash(SOURCE, changed) != base, changed


def test_params_from_a_playback_decision_target() -> None:
    target = TranscodeTarget(
        container="ts",
        protocol=MediaStreamProtocol.HLS,
        video_codec="h264",
        audio_codec="aac",
        video_bitrate=3_000_000,
        max_width=1280,
        audio_channels=2,
        segment_length=6,
    )
    params = params_from_target(target)
    assert (
        params.canonical()
        == TranscodeParams(video_bitrate=3_000_000, max_width=1280, audio_channels=2).canonical()
    )
    http = TranscodeTarget(container="mkv", protocol=MediaStreamProtocol.HTTP, video_codec="copy")
    assert params_from_target(http).protocol is Protocol.MP4

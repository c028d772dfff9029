"""Provider availability and selection, with the machine's facts given as data."""

from __future__ import annotations

import pytest

from viewra.transcoding.params import TranscodeParams
from viewra.transcoding.providers import (
    BUILT_IN,
    NVENC,
    QSV,
    REMUX,
    SOFTWARE,
    VAAPI,
    FfmpegFacts,
    Need,
    NoProvider,
    Registry,
    choose,
    parse_encoders,
    parse_hwaccels,
    unavailable_reason,
)

CPU_ONLY = FfmpegFacts(
    version="5.1",
    encoders=frozenset({"libx264", "libx265", "aac", "h264_nvenc", "h264_vaapi", "h264_qsv"}),
    hwaccels=frozenset({"cuda", "vaapi", "qsv"}),
    trials={
        "software": None,
        "nvenc": "Cannot load libcuda.so.1",
        "vaapi": "No VA display found",
        "qsv": "Generic error in an external library",
    },
)
WITH_GPU = FfmpegFacts(
    version="5.1",
    encoders=CPU_ONLY.encoders | {"hevc_nvenc"},
    hwaccels=CPU_ONLY.hwaccels,
    trials={**CPU_ONLY.trials, "nvenc": None},
)
ENCODE = Need.of(TranscodeParams())
REMUXABLE = Need.of(TranscodeParams(video_codec="copy", audio_codec="copy"))


def test_a_cpu_machine_encodes_in_software_and_says_why_the_rest_cannot() -> None:
    provider, skipped = choose(BUILT_IN, CPU_ONLY, ENCODE)
    assert provider is SOFTWARE
    assert skipped["nvenc"] == "trial encode failed: Cannot load libcuda.so.1"
    assert skipped["vaapi"].startswith("trial encode failed")
    assert skipped["remux"] == "output video codec h264 not supported"


def test_a_working_gpu_wins_over_software() -> None:
    assert choose(BUILT_IN, WITH_GPU, ENCODE)[0] is NVENC


def test_remux_wins_whenever_both_streams_are_copied() -> None:
    assert choose(BUILT_IN, WITH_GPU, REMUXABLE)[0] is REMUX


def test_a_full_provider_is_skipped_for_the_next_best() -> None:
    provider, skipped = choose(BUILT_IN, WITH_GPU, ENCODE, {"nvenc": NVENC.max_concurrency})
    assert provider is SOFTWARE
    assert skipped["nvenc"].startswith("busy")


def test_equal_priority_goes_to_the_least_loaded() -> None:
    a = SOFTWARE
    b = type(SOFTWARE)(**{**SOFTWARE.__dict__, "name": "software-2"})
    facts = FfmpegFacts(**{**CPU_ONLY.__dict__, "trials": {**CPU_ONLY.trials, "software-2": None}})
    assert choose([a, b], facts, ENCODE, {"software": 1, "software-2": 0})[0] is b
    assert choose([a, b], facts, ENCODE, {"software": 0, "software-2": 1})[0] is a


def test_missing_encoder_and_hwaccel_are_reasons() -> None:
    bare = FfmpegFacts(version="5.1", encoders=frozenset({"libx264", "aac"}))
    assert "h264_qsv" in (unavailable_reason(QSV, bare) or "")
    with_encoder = FfmpegFacts(version="5.1", encoders=frozenset({"h264_vaapi", "aac"}))
    assert unavailable_reason(VAAPI, with_encoder) == (
        "ffmpeg has no hwaccel vaapi (ffmpeg -hwaccels)"
    )
    assert unavailable_reason(SOFTWARE, FfmpegFacts(version=None)) == "ffmpeg not found"


def test_an_output_codec_without_its_encoder_is_unsupported() -> None:
    no_x265 = FfmpegFacts(**{**CPU_ONLY.__dict__, "encoders": frozenset({"libx264", "aac"})})
    with pytest.raises(NoProvider) as exc:
        choose(BUILT_IN, no_x265, Need.of(TranscodeParams(video_codec="hevc")))
    assert exc.value.reasons["software"] == "encoder libx265 for hevc not in this ffmpeg"


def test_no_provider_lists_every_reason() -> None:
    with pytest.raises(NoProvider) as exc:
        choose(BUILT_IN, FfmpegFacts(version=None), ENCODE)
    assert set(exc.value.reasons) == {p.name for p in BUILT_IN}


def test_burn_in_needs_a_provider_that_can() -> None:
    need = Need.of(TranscodeParams(burn_subtitle=0))
    assert REMUX.unsupported(need) is not None
    assert SOFTWARE.unsupported(need) is None


def test_registry_describes_every_provider_and_counts_running_jobs() -> None:
    registry = Registry(facts=CPU_ONLY)
    rows = {r.name: r for r in registry.describe()}
    assert set(rows) == {p.name for p in BUILT_IN}
    assert rows["software"].available and rows["remux"].available
    assert not rows["nvenc"].available and "libcuda" in (rows["nvenc"].reason or "")
    with registry.acquire(ENCODE) as provider:
        assert provider is SOFTWARE
        assert {r.name: r.running for r in registry.describe()}["software"] == 1
    assert {r.name: r.running for r in registry.describe()}["software"] == 0
    assert rows["software"].to_dict()["output_video_codecs"] == ["copy", "h264", "hevc"]


def test_parsing_ffmpeg_listings() -> None:
    encoders = parse_encoders(
        "Encoders:\n V..... = Video\n ------\n V....D libx264   libx264 H.264\n"
        " A..... aac     AAC (Advanced Audio Coding)\n"
    )
    assert encoders == frozenset({"libx264", "aac"})
    assert parse_hwaccels("Hardware acceleration methods:\nvdpau\ncuda\n\n") == frozenset(
        {"vdpau", "cuda"}
    )

"""ProfileCondition semantics (Jellyfin's ConditionProcessor) and the comma-list matcher."""

from __future__ import annotations

import pytest

from viewra.playback.decision.conditions import ProfileCondition
from viewra.playback.decision.names import NameList, canonical


def cond(condition: str, prop: str, value: str, required: bool = True) -> ProfileCondition:
    return ProfileCondition.model_validate(
        {"Condition": condition, "Property": prop, "Value": value, "IsRequired": required}
    )


@pytest.mark.parametrize(
    ("condition", "value", "current", "expected"),
    [
        ("LessThanEqual", "1920", 1920, True),
        ("LessThanEqual", "1920", 1921, False),
        ("GreaterThanEqual", "10", 8, False),
        ("GreaterThanEqual", "10", 10, True),
        ("Equals", "2", 2, True),
        ("Equals", "2", 6, False),
        ("NotEquals", "2", 6, True),
        ("EqualsAny", "44100|48000", 48000, True),
        ("EqualsAny", "44100|48000", 96000, False),
    ],
)
def test_numeric_comparisons(condition: str, value: str, current: int, expected: bool) -> None:
    assert cond(condition, "Width", value).is_satisfied(current) is expected


def test_level_compares_as_a_number() -> None:
    assert cond("LessThanEqual", "VideoLevel", "41").is_satisfied(40.0)
    assert not cond("LessThanEqual", "VideoLevel", "41").is_satisfied(41.5)


@pytest.mark.parametrize("required", [True, False])
def test_unknown_value_passes_only_when_not_required(required: bool) -> None:
    c = cond("LessThanEqual", "Width", "1280", required)
    assert c.is_satisfied(None) is (not required)
    assert cond("EqualsAny", "VideoProfile", "main", required).is_satisfied("") is (not required)


def test_known_bad_value_fails_even_when_not_required() -> None:
    assert not cond("LessThanEqual", "Width", "1280", required=False).is_satisfied(1920)


def test_text_comparisons_ignore_case() -> None:
    assert cond("EqualsAny", "VideoProfile", "high|Main").is_satisfied("MAIN")
    assert cond("Equals", "AudioProfile", "LC").is_satisfied("lc")
    assert not cond("NotEquals", "AudioProfile", "HE-AAC").is_satisfied("he-aac")


def test_text_equals_compares_the_whole_value() -> None:
    # Jellyfin splits on "|" only for EqualsAny.
    assert not cond("Equals", "VideoProfile", "high|main").is_satisfied("high")


@pytest.mark.parametrize(
    ("condition", "value", "current", "expected"),
    [
        ("Equals", "true", True, True),
        ("Equals", "True", False, False),
        ("NotEquals", "true", True, False),
        ("NotEquals", "TRUE", False, True),
        ("Equals", "false", False, True),
    ],
)
def test_boolean_comparisons(condition: str, value: str, current: bool, expected: bool) -> None:
    assert cond(condition, "IsAnamorphic", value).is_satisfied(current) is expected


@pytest.mark.parametrize(
    ("spec", "name", "expected"),
    [
        ("mp4,m4v", "m4v", True),
        ("mp4,m4v", "mkv", False),
        ("", "anything", True),
        ("", None, True),
        ("mp4", None, False),
        ("-mkv,webm", "mp4", True),
        ("-mkv,webm", "webm", False),
        ("-mkv", None, True),
        ("MP4, M4V", "m4v", True),
        ("matroska", "mkv", True),
        ("srt", "subrip", True),
    ],
)
def test_name_lists(spec: str, name: str | None, expected: bool) -> None:
    assert NameList.parse(spec).matches(canonical(name)) is expected


def test_multi_name_containers_match_any_of_their_names() -> None:
    assert NameList.parse("mp4").matches_any(("mov", "mp4", "m4a"))
    assert not NameList.parse("-mp4").matches_any(("mov", "mp4"))


@pytest.mark.parametrize(
    ("alias", "canon"),
    [
        ("subrip", "srt"),
        ("webvtt", "vtt"),
        ("hdmv_pgs_subtitle", "pgssub"),
        ("dvd_subtitle", "dvdsub"),
        ("mpegts", "ts"),
        ("dca", "dts"),
        ("HEVC", "hevc"),
        ("", None),
    ],
)
def test_ffmpeg_and_jellyfin_spellings_meet(alias: str, canon: str | None) -> None:
    assert canonical(alias) == canon

"""Keys and prefixes that could escape their folder are refused, each case on its own."""

import pytest

from viewra.common.errors import InvalidKey
from viewra.common.object_keys import is_under, validate_key, validate_prefix


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("../etc/passwd", "'..'"),
        ("movies/../../x", "'..'"),
        ("movies/./x.mkv", "'.'"),
        ("/movies/x.mkv", "start with '/'"),
        ("movies\\x.mkv", "backslash"),
        ("movies/x\x00.mkv", "NUL"),
        ("movies/x\n.mkv", "control"),
        ("movies/x\x7f.mkv", "control"),
        ("movies/%2e%2e/x.mkv", "'..'"),
        ("%2Fmovies/x.mkv", "start with '/'"),
        ("movies%5Cx.mkv", "backslash"),
        ("movies/x%00.mkv", "NUL"),
        ("movies/x%0a.mkv", "control"),
        ("", "empty"),
        ("a" * 1025, "longer"),
    ],
)
def test_unsafe_key_is_refused_with_its_reason(value: str, reason: str) -> None:
    with pytest.raises(InvalidKey) as exc:
        validate_key(value)
    assert reason in exc.value.message
    assert exc.value.status == 400


@pytest.mark.parametrize(
    "value",
    ["movies/Blade Runner (1982)/film.mkv", "music/AC+DC/01 - T.N.T..flac", "a/b..c/d", "é/ü.mp3"],
)
def test_ordinary_keys_pass_unchanged(value: str) -> None:
    assert validate_key(value) == value


def test_prefix_is_normalised_to_a_folder() -> None:
    assert validate_prefix("movies") == "movies/"
    assert validate_prefix("media/movies/") == "media/movies/"


@pytest.mark.parametrize("value", ["../movies", "/movies", "movies//x", "mo\\vies", "%2e%2e/"])
def test_unsafe_prefix_is_refused(value: str) -> None:
    with pytest.raises(InvalidKey):
        validate_prefix(value)


def test_is_under_needs_a_name_below_the_prefix() -> None:
    assert is_under("movies/a.mkv", "movies/")
    assert not is_under("movies/", "movies/")
    assert not is_under("moviesx/a.mkv", "movies/")

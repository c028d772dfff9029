"""Which library owns a key, item identity, sort titles, resolution classes."""

import pytest
from pydantic import ValidationError

from viewra.common.content_address import content_key
from viewra.common.errors import InvalidKey
from viewra.media.models.catalogue import (
    Library,
    LibraryCreate,
    LibraryKind,
    item_id,
    library_for_key,
    prefixes_overlap,
    resolution_class,
    sort_title,
)


def _lib(lid: str, prefix: str) -> Library:
    return Library(
        id=lid, name=lid, prefix=prefix, kind=LibraryKind.MIXED, created_at="t", updated_at="t"
    )


def test_key_belongs_to_the_library_whose_folder_holds_it() -> None:
    libs = [_lib("m", "movies/"), _lib("s", "shows/")]
    assert library_for_key(libs, "movies/a/b.mkv").id == "m"
    assert library_for_key(libs, "shows/x.mkv").id == "s"
    assert library_for_key(libs, "music/x.mp3") is None
    assert library_for_key(libs, "movies-old/x.mkv") is None


def test_overlapping_prefixes_are_detected_both_ways() -> None:
    assert prefixes_overlap("movies/", "movies/hd/")
    assert prefixes_overlap("movies/hd/", "movies/")
    assert not prefixes_overlap("movies/", "movies2/")


def test_item_id_is_stable_and_distinguishes_bucket_and_key() -> None:
    assert item_id("b", "k") == item_id("b", "k")
    assert item_id("b", "k") != item_id("b2", "k")
    assert item_id("b", "k") != item_id("b", "k2")
    assert len(item_id("b", "k")) == 24


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Office", "office"),
        ("A Quiet Place", "quiet place"),
        ("An American Tail", "american tail"),
        ("Theory", "theory"),
        ("Alien", "alien"),
        ("The", "the"),
    ],
)
def test_sort_title_drops_a_leading_article(title: str, expected: str) -> None:
    assert sort_title(title) == expected


@pytest.mark.parametrize(
    ("w", "h", "label"),
    [
        (640, 480, "sd"),
        (1280, 720, "720p"),
        (1920, 1080, "1080p"),
        (1920, 800, "1080p"),
        (3840, 2160, "4k"),
        (3840, 1600, "4k"),
        (7680, 4320, "8k"),
        (None, 480, None),
    ],
)
def test_resolution_class(w: int | None, h: int | None, label: str | None) -> None:
    assert resolution_class(w, h) == label


def test_content_key_layout() -> None:
    h = "abcdef" + "0" * 58
    assert content_key("content", h) == f"content/ab/cd/{h}/"
    assert content_key("artwork", h, "cover.jpg") == f"artwork/ab/cd/{h}/cover.jpg"


def test_library_create_rejects_traversal_and_unknown_kind() -> None:
    with pytest.raises(InvalidKey):
        LibraryCreate(name="x", prefix="../movies")
    with pytest.raises(ValidationError):
        LibraryCreate(name="x", prefix="movies", kind="podcasts")  # type: ignore[arg-type]
    assert LibraryCreate(name="x", prefix="movies").prefix == "movies/"

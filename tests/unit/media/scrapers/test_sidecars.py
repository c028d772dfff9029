"""Sidecar selection: subtitles, NFO and artwork beside a video, from keys alone."""

from __future__ import annotations

import pytest

from viewra.media.models.items import StreamType
from viewra.media.scrapers.artwork import find_artwork
from viewra.media.scrapers.sidecars import find_sidecars
from viewra.media.scrapers.subtitles import subtitle_streams

FOLDER = "movies/Movie (2000)/"
VIDEO = FOLDER + "Movie.mkv"

# name beside Movie.mkv → (codec, language, forced, hearing_impaired, default); None: not its
SUBTITLES = [
    ("Movie.srt", ("subrip", None, False, False, False)),
    ("Movie.en.srt", ("subrip", "eng", False, False, False)),
    ("Movie.eng.forced.srt", ("subrip", "eng", True, False, False)),
    ("Movie.en.sdh.srt", ("subrip", "eng", False, True, False)),
    ("Movie.fr.ass", ("ass", "fra", False, False, False)),
    ("Movie.ger.vtt", ("webvtt", "deu", False, False, False)),
    ("Movie.German.ssa", ("ssa", "deu", False, False, False)),
    ("Movie.es.cc.default.srt", ("subrip", "spa", False, True, True)),
    ("Movie.forced.srt", ("subrip", None, True, False, False)),
    ("movie.EN.SRT", ("subrip", "eng", False, False, False)),
    ("Movie.Part2.srt", None),
    ("Movie 2.en.srt", None),
    ("Other.en.srt", None),
    ("Movie.en.sub", None),
    ("Movie.en.txt", None),
]


@pytest.mark.parametrize(("name", "expected"), SUBTITLES)
def test_subtitle_names(name: str, expected: tuple | None) -> None:
    streams = subtitle_streams(VIDEO, [VIDEO, FOLDER + name], first_index=3)
    if expected is None:
        assert streams == []
        return
    [stream] = streams
    got = (stream.codec, stream.language, stream.forced, stream.hearing_impaired, stream.default)
    assert got == expected
    assert stream.type is StreamType.SUBTITLE
    assert (stream.external, stream.external_key, stream.index) == (True, FOLDER + name, 3)


def test_subtitles_in_other_folders_are_not_this_videos() -> None:
    keys = [VIDEO, "movies/Movie.en.srt", FOLDER + "Subs/Movie.en.srt"]
    assert subtitle_streams(VIDEO, keys) == []


def test_several_subtitles_are_indexed_after_the_embedded_streams() -> None:
    keys = [FOLDER + n for n in ("Movie.fr.ass", "Movie.en.srt", "poster.jpg")]
    streams = subtitle_streams(VIDEO, keys, first_index=2)
    assert [(s.index, s.language) for s in streams] == [(2, "eng"), (3, "fra")]


@pytest.mark.parametrize(
    ("names", "poster", "backdrop"),
    [
        (["poster.jpg", "folder.jpg", "cover.jpg"], "poster.jpg", None),
        (["folder.jpg", "cover.jpg"], "folder.jpg", None),
        (["cover.png"], "cover.png", None),
        (["Movie-poster.jpg", "poster.jpg"], "Movie-poster.jpg", None),
        (["poster.png", "poster.jpg"], "poster.jpg", None),
        (["fanart.jpg", "backdrop.jpg"], None, "fanart.jpg"),
        (["Movie-fanart.jpg", "fanart.jpg", "Poster.JPG"], "Poster.JPG", "Movie-fanart.jpg"),
        (["backdrop.webp"], None, "backdrop.webp"),
        (["Other-poster.jpg", "poster.txt"], None, None),
    ],
)
def test_artwork_selection(names: list[str], poster: str | None, backdrop: str | None) -> None:
    art = find_artwork(VIDEO, [VIDEO, *(FOLDER + n for n in names)])
    assert art.poster_key == (FOLDER + poster if poster else None)
    assert art.backdrop_key == (FOLDER + backdrop if backdrop else None)


def test_an_nfo_named_for_the_video_wins_over_movie_nfo() -> None:
    keys = [VIDEO, FOLDER + "movie.nfo", FOLDER + "Movie.nfo", FOLDER + "poster.jpg"]
    found = find_sidecars(VIDEO, keys)
    assert found.nfo_key == FOLDER + "Movie.nfo"
    assert found.artwork.poster_key == FOLDER + "poster.jpg"
    assert find_sidecars(VIDEO, [VIDEO, FOLDER + "movie.nfo"]).nfo_key == FOLDER + "movie.nfo"


def test_an_episode_finds_its_own_nfo_and_the_shows_two_folders_up() -> None:
    episode = "tv/Show/Season 01/Show - S01E02.mkv"
    keys = [episode, "tv/Show/Season 01/Show - S01E02.nfo", "tv/Show/tvshow.nfo"]
    found = find_sidecars(episode, keys, first_index=4)
    assert found.nfo_key == "tv/Show/Season 01/Show - S01E02.nfo"
    assert found.show_nfo_key == "tv/Show/tvshow.nfo"


def test_a_video_at_the_root_has_no_sidecars_from_elsewhere() -> None:
    found = find_sidecars("Movie.mkv", ["Movie.mkv", "x/Movie.nfo", "Movie.en.srt"])
    assert found.nfo_key is None
    assert [s.external_key for s in found.subtitles] == ["Movie.en.srt"]

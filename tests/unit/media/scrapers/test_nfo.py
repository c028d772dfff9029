"""NFO parsing: the Kodi/Jellyfin shapes, bounded reads, and hostile XML refused."""

from __future__ import annotations

import pytest

from viewra.media.scrapers import nfo as nfo_module
from viewra.media.scrapers.nfo import NfoError, parse_nfo, read_nfo

MOVIE = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<movie>
  <title>Blade Runner</title>
  <originaltitle>Blade Runner</originaltitle>
  <year>1982</year>
  <plot>A blade runner must pursue and terminate four replicants.</plot>
  <genre>Science Fiction</genre>
  <genre>Drama / Thriller</genre>
  <studio>Warner Bros.</studio>
  <uniqueid type="tmdb">78</uniqueid>
  <uniqueid type="imdb" default="true">tt0083658</uniqueid>
  <ratings>
    <rating name="imdb" max="10" default="true"><value>8.1</value><votes>800000</votes></rating>
    <rating name="themoviedb" max="10"><value>7.9</value><votes>13000</votes></rating>
  </ratings>
  <actor><name>Harrison Ford</name><role>Rick Deckard</role><order>0</order>
    <thumb>https://example.invalid/ford.jpg</thumb></actor>
  <actor><name>Rutger Hauer</name><role>Roy Batty</role><order>1</order></actor>
</movie>
https://www.imdb.com/title/tt0083658/
"""

EPISODE = b"""<episodedetails>
  <title>Pilot</title><showtitle>The Show</showtitle><season>1</season><episode>2</episode>
  <aired>2008-01-20</aired><plot>It begins.</plot><uniqueid type="tvdb">349232</uniqueid>
</episodedetails>"""

TVSHOW = b"<tvshow><title>The Show</title><premiered>2008-01-20</premiered><genre>Drama</genre>\
<rating>9.5</rating><id>tt0903747</id></tvshow>"

MUSICVIDEO = b"<musicvideo><title>Song</title><artist>Band</artist><album>LP</album>\
<year>1999</year></musicvideo>"

ALBUM = b"<album><title>LP</title><artist>Band</artist><year>1999</year><genre>Rock</genre>\
</album>"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<movie><title>&lol2;</title></movie>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE movie [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<movie><title>&xxe;</title></movie>"""


def test_a_movie_nfo_gives_every_field() -> None:
    parsed = parse_nfo(MOVIE)
    meta = parsed.metadata
    assert parsed.kind == "movie"
    assert (meta.title, meta.original_title, meta.year) == ("Blade Runner", "Blade Runner", 1982)
    assert meta.overview and meta.overview.startswith("A blade runner")
    assert meta.genres == ["Science Fiction", "Drama", "Thriller"]
    assert meta.studios == ["Warner Bros."]
    assert (meta.external_ids.tmdb, meta.external_ids.imdb) == (78, "tt0083658")
    assert [(r.source, r.value, r.votes) for r in meta.ratings] == [
        ("imdb", 8.1, 800000),
        ("themoviedb", 7.9, 13000),
    ]
    assert [(p.name, p.role, p.order) for p in meta.cast] == [
        ("Harrison Ford", "Rick Deckard", 0),
        ("Rutger Hauer", "Roy Batty", 1),
    ]
    assert meta.cast[0].image_url == "https://example.invalid/ford.jpg"
    assert meta.sources == ["nfo"]


def test_episode_tvshow_musicvideo_and_album() -> None:
    episode = parse_nfo(EPISODE)
    assert (episode.kind, episode.series, episode.season, episode.episode) == (
        "episodedetails",
        "The Show",
        1,
        2,
    )
    assert (episode.metadata.year, episode.metadata.external_ids.tvdb) == (2008, 349232)
    show = parse_nfo(TVSHOW).metadata
    assert (show.year, show.genres, show.external_ids.imdb) == (2008, ["Drama"], "tt0903747")
    assert show.ratings[0].value == 9.5
    video = parse_nfo(MUSICVIDEO).metadata
    assert (video.title, video.artist, video.album, video.year) == ("Song", "Band", "LP", 1999)
    album = parse_nfo(ALBUM).metadata
    assert (album.title, album.artist, album.genres) == ("LP", "Band", ["Rock"])


def test_a_link_only_nfo_gives_its_ids() -> None:
    parsed = parse_nfo(b"https://www.themoviedb.org/movie/78-blade-runner\n")
    assert (parsed.kind, parsed.metadata.external_ids.tmdb) == ("url", 78)
    assert parse_nfo(b"https://www.imdb.com/title/tt0083658/").metadata.external_ids.imdb == (
        "tt0083658"
    )


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_dtds_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(NfoError, match="refused"):
        parse_nfo(data)


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_the_stdlib_fallback_refuses_them_too(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nfo_module, "_defused", None)  # as on a machine without defusedxml
    with pytest.raises(NfoError, match="refused"):
        parse_nfo(data)
    assert parse_nfo(MOVIE).metadata.title == "Blade Runner"


@pytest.mark.parametrize("data", [b"<movie><title>x</movie>", b"<kodi/>", b"just some words", b""])
def test_unusable_nfos_raise(data: bytes) -> None:
    with pytest.raises(NfoError):
        parse_nfo(data)


def test_reads_are_bounded() -> None:
    objects = {"a/Movie.nfo": MOVIE}
    asked: list[int] = []

    def read(key: str, max_bytes: int) -> bytes:
        asked.append(max_bytes)
        return objects[key][:max_bytes]

    assert read_nfo("a/Movie.nfo", read).metadata.title == "Blade Runner"
    with pytest.raises(NfoError, match="over 100 bytes"):
        read_nfo("a/Movie.nfo", read, max_bytes=100)
    assert asked == [nfo_module.MAX_BYTES + 1, 101]

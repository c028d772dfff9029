"""Playlists: reading ffmpeg's, writing the master, rendering with client URLs."""

from __future__ import annotations

import m3u8

from viewra.transcoding import hls

EVENT = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXTINF:6.000000,
seg_00000.m4s
#EXTINF:2.480000,
seg_00001.m4s
"""


def test_media_segments_and_vod() -> None:
    assert hls.media_segments(EVENT) == [
        hls.Segment("seg_00000.m4s", 6.0),
        hls.Segment("seg_00001.m4s", 2.48),
    ]
    assert hls.init_uri(EVENT) == "init.mp4"
    vod = m3u8.loads(hls.as_vod(EVENT))
    assert vod.playlist_type == "vod" and vod.is_endlist
    assert hls.as_vod(hls.as_vod(EVENT)) == hls.as_vod(EVENT)


def test_rewrite_uris_signs_segments_and_the_init_section() -> None:
    rendered = hls.rewrite_uris(hls.as_vod(EVENT), lambda uri: f"https://cdn/x/{uri}?sig=1&b=2")
    parsed = m3u8.loads(rendered)
    assert [s.uri for s in parsed.segments] == [
        "https://cdn/x/seg_00000.m4s?sig=1&b=2",
        "https://cdn/x/seg_00001.m4s?sig=1&b=2",
    ]
    assert parsed.segment_map[0].uri == "https://cdn/x/init.mp4?sig=1&b=2"


def test_master_playlist_parses() -> None:
    text = hls.master_playlist(
        [
            hls.Variant(
                uri="media.m3u8",
                bandwidth=900_000,
                average_bandwidth=700_000,
                width=640,
                height=360,
                codecs="avc1.64001e,mp4a.40.2",
            )
        ]
    )
    parsed = m3u8.loads(text)
    assert parsed.is_variant
    info = parsed.playlists[0].stream_info
    assert info.bandwidth == 900_000 and info.resolution == (640, 360)
    assert info.codecs == "avc1.64001e,mp4a.40.2"


def test_codec_strings() -> None:
    assert hls.codec_string({"codec_name": "h264", "profile": "High", "level": 30}) == (
        "avc1.64001e"
    )
    assert hls.codec_string({"codec_name": "h264", "profile": "Constrained Baseline", "level": 13})
    assert hls.codec_string({"codec_name": "aac", "profile": "LC"}) == "mp4a.40.2"
    assert hls.codec_string({"codec_name": "h264", "profile": "High 4:4:4", "level": 30}) is None

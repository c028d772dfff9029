"""Subtitles as files through the API: a session names an External subtitle's URL, and that URL
(signed, for a <track> element) or the plain route answers WebVTT converted from the sidecar,
under the same access rules as the item."""

from __future__ import annotations

import json

from viewra.bootstrap import reset_services
from viewra.common.settings import get_settings
from viewra.media.models.items import ItemKind, ItemStatus, MediaItem, MediaStream, StreamType

SRT = (
    "1\r\n00:00:00,500 --> 00:00:02,000\r\nHello <i>there</i>\r\n\r\n"
    "2\r\n00:00:02,500 --> 00:00:04,250\r\nCafé, second line\r\n"
).encode("cp1252")  # an old SRT: not UTF-8
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,\
2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\b1}Styled{\\b0} words
"""

STREAMS = [
    MediaStream(
        index=0,
        type=StreamType.VIDEO,
        codec="h264",
        profile="High",
        level=40,
        width=1280,
        height=720,
        bit_depth=8,
    ),
    MediaStream(index=1, type=StreamType.AUDIO, codec="aac", channels=2, profile="LC"),
]


def add(services, item_id: str, library_id: str = "lib") -> MediaItem:
    bucket = services.settings.media_bucket
    s3 = services.objects._s3
    key = f"movies/{item_id}/{item_id}.mp4"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x" * 100)
    s3.put_object(Bucket=bucket, Key=f"movies/{item_id}/{item_id}.en.srt", Body=SRT)
    s3.put_object(Bucket=bucket, Key=f"movies/{item_id}/{item_id}.fr.ass", Body=ASS.encode())
    subs = [
        MediaStream(
            index=2,
            type=StreamType.SUBTITLE,
            codec="subrip",
            language="eng",
            external=True,
            external_key=f"movies/{item_id}/{item_id}.en.srt",
        ),
        MediaStream(
            index=3,
            type=StreamType.SUBTITLE,
            codec="ass",
            language="fra",
            external=True,
            external_key=f"movies/{item_id}/{item_id}.fr.ass",
        ),
    ]
    item = MediaItem(
        id=item_id, library_id=library_id, bucket=bucket, key=key, etag="e", size=100,
        status=ItemStatus.READY, kind=ItemKind.MOVIE, title=item_id, container="mp4",
        duration=60.0, bitrate=2_000_000, streams=[*STREAMS, *subs],
        added_at="2026-11-01T00:00:00.000Z",
    )  # fmt: skip
    assert services.catalog.put(item, order="1")
    return item


def play(api, item_id: str, **body):
    r = api.http.post(
        f"/items/{item_id}/playback",
        body=json.dumps({"profile": "chrome", **body}),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.json_body
    return r.json_body


def cues(vtt: str) -> list[str]:
    """The cue timings and text of a WebVTT body, in order."""
    assert vtt.startswith("WEBVTT")
    return [line for line in vtt.splitlines() if "-->" in line or line[:1].isalpha()][1:]


def test_a_session_lists_every_subtitle_with_its_delivery_and_external_url(services, api):
    add(services, "m1")
    session = play(api, "m1", subtitle_stream_index=2)
    assert session["method"] == "DirectPlay"  # an External subtitle does not force a transcode
    by_index = {t["index"]: t for t in session["subtitles"]}
    assert set(by_index) == {2, 3}
    srt, ass = by_index[2], by_index[3]
    assert (srt["delivery"], srt["format"], srt["language"]) == ("External", "vtt", "eng")
    assert srt["url"].endswith("/items/m1/subtitles/2.vtt") and "/signed/" in srt["url"]
    # chrome takes ASS as External ASS (its own format: styling is the client's to render)
    assert (ass["delivery"], ass["format"]) == ("External", "ass")
    assert ass["url"].endswith("/items/m1/subtitles/3.ass")


def test_the_signed_url_answers_webvtt_converted_from_the_srt(services, api, anonymous):
    add(services, "m2")
    url = play(api, "m2")["subtitles"][0]["url"]
    path = url[url.index("/signed/") :]
    r = anonymous.http.get(path)  # a <track> element sends no Authorization
    assert r.status_code == 200, r.body
    assert r.headers["Content-Type"].startswith("text/vtt")
    text = r.body.decode("utf-8")
    assert cues(text) == [
        "00:00:00.500 --> 00:00:02.000",
        "Hello <i>there</i>",
        "00:00:02.500 --> 00:00:04.250",
        "Café, second line",
    ]


def test_ass_becomes_webvtt_without_its_styling_or_stays_ass(services, api):
    add(services, "m3")
    vtt = api.http.get("/items/m3/subtitles/3.vtt")
    assert vtt.status_code == 200
    assert cues(vtt.body.decode()) == ["00:00:01.000 --> 00:00:03.000", "Styled words"]
    ass = api.http.get("/items/m3/subtitles/3.ass")
    assert ass.status_code == 200 and "{\\b1}Styled" in ass.body.decode()
    srt = api.http.get("/items/m3/subtitles/2.srt")
    assert srt.status_code == 200 and "00:00:00,500 --> 00:00:02,000" in srt.body.decode()


def test_bad_names_and_streams_are_clear_404s(services, api):
    add(services, "m4")
    for path, code in [
        ("/items/m4/subtitles/1.vtt", "NoSuchSubtitle"),  # an audio stream
        ("/items/m4/subtitles/9.vtt", "NoSuchSubtitle"),
        ("/items/m4/subtitles/2.pdf", "NoSuchSubtitle"),
        ("/items/m4/subtitles/two.vtt", "NoSuchSubtitle"),
        ("/items/nope/subtitles/2.vtt", "NotFound"),
    ]:
        r = api.http.get(path)
        assert r.status_code == 404, path
        assert r.json_body["error"]["code"] == code, path


def test_subtitles_follow_the_items_access_rules(services, api, anonymous):
    add(services, "m5", library_id="secret")
    assert anonymous.http.get("/items/m5/subtitles/2.vtt").status_code == 401
    bob = api.as_user("bob")  # no grant on library "secret"
    assert bob.http.get("/items/m5/subtitles/2.vtt").status_code == 404
    # a token of the wrong shape is a malformed path (400); a JWT-shaped forgery is refused (401)
    assert anonymous.http.get("/signed/not-a-token/items/m5/subtitles/2.vtt").status_code == 400
    assert anonymous.http.get("/signed/aaa.bbb.ccc/items/m5/subtitles/2.vtt").status_code == 401
    # bob's own media token does not open an item he cannot see; the admin's does
    bob_principal = services.accounts.authenticate({"authorization": f"Bearer {bob.http.token}"})
    bobs = services.accounts.media_token(bob_principal, 600)
    assert anonymous.http.get(f"/signed/{bobs}/items/m5/subtitles/2.vtt").status_code == 404
    url = play(api, "m5")["subtitles"][0]["url"]
    assert anonymous.http.get(url[url.index("/signed/") :]).status_code == 200


def test_an_embedded_text_subtitle_is_external_even_where_the_api_has_no_ffmpeg(
    services, api, monkeypatch
):
    """A transcode worker extracts it, so the api function (no ffmpeg on Lambda) still offers
    an embedded text subtitle as an External WebVTT URL."""
    item = add(services, "m7")
    embedded = MediaStream(index=4, type=StreamType.SUBTITLE, codec="subrip", language="deu")
    assert services.catalog.put(item.model_copy(update={"streams": [*item.streams, embedded]}), "2")
    monkeypatch.setenv("VIEWRA_TRANSCODE_FFMPEG", "/nonexistent/ffmpeg")
    get_settings.cache_clear()
    reset_services()  # the api builds its services anew from the environment
    session = play(api, "m7", subtitle_stream_index=4)
    tracks = {t["index"]: t for t in session["subtitles"]}
    assert tracks[4]["delivery"] == "External"
    assert tracks[4]["url"].endswith("/items/m7/subtitles/4.vtt")
    assert session["method"] == "DirectPlay"
    burned = play(api, "m7", subtitle_stream_index=4, allow_subtitle_extraction=False)
    assert {t["index"]: t for t in burned["subtitles"]}[4]["delivery"] == "Encode"


def _subtitle_messages(services) -> list[dict]:
    url = services.queues.url(services.settings.transcode_queue)
    got = services.queues._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_an_embedded_subtitle_is_asked_of_a_worker_once_and_answered_when_it_is_there(
    services, api, monkeypatch
):
    from viewra.media import subtitle_files

    monkeypatch.setattr(subtitle_files, "EXTRACT_WAIT_SECONDS", 0.2)
    item = add(services, "m8")
    streams = [
        *item.streams,
        MediaStream(index=4, type=StreamType.SUBTITLE, codec="subrip", language="deu"),
        MediaStream(index=5, type=StreamType.SUBTITLE, codec="ass", language="jpn"),
        MediaStream(index=6, type=StreamType.SUBTITLE, codec="hdmv_pgs_subtitle"),  # a picture
    ]
    item = item.model_copy(update={"streams": streams})
    assert services.catalog.put(item, "2")
    first = api.http.get("/items/m8/subtitles/4.vtt")
    assert first.status_code == 409, first.body
    assert first.json_body["error"]["code"] == "SubtitleNotReady"
    assert first.headers["Retry-After"] == "5"
    # a player asking again (and for the other stream) starts no second pass over the file
    assert api.http.get("/items/m8/subtitles/5.vtt").status_code == 409
    [message] = _subtitle_messages(services)
    prefix = f"subtitles/m8/{item.etag}/"
    assert message == {
        "type": "subtitles",
        "bucket": item.bucket,
        "key": item.key,
        "etag": item.etag,
        "outputs": {"4": f"{prefix}4.vtt", "5": f"{prefix}5.vtt"},  # text streams, one pass
    }
    content = services.settings.content_bucket
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHallo\n"
    services.objects._s3.put_object(Bucket=content, Key=f"{prefix}4.vtt", Body=vtt.encode())
    services.objects._s3.put_object(
        Bucket=content, Key=f"{prefix}5.vtt.failed", Body=b"ffmpeg could not extract: bad"
    )
    done = api.http.get("/items/m8/subtitles/4.srt")
    assert done.status_code == 200 and "Hallo" in done.body.decode()
    failed = api.http.get("/items/m8/subtitles/5.vtt")
    assert (failed.status_code, failed.json_body["error"]["code"]) == (422, "BadSubtitle")
    assert "could not extract" in failed.json_body["error"]["message"]
    assert api.http.get("/items/m8/subtitles/6.vtt").json_body["error"]["code"] == (
        "NotTextSubtitle"
    )

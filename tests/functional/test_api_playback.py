"""Playback through the API: decisions, sessions, resume points, history and next up."""

from __future__ import annotations

import json

import pytest

from viewra.media.models.items import ItemKind, ItemStatus, MediaItem, MediaStream, StreamType

H264 = [
    MediaStream(
        index=0,
        type=StreamType.VIDEO,
        codec="h264",
        profile="High",
        level=41,
        width=1920,
        height=1080,
        bit_depth=8,
        frame_rate=24.0,
    ),
    MediaStream(
        index=1, type=StreamType.AUDIO, codec="aac", channels=2, sample_rate=48000, profile="LC"
    ),
]
HEVC = [
    MediaStream(
        index=0,
        type=StreamType.VIDEO,
        codec="hevc",
        profile="Main 10",
        level=153,
        width=3840,
        height=2160,
        bit_depth=10,
        video_range="HDR",
        video_range_type="HDR10",
    ),
    MediaStream(index=1, type=StreamType.AUDIO, codec="truehd", channels=8),
]


def add(
    services,
    item_id: str,
    *,
    streams=H264,
    container="mp4",
    kind=ItemKind.MOVIE,
    status=ItemStatus.READY,
    **extra,
) -> MediaItem:
    key = f"movies/{item_id}.{container}"
    services.objects._s3.put_object(Bucket=services.settings.media_bucket, Key=key, Body=b"x" * 100)
    item = MediaItem(
        id=item_id,
        library_id="lib",
        bucket=services.settings.media_bucket,
        key=key,
        etag="e",
        size=100,
        status=status,
        kind=kind,
        title=item_id,
        container=container,
        duration=1000.0,
        bitrate=8_000_000,
        streams=streams,
        added_at="2026-11-01T00:00:00.000Z",
        **extra,
    )
    assert services.catalog.put(item, order="1")
    return item


def post(api, path: str, body: object = None, user: str | None = None):
    """POST as the admin ``api`` logs in as, or as ``user`` (an administrator too: these tests
    are about whose data it is, not about grants)."""
    client = api.as_user(user, admin=True) if user else api
    headers = {"Content-Type": "application/json"}
    return client.http.post(path, body=json.dumps(body or {}), headers=headers)


def test_builtin_profiles_are_listed(api) -> None:
    names = {p["name"] for p in api.http.get("/profiles").json_body["profiles"]}
    assert names == {
        "chrome",
        "firefox",
        "safari",
        "android",
        "ios",
        "roku",
        "dlna-tv",
        "jellyfin-web",
        "jellyfin-media-player",
        "androidtv-exoplayer",
        "kodi",
        "swiftfin",
    }


def test_a_real_client_profile_is_accepted_as_the_client_sends_it(api, services) -> None:
    # Jellyfin Media Player's profile: {"Type": "Audio"} without a Container, no stream cap.
    add(services, "jmp", container="mkv")
    profile = {
        "Name": "Jellyfin Media Player",
        "MaxStaticBitrate": 1000000000,
        "TranscodingProfiles": [
            {"Type": "Audio"},
            {"Container": "ts", "Type": "Video", "Protocol": "hls", "AudioCodec": "aac,mp3"},
        ],
        "DirectPlayProfiles": [{"Type": "Audio"}, {"Type": "Photo"}, {"Type": "Video"}],
        "SubtitleProfiles": [{"Format": "srt", "Method": "External"}],
    }
    r = post(api, "/items/jmp/playback", {"profile": profile})
    assert r.status_code == 201, r.json_body
    assert r.json_body["method"] == "DirectPlay"


def test_the_request_says_whether_subtitles_may_be_extracted(api, services) -> None:
    subtitle = MediaStream(index=2, type=StreamType.SUBTITLE, codec="subrip", language="eng")
    add(services, "subs", streams=[*H264, subtitle])
    body = {"profile": "chrome", "subtitle_stream_index": 2}
    extracted = post(api, "/items/subs/playback", body).json_body
    assert extracted["decision"]["subtitle_delivery"] == "External"
    burned = post(api, "/items/subs/playback", {**body, "allow_subtitle_extraction": False})
    assert burned.json_body["decision"]["subtitle_delivery"] == "Encode"
    assert "SubtitleCodecNotSupported" in burned.json_body["decision"]["reasons"]


def test_direct_play_gets_a_presigned_url_of_the_original(api, services) -> None:
    add(services, "m1")
    r = post(api, "/items/m1/playback", {"profile": "chrome"})
    assert r.status_code == 201, r.json_body
    s = r.json_body
    assert (s["method"], s["status"], s["decision"]["reasons"]) == ("DirectPlay", "ready", [])
    assert services.settings.media_bucket in s["url"] and "/movies/m1.mp4?" in s["url"]
    assert "X-Amz-Signature" in s["url"] and "X-Amz-Expires=3600" in s["url"]
    assert [x["id"] for x in api.http.get("/sessions").json_body["sessions"]] == [s["id"]]
    started = services.events.recent("SessionStarted")
    assert [e.data["session_id"] for e in started] == [s["id"]]


def test_transcode_queues_one_job_and_points_at_its_playlist(api, services) -> None:
    add(services, "uhd", streams=HEVC, container="mkv")
    s = post(api, "/items/uhd/playback", {"profile": "chrome"}).json_body
    assert s["method"] == "Transcode" and s["status"] == "transcoding"
    assert "VideoCodecNotSupported" in s["decision"]["reasons"]
    assert s["decision"]["target"]["video_codec"] == "h264"
    h = s["transcode_id"]
    assert s["url"].endswith(f"/transcodes/{h}/master.m3u8")
    assert s["status_url"].endswith(f"/transcodes/{h}")
    job = api.http.get(f"/transcodes/{h}").json_body
    assert job["status"] == "queued"
    # the same playback again shares the job: same hash, no second message
    again = post(api, "/items/uhd/playback", {"profile": "chrome"}).json_body
    assert again["transcode_id"] == h
    url = services.queues.url(services.settings.transcode_queue)
    messages = services.queues._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert len(messages.get("Messages", [])) == 1


def test_bitrate_cap_forces_a_transcode(api, services) -> None:
    add(services, "m2")
    s = post(
        api, "/items/m2/playback", {"profile": "chrome", "max_streaming_bitrate": 1_000_000}
    ).json_body
    assert s["method"] == "Transcode"
    assert "ContainerBitrateExceedsLimit" in s["decision"]["reasons"]
    assert s["decision"]["target"]["video_bitrate"] <= 1_000_000


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"profile": "toaster"}, "UnknownProfile", "chrome"),
        (
            {"profile": {"DirectPlayProfiles": [{"Type": "Hologram"}]}},
            "InvalidProfile",
            "profile.DirectPlayProfiles.0.Type",
        ),
        (
            {
                "profile": {
                    "CodecProfiles": [
                        {
                            "Type": "Video",
                            "Conditions": [
                                {"Condition": "Sometimes", "Property": "Width", "Value": "1"}
                            ],
                        }
                    ]
                }
            },
            "InvalidProfile",
            "profile.CodecProfiles.0.Conditions.0.Condition",
        ),
        ({"start_position": -1}, "ValidationError", "start_position"),
    ],
)
def test_bad_playback_requests_are_422_with_the_bad_field(
    api, services, body, code, fragment
) -> None:
    add(services, "m3")
    r = post(api, "/items/m3/playback", body)
    assert (r.status_code, r.json_body["error"]["code"]) == (422, code)
    assert fragment in r.json_body["error"]["message"]


def test_inline_jellyfin_profile_with_unknown_fields_is_accepted(api, services) -> None:
    add(services, "m4")
    profile = {
        "Name": "Mine",
        "SomethingNew": True,
        "MaxStreamingBitrate": 120000000,
        "DirectPlayProfiles": [
            {
                "Container": "mp4",
                "Type": "Video",
                "VideoCodec": "h264",
                "AudioCodec": "aac",
                "Future": 1,
            }
        ],
        "TranscodingProfiles": [
            {
                "Container": "ts",
                "Type": "Video",
                "VideoCodec": "h264",
                "AudioCodec": "aac",
                "Protocol": "hls",
            }
        ],
    }
    s = post(api, "/items/m4/playback", {"profile": profile}).json_body
    assert s["method"] == "DirectPlay" and s["decision"]["profile_name"] == "Mine"


def test_missing_and_failed_items(api, services) -> None:
    add(services, "bad", status=ItemStatus.FAILED, failure_reason="no stream")
    assert post(api, "/items/nope/playback").status_code == 404
    r = post(api, "/items/bad/playback")
    assert (r.status_code, r.json_body["error"]["code"]) == (422, "NotPlayable")


def resume_ids(api, user: str = "admin") -> list[str]:
    return [x["item"]["id"] for x in api.http.get(f"/users/{user}/resume").json_body["items"]]


def test_resume_points_follow_the_thresholds(api, services) -> None:
    for item_id in ("peek", "half", "done"):
        add(services, item_id)
    sessions = {
        i: post(api, f"/items/{i}/playback").json_body["id"] for i in ("peek", "half", "done")
    }
    post(api, f"/sessions/{sessions['peek']}/stop", {"position": 40})  # 4 %: no resume point
    post(api, f"/sessions/{sessions['half']}/progress", {"position": 500, "paused": True})
    post(api, f"/sessions/{sessions['done']}/progress", {"position": 950})  # 95 %: played
    post(api, f"/sessions/{sessions['done']}/progress", {"position": 980})
    post(api, f"/sessions/{sessions['done']}/stop", {"position": 990})
    assert resume_ids(api) == ["half"]
    half = api.http.get("/users/admin/resume").json_body["items"][0]["user_data"]
    assert (half["position"], half["played"]) == (500.0, False)
    history = {
        x["item"]["id"]: x["user_data"]
        for x in api.http.get("/users/admin/history").json_body["items"]
    }
    assert set(history) == {"peek", "half", "done"}
    assert (history["done"]["played"], history["done"]["play_count"]) == (True, 1)
    assert (history["peek"]["played"], history["peek"]["position"]) == (False, 0.0)
    session = api.http.get(f"/sessions/{sessions['half']}").json_body
    assert (session["state"], session["position"]) == ("paused", 500.0)


def test_resume_list_is_newest_first_and_per_user(api, services) -> None:
    for item_id in ("a", "b"):
        add(services, item_id)
    sa = post(api, "/items/a/playback", user="alice").json_body["id"]
    sb = post(api, "/items/b/playback", user="alice").json_body["id"]
    post(api, f"/sessions/{sb}/progress", {"position": 300})
    post(api, f"/sessions/{sa}/progress", {"position": 300})
    assert resume_ids(api, "alice") == ["a", "b"]
    assert resume_ids(api, "bob") == []


def test_starting_an_item_with_a_resume_point_moves_it_to_the_front(api, services) -> None:
    for item_id in ("first", "second"):
        add(services, item_id)
    s1 = post(api, "/items/first/playback", user="carol").json_body["id"]
    post(api, f"/sessions/{s1}/stop", {"position": 300})
    s2 = post(api, "/items/second/playback", user="carol").json_body["id"]
    post(api, f"/sessions/{s2}/stop", {"position": 300})
    assert resume_ids(api, "carol") == ["second", "first"]
    post(api, "/items/first/playback", user="carol")  # resumed: continue watching's front
    assert resume_ids(api, "carol") == ["first", "second"]
    data = services.userdata.get("carol", "first")
    assert (data.position, data.duration, data.kind) == (300.0, 1000.0, "movie")


def test_a_start_writes_user_data_without_reading_it(api, services) -> None:
    """With one audio stream and no subtitles there is no choice to remember, so no read."""
    add(services, "fresh")
    calls: list[str] = []
    model = services.userdata._model
    original_get = model.get.__func__

    def counting_get(cls, *args, **kwargs):
        calls.append("get")
        return original_get(cls, *args, **kwargs)

    model.get = classmethod(counting_get)
    try:
        post(api, "/items/fresh/playback", user="dave")
    finally:
        del model.get
    assert calls == []
    history = api.http.get("/users/dave/history").json_body["items"]
    assert [x["item"]["id"] for x in history] == ["fresh"]
    assert history[0]["user_data"]["play_count"] == 0


def test_user_data_written_as_one_json_document_is_still_read(api, services) -> None:
    """Records from before the per-field attributes kept everything in ``doc``."""
    add(services, "legacy")
    model = services.userdata._model
    doc = {"user_id": "erin", "item_id": "legacy", "position": 200.0, "play_count": 2}
    doc |= {"duration": 1000.0, "last_played": "2026-11-01T00:00:00.000Z"}
    model("erin", "legacy", resume_at=doc["last_played"], last_played=doc["last_played"],
          doc=doc).save()  # fmt: skip
    assert resume_ids(api, "erin") == ["legacy"]
    post(api, "/items/legacy/playback", user="erin")
    data = services.userdata.get("erin", "legacy")
    assert (data.position, data.play_count) == (200.0, 2)
    assert data.last_played and data.last_played > doc["last_played"]
    assert resume_ids(api, "erin") == ["legacy"]


def test_stop_is_idempotent_and_progress_after_stop_is_refused(api, services) -> None:
    add(services, "m5")
    sid = post(api, "/items/m5/playback").json_body["id"]
    first = post(api, f"/sessions/{sid}/stop", {"position": 100}).json_body
    again = post(api, f"/sessions/{sid}/stop", {"position": 900}).json_body
    assert first["stopped_at"] == again["stopped_at"] and again["position"] == 100
    r = post(api, f"/sessions/{sid}/progress", {"position": 200})
    assert (r.status_code, r.json_body["error"]["code"]) == (409, "SessionStopped")
    assert api.http.get("/sessions").json_body["sessions"] == []
    assert [e.type for e in services.events.recent() if e.data.get("session_id") == sid] == [
        "SessionStarted",
        "SessionStopped",
    ]


def test_stale_sessions_drop_out_of_the_active_list(api, services) -> None:
    add(services, "m6")
    sid = post(api, "/items/m6/playback").json_body["id"]
    session = services.sessions.get(sid)
    stale = {"last_seen": "2020-01-01T00:00:00.000Z", "version": session.version + 1}
    assert services.sessions.replace(session.model_copy(update=stale), session.version)
    assert api.http.get("/sessions").json_body["sessions"] == []


def test_mark_played_and_unplayed(api, services) -> None:
    add(services, "m7")
    r = post(api, "/users/admin/played/m7")
    assert (r.json_body["played"], r.json_body["play_count"]) == (True, 1)
    post(api, "/users/admin/played/m7")  # marking twice counts once
    r = api.http.delete("/users/admin/played/m7")
    assert (r.json_body["played"], r.json_body["play_count"]) == (False, 1)
    assert api.http.delete("/users/admin/played/none").status_code == 404


def test_next_up_is_the_episode_after_the_furthest_watched(api, services) -> None:
    for n in range(1, 5):
        add(
            services, f"office-{n}", kind=ItemKind.EPISODE, series="The Office", season=1, episode=n
        )
    add(services, "lost-1", kind=ItemKind.EPISODE, series="Lost", season=1, episode=1)
    add(services, "lost-2", kind=ItemKind.EPISODE, series="Lost", season=1, episode=2)

    def up() -> list[str]:
        return [x["item"]["id"] for x in api.http.get("/users/admin/next-up").json_body["items"]]

    sid = post(api, "/items/office-1/playback").json_body["id"]
    post(api, f"/sessions/{sid}/stop", {"position": 990})
    assert up() == ["office-2"]
    post(api, "/users/admin/played/office-2")
    assert up() == ["office-3"]
    sid = post(api, "/items/lost-1/playback").json_body["id"]
    post(api, f"/sessions/{sid}/progress", {"position": 400})  # half-way: lost-1 is up next
    assert up() == ["lost-1", "office-3"]


TWO_OF_EACH = [
    *H264,
    MediaStream(index=2, type=StreamType.AUDIO, codec="aac", channels=2, language="fra"),
    MediaStream(index=3, type=StreamType.SUBTITLE, codec="subrip", language="eng", default=True),
    MediaStream(index=4, type=StreamType.SUBTITLE, codec="subrip", language="fra"),
]


def _streams(api, item_id: str, body: dict | None = None, user: str | None = None):
    session = post(api, f"/items/{item_id}/playback", body, user=user).json_body
    return session["id"], session["audio_stream_index"], session["subtitle_stream_index"]


def test_a_resume_plays_the_audio_and_subtitles_last_chosen_per_user(api, services) -> None:
    add(services, "film", streams=TWO_OF_EACH)
    assert _streams(api, "film")[1:] == (1, 3)  # the file's defaults
    session, *_ = _streams(api, "film", {"audio_stream_index": 2, "subtitle_stream_index": 4})
    post(api, f"/sessions/{session}/progress", {"position": 300})
    post(api, f"/sessions/{session}/stop", {"position": 310})
    assert _streams(api, "film")[1:] == (2, 4)  # remembered
    assert _streams(api, "film", user="bob")[1:] == (1, 3)  # another user's choice is his own
    # switched mid-play: the progress report's streams are what is remembered; off is kept
    session, *_ = _streams(api, "film")
    post(api, f"/sessions/{session}/progress", {"position": 320, "subtitle_stream_index": -1})
    post(api, f"/sessions/{session}/stop", {"position": 330})
    assert _streams(api, "film")[1:] == (2, None)
    # a request that names a stream wins over the remembered one
    assert _streams(api, "film", {"subtitle_stream_index": 3})[1:] == (2, 3)


def test_a_remembered_stream_the_item_no_longer_has_falls_back_to_its_default(
    api, services
) -> None:
    add(services, "recut", streams=TWO_OF_EACH)
    session, *_ = _streams(api, "recut", {"audio_stream_index": 2, "subtitle_stream_index": 4})
    post(api, f"/sessions/{session}/stop", {"position": 300})
    add(services, "recut", streams=TWO_OF_EACH[:4])  # replaced: no French subtitles, same ids
    assert _streams(api, "recut")[1:] == (2, 3)


def _lifetime(url: str) -> int:
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(url).query)
    return int(query["X-Amz-Expires"][0])


@pytest.mark.parametrize(
    ("duration", "lifetime"),
    [(600.0, 3600), (2 * 3600.0, 2 * 3600 + 1800), (30 * 3600.0, 6 * 3600), (None, 3600)],
)
def test_a_direct_play_url_lives_as_long_as_the_film_and_a_margin(
    api, services, duration, lifetime
) -> None:
    """A browser keeps making range requests to the URL it was given for as long as it plays
    (and after a pause): an hour's URL would fail a two-hour film halfway through."""
    item = add(services, "long")
    assert services.catalog.put(item.model_copy(update={"duration": duration}), order="2")
    session = post(api, "/items/long/playback", {"profile": "chrome"}).json_body
    assert session["method"] == "DirectPlay"
    assert _lifetime(session["url"]) == lifetime


def test_a_cap_of_one_bit_per_second_starts_a_transcode_not_a_500(api, services) -> None:
    """Found by schemathesis with real ids: the audio's half of a 1 bit/s budget was 0."""
    add(services, "tiny")
    r = post(api, "/items/tiny/playback", {"profile": "chrome", "max_streaming_bitrate": 1})
    assert r.status_code == 201, r.json_body
    target = r.json_body["decision"]["target"]
    assert (target["audio_bitrate"], target["video_bitrate"]) == (8000, 16000)

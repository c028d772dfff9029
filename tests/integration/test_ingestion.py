"""Drop files into the bucket, see them probed and named in the library API."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration


def upload(stack, key: str, path: Path) -> str:
    r = stack.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=path.read_bytes())
    return r["ETag"].strip('"')


def video(item):
    return next(s for s in item["streams"] if s["type"] == "video")


def audio(item, n: int = 0):
    return [s for s in item["streams"] if s["type"] == "audio"][n]


def test_movies_of_every_container_are_probed(stack, media_dir) -> None:
    lib = stack.library("movies")
    files = {
        "Blade Runner (1982)/Blade.Runner.1982.1080p.mp4": "mp4_faststart",
        "Alien.1979.mp4": "mp4_moov_end",
        "Heat (1995).mkv": "mkv_hevc",
        "Drive.2011.webm": "webm",
        "Ronin 1998.ts": "ts",
    }
    for name, media in files.items():
        upload(stack, lib["prefix"] + name, media_dir[media])
    items = {name: stack.item_at(lib["id"], lib["prefix"] + name) for name in files}
    for name, item in items.items():
        assert item["status"] == "ready", (name, item.get("failure_reason"))
        assert item["kind"] == "movie"
        assert item["duration"] == pytest.approx(2.0, abs=0.3)
    br = items["Blade Runner (1982)/Blade.Runner.1982.1080p.mp4"]
    assert (br["title"], br["year"], br["container"]) == ("Blade Runner", 1982, "mp4")
    assert (video(br)["codec"], video(br)["width"], video(br)["height"]) == ("h264", 320, 240)
    assert video(br)["profile"] == "High" and video(br)["pixel_format"] == "yuv420p"
    assert (audio(br)["codec"], audio(br)["channels"], audio(br)["sample_rate"]) == (
        "aac",
        2,
        48000,
    )
    heat = items["Heat (1995).mkv"]
    assert (heat["container"], video(heat)["codec"], audio(heat)["codec"]) == ("mkv", "hevc", "ac3")
    assert {s["language"] for s in heat["streams"] if s["type"] == "audio"} >= {"eng"}
    drive = items["Drive.2011.webm"]
    assert (drive["container"], video(drive)["codec"], audio(drive)["codec"]) == (
        "webm",
        "vp9",
        "opus",
    )
    ronin = items["Ronin 1998.ts"]
    assert (ronin["container"], video(ronin)["codec"]) == ("ts", "mpeg2video")
    assert items["Alien.1979.mp4"]["title"] == "Alien"
    # detail carries streams and is reachable by id
    detail = stack.get(f"/items/{br['id']}").json()
    assert detail["streams"] == br["streams"]


def test_episode_and_music_are_named(stack, media_dir) -> None:
    shows, music = stack.library("shows"), stack.library("music")
    ep_key = shows["prefix"] + "The Office/Season 02/The.Office.S02E03.The.Fire.mp4"
    upload(stack, ep_key, media_dir["episode"])
    mp3, flac = music["prefix"] + "x/song.mp3", music["prefix"] + "x/song.flac"
    upload(stack, mp3, media_dir["mp3_tagged"])
    upload(stack, flac, media_dir["flac_tagged"])
    ep = stack.item_at(shows["id"], ep_key)
    assert (ep["kind"], ep["series"], ep["season"], ep["episode"], ep["episode_title"]) == (
        "episode",
        "The Office",
        2,
        3,
        "The Fire",
    )
    for key in (mp3, flac):
        track = stack.item_at(music["id"], key)
        assert track["kind"] == "track"
        assert (track["title"], track["artist"], track["album"], track["track"]) == (
            "Song Of Tests",
            "The Generators",
            "Synthetic Sounds",
            3,
        )
        art = stack.get(f"/items/{track['id']}").json()["artwork_url"]
        assert art
        image = requests.get(art, timeout=10)
        assert image.status_code == 200 and image.content[:4] in (
            b"\xff\xd8\xff\xe0",
            b"\xff\xd8\xff\xdb",
            b"\x89PNG",
            b"\xff\xd8\xff\xee",
        )


def test_aws_cli_upload_is_catalogued(stack, media_dir) -> None:
    lib = stack.library("movies")
    key = lib["prefix"] + "Metropolis (1927)/Metropolis.1927.webm"
    aws = Path(sys.executable).with_name("aws")
    subprocess.run(
        [
            str(aws),
            "--endpoint-url",
            stack.endpoint,
            "s3",
            "cp",
            str(media_dir["webm"]),
            f"s3://{stack.bucket}/{key}",
        ],
        check=True,
        env=stack.env
        | {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
        capture_output=True,
    )
    item = stack.item_at(lib["id"], key)
    assert (item["title"], item["year"], item["status"]) == ("Metropolis", 1927, "ready")


@pytest.mark.parametrize("media", ["mp4_truncated", "random", "text", "empty"])
def test_bad_files_become_failed_items_with_a_reason(stack, media_dir, media: str) -> None:
    lib = stack.library("movies")
    key = lib["prefix"] + f"broken-{media}.mp4"
    upload(stack, key, media_dir[media])
    item = stack.item_at(lib["id"], key, status="failed")
    assert item["status"] == "failed" and item["failure_reason"]
    assert stack.items(lib["id"], status="ready") == []


def test_delete_and_replace_update_the_library(stack, media_dir) -> None:
    lib = stack.library("movies")
    key = lib["prefix"] + "Brazil.1985.mp4"
    upload(stack, key, media_dir["mp4_faststart"])
    first = stack.item_at(lib["id"], key)
    etag = upload(stack, key, media_dir["webm"])
    second = stack.item_at(lib["id"], key, etag=etag)
    assert second["id"] == first["id"] and video(second)["codec"] == "vp9"
    assert second["added_at"] == first["added_at"]
    stack.client("s3").delete_object(Bucket=stack.bucket, Key=key)
    stack.wait_for(lambda: stack.items(lib["id"]) == [], 30, "removal")
    assert stack.get(f"/items/{first['id']}").status_code == 404


def test_objects_outside_every_library_are_ignored(stack, media_dir) -> None:
    lib = stack.library("movies")
    upload(stack, "nowhere/Alien.1979.mp4", media_dir["mp4_faststart"])
    upload(stack, lib["prefix"] + "Alien.1979.mp4", media_dir["mp4_faststart"])
    stack.item_at(lib["id"], lib["prefix"] + "Alien.1979.mp4")
    everything = stack.get("/items", q="alien", status="all", limit=500).json()["items"]
    assert all(not i["key"].startswith("nowhere/") for i in everything)


def test_concurrent_duplicate_deliveries_give_one_item(stack, media_dir) -> None:
    lib = stack.library("movies")
    key = lib["prefix"] + "Ran.1985.mp4"
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName="viewra-scan")["QueueUrl"]
    upload(stack, key, media_dir["mp4_faststart"])
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "s3": {"bucket": {"name": stack.bucket}, "object": {"key": key.replace(" ", "+")}},
            }
        ]
    }
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(event)} for i in range(5)]
    )
    stack.item_at(lib["id"], key)
    stack.wait_for(lambda: _queue_empty(sqs, url), 30, "the queue to drain")
    assert [i["key"] for i in stack.items(lib["id"])] == [key]


def _queue_empty(sqs, url: str) -> bool:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        attrs["ApproximateNumberOfMessages"] == "0"
        and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    )


def test_poison_message_ends_in_the_dead_letter_queue(stack) -> None:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName="viewra-scan")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="viewra-scan-dlq")["QueueUrl"]
    marker = f"poison-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"type": "nonsense", "marker": marker}))

    def in_dlq() -> bool:
        r = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        for m in r.get("Messages", []):
            if marker in m["Body"]:
                assert int(m["Attributes"]["ApproximateReceiveCount"]) >= 1
                return True
        return False

    stack.wait_for(in_dlq, 60, "the poison message in the DLQ")


# Recordings, DVD rips and camcorder files: every family is catalogued through the running stack
# with its streams, duration and frame rate, whatever the scan's probe budget (kept as a guard).
CONTAINERS = {
    "sample_ts": ("Ronin.1998.Recording.ts", "ts", "h264"),
    "sample_m2ts": ("Heat 1995 BDAV.m2ts", "m2ts", "h264"),
    "sample_mpeg_ps": ("Drive (2011) DVD.mpg", "mpeg", "mpeg2video"),
    "sample_avi": ("Alien.1979.XviD.avi", "avi", "mpeg4"),
    "sample_asf": ("Brazil.1985.wmv", "asf", "wmv2"),
    "sample_flv": ("Tron.1982.flv", "flv", "h264"),
}


@pytest.mark.parametrize("media", sorted(CONTAINERS))
def test_every_container_family_is_catalogued_from_its_ends(stack, media_dir, media) -> None:
    name, container, codec = CONTAINERS[media]
    lib = stack.library("movies")
    key = lib["prefix"] + name
    upload(stack, key, media_dir[media])
    item = stack.item_at(lib["id"], key)
    assert item["status"] == "ready", item.get("failure_reason")
    assert (item["container"], video(item)["codec"]) == (container, codec)
    assert (video(item)["width"], video(item)["height"]) == (320, 240)
    assert video(item)["frame_rate"] == pytest.approx(25.0)
    assert audio(item)["channels"] == 2
    assert item["duration"] == pytest.approx(8.0, abs=0.5)
    assert item["damaged"] is False


def test_a_cut_matroska_file_is_ready_but_damaged_and_a_cut_mp4_fails(stack, media_dir) -> None:
    lib = stack.library("movies")
    mkv, mp4 = lib["prefix"] + "Cut.2001.mkv", lib["prefix"] + "Cut.2002.mp4"
    upload(stack, mkv, media_dir["mkv_cut"])
    upload(stack, mp4, media_dir["mp4_moov_first_cut"])
    damaged = stack.item_at(lib["id"], mkv)
    assert damaged["status"] == "ready" and damaged["damaged"] is True
    assert "Matroska segment ends at byte" in damaged["damage"]
    assert 2.0 < damaged["duration"] < 6.0  # what plays of the 8 s the header announces
    failed = stack.item_at(lib["id"], mp4)
    assert failed["status"] == "failed"
    assert "truncated: the 'mdat' box ends at byte" in failed["failure_reason"]

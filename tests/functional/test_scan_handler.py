"""The scan function's handler fed S3 event fixtures and fan-out messages (in-process moto).

Given a library and an object in the media bucket, when the queue delivers its event, then the
item appears, probed; the hard cases (duplicates, reordering, bad files, poison) behave.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests import minio_events as deliveries
from tests.functional.conftest import invoke_scan, load_event, scan_event
from tests.functional.spy import aws_calls
from viewra.local.functions import load_function
from viewra.local.worker import LambdaContext
from viewra.media.library_admin import create_library, start_scan
from viewra.media.models.catalogue import LibraryCreate, item_id
from viewra.media.models.items import ItemStatus
from viewra.media.models.listing import ItemQuery
from viewra.media.models.scans import SCAN_LIST, SCAN_OBJECT

KEY = "movies/Blade Runner (1982)/Blade.Runner.1982.mp4"


def created(
    services,
    key: str,
    time: str = "2026-11-20T10:15:30.120Z",
    seq: str = "0055AED6DCD90281E5",
) -> dict[str, Any]:
    """The notification S3 sends for ``key``: the object's own ETag and size, when it exists."""
    event = load_event("s3_object_created.json")
    obj = event["Records"][0]["s3"]["object"]
    obj["key"] = key.replace(" ", "+").replace("(", "%28").replace(")", "%29")
    obj["sequencer"] = seq
    try:
        head = services.objects._s3.head_object(Bucket=services.settings.media_bucket, Key=key)
        obj["eTag"], obj["size"] = head["ETag"].strip('"'), head["ContentLength"]
    except ClientError:
        obj["eTag"], obj["size"] = "0" * 32, 1024  # gone already: what an earlier event said
    event["Records"][0]["s3"]["bucket"]["name"] = services.settings.media_bucket
    event["Records"][0]["eventTime"] = time
    return event


def removed(services, key: str, time: str = "2026-11-20T10:20:00.000Z") -> dict[str, Any]:
    event = load_event("s3_object_removed.json")
    event["Records"][0]["s3"]["object"]["key"] = (
        key.replace(" ", "+").replace("(", "%28").replace(")", "%29")
    )
    event["Records"][0]["s3"]["bucket"]["name"] = services.settings.media_bucket
    event["Records"][0]["eventTime"] = time
    return event


@pytest.fixture
def movies(services):
    library, _ = create_library(
        services, LibraryCreate(name="Movies", prefix="movies/", kind="movies")
    )
    return library


def put(services, key: str, path) -> str:
    r = services.objects._s3.put_object(
        Bucket=services.settings.media_bucket, Key=key, Body=path.read_bytes()
    )
    return r["ETag"].strip('"')


def test_created_event_catalogues_the_probed_item(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    result = invoke_scan(services, created(services, KEY))
    assert result == {"batchItemFailures": []}
    item = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    assert item is not None and item.status is ItemStatus.READY
    assert (item.kind.value, item.title, item.year) == ("movie", "Blade Runner", 1982)
    assert item.container == "mp4"
    assert [s.codec for s in item.video_streams] == ["h264"]
    assert [s.codec for s in item.audio_streams] == ["aac"]
    assert item.duration == pytest.approx(2.0, abs=0.2)


def test_every_read_of_the_object_is_a_bounded_range(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_moov_end"])
    with aws_calls() as calls:
        invoke_scan(services, created(services, KEY))
    gets = [
        p for op, p in calls if op == "GetObject" and p["Bucket"] == services.settings.media_bucket
    ]
    assert gets, "the probe read nothing"
    for params in gets:
        start, end = params["Range"].removeprefix("bytes=").split("-")
        assert 0 < int(end) - int(start) + 1 <= services.settings.probe_block_size


def test_test_event_and_foreign_prefix_and_foreign_bucket_are_ignored(
    services, movies, media_dir
) -> None:
    put(services, "music/x.mp3", media_dir["mp3_tagged"])
    foreign = created(services, "movies/x.mp4")
    foreign["Records"][0]["s3"]["bucket"]["name"] = "someone-elses-bucket"
    result = invoke_scan(
        services, load_event("s3_test_event.json"), created(services, "music/x.mp3"), foreign
    )
    assert result == {"batchItemFailures": []}
    assert services.catalog.get(item_id(services.settings.media_bucket, "music/x.mp3")) is None
    assert services.catalog.get(item_id("someone-elses-bucket", "movies/x.mp4")) is None


def test_duplicate_delivery_probes_once(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, KEY))
    twice = (created(services, KEY), created(services, KEY))
    with aws_calls() as calls:
        result = invoke_scan(services, *twice)
    assert result == {"batchItemFailures": []}
    assert not [op for op, p in calls if op == "GetObject"]  # skipped: same ETag
    page = services.catalog.query(ItemQuery())
    assert [i.key for i in page.items] == [KEY]


def test_an_event_with_etag_and_size_needs_no_head(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    event = created(services, KEY)
    with aws_calls() as calls:
        assert invoke_scan(services, event) == {"batchItemFailures": []}
    ops = [op for op, _ in calls]
    assert "HeadObject" not in ops and "GetObject" in ops
    item = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    assert item.status is ItemStatus.READY and item.video_streams


def test_an_object_replaced_after_its_event_is_probed_as_it_is_now(
    services, movies, media_dir
) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    stale = created(services, KEY)  # names the first upload's ETag
    put(services, KEY, media_dir["mkv_hevc"])
    with aws_calls() as calls:
        assert invoke_scan(services, stale) == {"batchItemFailures": []}
    assert "HeadObject" in [op for op, _ in calls]  # the pinned read failed: looked again
    item = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    head = services.objects._s3.head_object(Bucket=services.settings.media_bucket, Key=KEY)
    assert item.etag == head["ETag"].strip('"')
    assert item.video_streams[0].codec == "hevc"


def test_an_object_deleted_after_its_event_is_skipped(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    stale = created(services, KEY)
    services.objects._s3.delete_object(Bucket=services.settings.media_bucket, Key=KEY)
    assert invoke_scan(services, stale) == {"batchItemFailures": []}
    assert services.catalog.get(item_id(services.settings.media_bucket, KEY)) is None


def test_removal_takes_the_item_out_and_a_late_creation_cannot_bring_it_back(
    services, movies, media_dir
) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, KEY))
    services.objects._s3.delete_object(Bucket=services.settings.media_bucket, Key=KEY)
    invoke_scan(services, removed(services, KEY))
    assert services.catalog.query(ItemQuery()).items == []
    assert (
        services.catalog.get(item_id(services.settings.media_bucket, KEY)).status
        is ItemStatus.REMOVED
    )
    # the object comes back, but the event that arrives is the old creation (earlier order)
    put(services, KEY, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, KEY, time="2026-11-20T10:00:00.000Z"))
    assert services.catalog.query(ItemQuery()).items == []
    # its own, newer creation event (a later sequencer) does bring it back
    invoke_scan(services, created(services, KEY, seq="0055AED6DCD9028300"))
    assert [i.key for i in services.catalog.query(ItemQuery()).items] == [KEY]


def test_a_late_creation_with_a_newer_time_but_an_older_sequencer_stays_out(
    services, movies, media_dir
) -> None:
    """S3 orders a key's events by sequencer; eventTime is not an order (issue 20)."""
    put(services, KEY, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, KEY, time="2026-11-20T10:00:00.000Z", seq="0A00"))
    services.objects._s3.delete_object(Bucket=services.settings.media_bucket, Key=KEY)
    removal = removed(services, KEY, time="2026-11-20T10:05:00.000Z")
    removal["Records"][0]["s3"]["object"]["sequencer"] = "0B00"
    invoke_scan(services, removal)
    put(services, KEY, media_dir["mp4_faststart"])
    # delivered late: a newer eventTime, an older sequencer than the removal's
    late = created(services, KEY, time="2026-11-20T12:00:00.000Z", seq="0AFF")
    assert invoke_scan(services, late) == {"batchItemFailures": []}
    record = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    assert record.status is ItemStatus.REMOVED
    assert services.catalog.query(ItemQuery()).items == []


def test_a_creation_with_an_older_time_but_a_newer_sequencer_replaces_the_item(
    services, movies, media_dir
) -> None:
    """The reverse: an earlier eventTime with a later (longer, padded) sequencer is newer."""
    put(services, KEY, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, KEY, time="2026-11-20T12:00:00.000Z", seq="0A00"))
    etag = put(services, KEY, media_dir["webm"])
    newer = created(services, KEY, time="2026-11-20T09:00:00.000Z", seq="0A0001")
    assert invoke_scan(services, newer) == {"batchItemFailures": []}
    item = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    assert item.etag == etag
    assert [s.codec for s in item.video_streams] == ["vp9"]
    # and the removal that S3 sequenced before that creation cannot take it out
    stale = removed(services, KEY, time="2026-11-20T13:00:00.000Z")
    stale["Records"][0]["s3"]["object"]["sequencer"] = "0A0000FF"  # < 0A000100
    invoke_scan(services, stale)
    assert [i.key for i in services.catalog.query(ItemQuery()).items] == [KEY]


def test_replaced_object_is_reprobed(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, KEY))
    etag = put(services, KEY, media_dir["webm"])
    invoke_scan(services, created(services, KEY, time="2026-11-20T12:00:00.000Z"))
    item = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    assert item.etag == etag
    assert [s.codec for s in item.video_streams] == ["vp9"]


@pytest.mark.parametrize("name", ["mp4_truncated", "random", "text", "empty", "mp4_garbled"])
def test_bad_file_becomes_a_failed_item_and_the_batch_goes_on(
    services, movies, media_dir, name: str
) -> None:
    bad, good = "movies/bad/file.mp4", KEY
    put(services, bad, media_dir[name])
    put(services, good, media_dir["mp4_faststart"])
    result = invoke_scan(services, created(services, bad), created(services, good))
    assert result == {"batchItemFailures": []}
    failed = services.catalog.get(item_id(services.settings.media_bucket, bad))
    assert failed.status is ItemStatus.FAILED and failed.failure_reason
    assert (
        services.catalog.get(item_id(services.settings.media_bucket, good)).status
        is ItemStatus.READY
    )


def test_poison_messages_fail_alone(services, movies, media_dir) -> None:
    put(services, KEY, media_dir["mp4_faststart"])
    batch = scan_event(
        services,
        {"type": "nonsense"},
        created(services, KEY),
        {"Records": [{"eventName": "ObjectCreated:Put"}]},
    )
    batch["Records"].append({**batch["Records"][0], "messageId": "not-json", "body": "{oops"})
    result = load_function("scan").handle_scan_queue(batch, LambdaContext(function_name="scan"))
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert failed == {"msg-0", "msg-2", "not-json"}
    assert services.catalog.get(item_id(services.settings.media_bucket, KEY)) is not None


def test_library_scan_fans_out_and_completes(services, media_dir) -> None:
    keys = [f"shows/The Office/Season 02/The.Office.S02E{n:02d}.mp4" for n in range(1, 13)]
    for key in keys:
        put(services, key, media_dir["mp4_faststart"])
    put(services, "shows/notes.txt", media_dir["text"])
    sqs, url = services.queues._sqs, services.queues.url(services.settings.scan_queue)
    sqs.purge_queue(QueueUrl=url)  # the uploads' own events: this test is about the fan-out
    library, scan = create_library(
        services, LibraryCreate(name="Shows", prefix="shows/", kind="shows")
    )
    bodies: list[dict[str, Any]] = []
    while True:  # drain the queue the way the worker would, one batch of ten at a time
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        batch = [json.loads(m["Body"]) for m in messages]
        bodies += batch
        assert invoke_scan(services, *batch) == {"batchItemFailures": []}
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
    objects = [b for b in bodies if b.get("type") == SCAN_OBJECT]
    assert len(objects) == 13 and [b.get("type") for b in bodies].count(SCAN_LIST) == 1
    done = services.scans.get(scan.id)
    assert (done.status.value, done.total, done.done, done.skipped, done.failed) == (
        "completed",
        13,
        12,
        0,
        1,
    )
    episodes = {
        services.catalog.get(item_id(services.settings.media_bucket, k)).episode for k in keys
    }
    assert episodes == set(range(1, 13))
    # a redelivered object message does not count twice
    invoke_scan(services, objects[0])
    assert services.scans.get(scan.id).done == 12
    # a rescan finds everything already catalogued
    again = start_scan(services, library.id)
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        invoke_scan(services, *[json.loads(m["Body"]) for m in messages])
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
    rescan = services.scans.get(again.id)
    assert (rescan.status.value, rescan.skipped, rescan.done) == ("completed", 13, 0)


def test_music_track_takes_tags_and_cover_art(services, media_dir) -> None:
    create_library(services, LibraryCreate(name="Music", prefix="music/", kind="music"))
    tagged, untagged = "music/x/y/01 - whatever.mp3", "music/Portishead/Dummy/03 - Strangers.mp3"
    put(services, tagged, media_dir["mp3_tagged"])
    put(services, untagged, media_dir["mp3_untagged"])
    invoke_scan(services, created(services, tagged), created(services, untagged))
    item = services.catalog.get(item_id(services.settings.media_bucket, tagged))
    assert item.kind.value == "track"
    assert (
        item.title,
        item.artist,
        item.album,
        item.album_artist,
        item.track,
        item.disc,
        item.year,
    ) == ("Song Of Tests", "The Generators", "Synthetic Sounds", "Various Generators", 3, 2, 1999)
    assert item.genres == ["Electronic", "Ambient"]
    assert item.artwork_key and item.artwork_key.startswith("artwork/")
    digest = item.artwork_key.split("/")[3]
    assert item.artwork_key.startswith(f"artwork/{digest[:2]}/{digest[2:4]}/{digest}/")
    art = services.objects._s3.get_object(
        Bucket=services.settings.content_bucket, Key=item.artwork_key
    )["Body"].read()
    assert art == media_dir["cover_jpg"].read_bytes()  # the embedded JPEG, stored as is
    plain = services.catalog.get(item_id(services.settings.media_bucket, untagged))
    assert (plain.artist, plain.album, plain.track, plain.title) == (
        "Portishead",
        "Dummy",
        3,
        "Strangers",
    )


def test_a_flac_cover_skipped_by_the_probe_is_fetched_alone_and_stored(services, media_dir) -> None:
    """The probe locates the PICTURE block's image without reading it; the scan reads exactly
    those bytes (one ranged GET) and stores them as the track's artwork before the item is
    written, so the library shows it at once."""
    create_library(services, LibraryCreate(name="Music", prefix="music/", kind="music"))
    key = "music/The Generators/Synthetic Sounds/03 - Song Of Tests.flac"
    put(services, key, media_dir["flac_tagged"])
    with aws_calls() as calls:
        invoke_scan(services, created(services, key))
    item = services.catalog.get(item_id(services.settings.media_bucket, key))
    assert item.status is ItemStatus.READY and item.artwork_key
    stored = services.objects._s3.get_object(
        Bucket=services.settings.content_bucket, Key=item.artwork_key
    )
    assert stored["Body"].read() == media_dir["cover_png"].read_bytes()
    assert stored["ContentType"] == "image/png"
    image = media_dir["cover_png"].read_bytes()
    start = media_dir["flac_tagged"].read_bytes().index(image)
    ranges = [params.get("Range") for op, params in calls if op == "GetObject"]
    assert ranges.count(f"bytes={start}-{start + len(image) - 1}") == 1


def test_sidecars_add_subtitles_nfo_and_poster_and_are_not_items(
    services, movies, media_dir
) -> None:
    folder = "movies/Alien (1979)/"
    video = folder + "Alien.1979.mp4"
    s3 = services.objects._s3
    bucket = services.settings.media_bucket
    put(services, video, media_dir["mp4_faststart"])
    srt = b"1\n00:00:00,000 --> 00:00:01,000\nHello\n"
    s3.put_object(Bucket=bucket, Key=folder + "Alien.1979.en.srt", Body=srt)
    s3.put_object(Bucket=bucket, Key=folder + "Alien.1979.fre.forced.srt", Body=srt)
    s3.put_object(
        Bucket=bucket,
        Key=folder + "Alien.1979.nfo",
        Body=(
            b"<?xml version='1.0'?><movie><title>Alien (Director's Cut)</title><year>1979</year>"
            b"<plot>In space no one can hear you scream.</plot><genre>Horror</genre>"
            b"<genre>Science Fiction</genre><tagline>In space no one can hear you scream.</tagline>"
            b"<uniqueid type='imdb'>tt0078748</uniqueid><actor><name>Sigourney Weaver</name>"
            b"<role>Ripley</role><order>0</order></actor></movie>"
        ),
    )
    poster = media_dir["cover_jpg"].read_bytes()
    s3.put_object(Bucket=bucket, Key=folder + "poster.jpg", Body=poster)
    invoke_scan(services, created(services, video), created(services, folder + "poster.jpg"))
    item = services.catalog.get(item_id(bucket, video))
    assert (item.title, item.year, item.genres) == (
        "Alien (Director's Cut)",
        1979,
        ["Horror", "Science Fiction"],
    )
    assert item.overview == "In space no one can hear you scream."
    assert item.metadata is not None and item.metadata.sources == ["nfo"]
    assert [(p.name, p.role) for p in item.metadata.cast] == [("Sigourney Weaver", "Ripley")]
    assert item.metadata.external_ids.imdb == "tt0078748"
    assert item.metadata.tagline == "In space no one can hear you scream."
    external = [s for s in item.streams if s.external]
    assert [(s.language, s.forced, s.codec) for s in external] == [
        ("eng", False, "subrip"),
        ("fra", True, "subrip"),
    ]
    assert [s.index for s in item.streams] == list(range(len(item.streams)))
    stored = s3.get_object(Bucket=services.settings.content_bucket, Key=item.artwork_key)
    assert stored["Body"].read() == poster
    assert services.catalog.get(item_id(bucket, folder + "poster.jpg")) is None
    # a subtitle dropped later refreshes the video
    s3.put_object(Bucket=bucket, Key=folder + "Alien.1979.de.srt", Body=srt)
    invoke_scan(
        services, created(services, folder + "Alien.1979.de.srt", time="2026-11-21T00:00:00.000Z")
    )
    item = services.catalog.get(item_id(bucket, video))
    assert {s.language for s in item.streams if s.external} == {"eng", "fra", "deu"}


def test_a_drop_of_many_files_in_one_folder_lists_the_folder_once(
    services, movies, media_dir
) -> None:
    keys = [f"movies/pile/Film {n} ({2000 + n}).mp4" for n in range(6)]
    for key in keys:
        put(services, key, media_dir["mp4_faststart"])
    with aws_calls() as calls:
        invoke_scan(services, *[created(services, k) for k in keys])
    listings = [p for op, p in calls if op == "ListObjectsV2" and p.get("Delimiter") == "/"]
    assert len(listings) == 1
    assert all(services.catalog.get(item_id(services.settings.media_bucket, k)) for k in keys)


def minio_delivery(
    services, key: str, name: str = "s3:ObjectCreated:Put", time: str = "2026-11-20T10:15:30Z"
) -> dict[str, Any]:
    bucket = services.settings.media_bucket
    if not name.startswith("s3:ObjectCreated"):
        return deliveries.minio_delivery(bucket, key, name=name, time=time)
    head = services.objects._s3.head_object(Bucket=bucket, Key=key)
    return deliveries.minio_delivery(
        bucket, key, etag=head["ETag"].strip('"'), size=head["ContentLength"], name=name, time=time
    )


def _minio_bodies(services) -> list[dict[str, Any]]:
    """The scan queue's messages that came through the hook (moto's own S3 also notifies it)."""
    sqs = services.queues._sqs
    url = services.queues.url(services.settings.scan_queue)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    bodies = [json.loads(m["Body"]) for m in got]
    return [b for b in bodies if b.get("Records", [{}])[0].get("eventSource") == "minio:s3"]


def test_minios_webhook_deliveries_reach_the_library_through_the_hook(
    services, movies, media_dir, monkeypatch
) -> None:
    """MinIO cannot send to SQS: its webhook posts to the API's hook, which queues each record as
    S3 would; the scan reads MinIO's ``s3:``-prefixed names, its encoded keys and its sequencer."""
    from dataclasses import replace

    from viewra.media import store_hook

    services.settings = replace(services.settings, store_hook_token="s3cret")
    etag = put(services, KEY, media_dir["mp4_faststart"])

    assert store_hook.forward(services, "Bearer s3cret", minio_delivery(services, KEY)) == 1
    [body] = _minio_bodies(services)
    assert invoke_scan(services, body) == {"batchItemFailures": []}
    item = services.catalog.get(item_id(services.settings.media_bucket, KEY))
    assert item is not None and item.status is ItemStatus.READY
    assert (item.title, item.year, item.etag) == ("Blade Runner", 1982, etag)

    services.objects._s3.delete_object(Bucket=services.settings.media_bucket, Key=KEY)
    gone = minio_delivery(services, KEY, "s3:ObjectRemoved:Delete", "2026-11-20T10:20:00Z")
    assert store_hook.forward(services, "s3cret", gone) == 1
    invoke_scan(services, *_minio_bodies(services))
    assert services.catalog.query(ItemQuery()).items == []

"""Enrichment after a scan: the enrich queue gets ItemAdded from the topic, the handler asks TMDB
(a local server replaying TMDB's documented JSON) and fills the item's gaps."""

from __future__ import annotations

import pytest

from tests.functional.conftest import invoke_scan
from tests.functional.test_scan_handler import created, put
from tests.unit.media.enrich.conftest import server  # noqa: F401  (the replay server fixture)
from viewra.bootstrap import reset_services
from viewra.common.events import Event, ItemAdded
from viewra.local.functions import load_function
from viewra.local.worker import LambdaContext, to_lambda_event
from viewra.media.enrich.pipeline import enrich_delivery
from viewra.media.library_admin import create_library
from viewra.media.models.catalogue import LibraryCreate, item_id
from viewra.media.models.items import ItemMetadata


def drain(services, queue: str) -> list[dict]:
    sqs = services.queues._sqs
    url = services.queues.url(queue)
    results = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        event = to_lambda_event(messages, "arn:aws:sqs:us-east-1:123456789012:enrich", "us-east-1")
        results.append(load_function("scan").handle_enrich_queue(event, LambdaContext("enrich")))
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
    return results


@pytest.fixture
def tmdb(monkeypatch, server):  # noqa: F811
    monkeypatch.setenv("VIEWRA_TMDB_API_KEY", "KEY123")
    monkeypatch.setenv("VIEWRA_TMDB_BASE_URL", f"{server.url}/3")
    # posters from the replay server too: a test must not ask image.tmdb.org
    monkeypatch.setenv("VIEWRA_TMDB_IMAGE_BASE_URL", f"{server.url}/t/p")
    return server


def test_a_scanned_movie_is_enriched_from_tmdb(tmdb, services, media_dir, api) -> None:
    reset_services()  # the key was set before: build the services again
    create_library(services, LibraryCreate(name="M", prefix="movies/", kind="movies"))
    key = "movies/Blade Runner (1982).mp4"
    put(services, key, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, key))
    # the enrich queue holds only ItemAdded/ItemUpdated (the subscription's filter policy)
    assert drain(services, services.settings.enrich_queue) == [{"batchItemFailures": []}]
    item = services.catalog.get(item_id(services.settings.media_bucket, key))
    assert item.title == "Blade Runner" and item.year == 1982  # the file's own name wins
    assert item.genres == ["Science Fiction", "Drama", "Thriller"]
    assert item.overview and item.overview.startswith("In the smog-choked")
    # what the item has no field of its own for is kept in its metadata, and shown in its detail
    detail = api.http.get(f"/items/{item.id}").json_body
    meta = detail["metadata"]
    assert meta["sources"] == ["tmdb"] and meta["external_ids"]["tmdb"] == 78
    assert [p["name"] for p in meta["cast"]] == ["Harrison Ford", "Rutger Hauer"]
    assert meta["poster_url"] == f"{tmdb.url}/t/p/w500/63N9uy8nd9j7Eog2axPQ8lbr3Wj.jpg"
    assert meta["backdrop_url"] and meta["ratings"][0]["source"] == "tmdb"
    # enriching again with the same answers writes nothing
    again = services.catalog.get(item.id)
    event = Event.of(ItemAdded(item_id=item.id, library_id=item.library_id, key=key))
    assert enrich_delivery(services, event.model_dump_json()) is False
    assert services.catalog.get(item.id) == again
    assert "/3/search/movie" in tmdb.paths()
    api_calls = [r for r in tmdb.requests if r.path.startswith("/3/")]
    assert all(
        r.query.get("api_key") == "KEY123" or r.headers.get("Authorization") for r in api_calls
    )
    # the poster was asked of the image host (404 here, so at each enrichment), without the key
    images = [r for r in tmdb.requests if r.path.startswith("/t/p/")]
    assert {r.path for r in images} == {"/t/p/w500/63N9uy8nd9j7Eog2axPQ8lbr3Wj.jpg"}
    assert all(not r.query and "Authorization" not in r.headers for r in images)


def test_without_a_key_nothing_is_asked(services, media_dir, server) -> None:  # noqa: F811
    create_library(services, LibraryCreate(name="M", prefix="movies/", kind="movies"))
    key = "movies/Alien (1979).mp4"
    put(services, key, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, key))
    assert drain(services, services.settings.enrich_queue) == [{"batchItemFailures": []}]
    assert server.requests == []
    assert services.catalog.get(item_id(services.settings.media_bucket, key)).overview is None


def test_a_failing_service_fails_the_message_for_a_later_retry(tmdb, services, media_dir) -> None:
    reset_services()
    tmdb.failures["/3/search/movie"] = [500] * 20
    create_library(services, LibraryCreate(name="M", prefix="movies/", kind="movies"))
    key = "movies/Heat (1995).mp4"
    put(services, key, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, key))
    [result] = drain(services, services.settings.enrich_queue)
    assert len(result["batchItemFailures"]) == 1  # the queue brings it back later
    assert services.catalog.get(item_id(services.settings.media_bucket, key)).overview is None


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 256
POSTER = "/t/p/w500/63N9uy8nd9j7Eog2axPQ8lbr3Wj.jpg"  # the fixture's poster_path, at w500


def test_an_item_without_artwork_gets_the_poster_from_tmdbs_image_host(
    tmdb, services, media_dir, api
) -> None:
    tmdb.raw[POSTER] = (200, {"Content-Type": "image/jpeg"}, JPEG)
    reset_services()
    create_library(services, LibraryCreate(name="M", prefix="movies/", kind="movies"))
    key = "movies/Blade Runner (1982).mp4"
    put(services, key, media_dir["mp4_faststart"])  # no embedded cover, nothing beside it
    invoke_scan(services, created(services, key))

    assert drain(services, services.settings.enrich_queue) == [{"batchItemFailures": []}]

    item = services.catalog.get(item_id(services.settings.media_bucket, key))
    assert item.artwork_key and item.artwork_key.startswith("artwork/")
    stored = services.objects._s3.get_object(
        Bucket=services.settings.content_bucket, Key=item.artwork_key
    )
    assert stored["Body"].read() == JPEG and stored["ContentType"] == "image/jpeg"
    assert api.http.get(f"/items/{item.id}").json_body["artwork_url"]
    assert tmdb.paths().count(POSTER) == 1


def test_a_poster_url_on_another_host_is_not_fetched(tmdb, services, media_dir) -> None:
    elsewhere = tmdb.url.replace("127.0.0.1", "localhost")  # the same server, another host
    reset_services()
    create_library(services, LibraryCreate(name="M", prefix="movies/", kind="movies"))
    key = "movies/Blade Runner (1982).mp4"
    put(services, key, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, key))
    # metadata an earlier source (a scraper plugin, say) set: its poster URL stands
    item = services.catalog.get(item_id(services.settings.media_bucket, key))
    said = ItemMetadata(sources=["plugin"], poster_url=f"{elsewhere}/inside.jpg")
    assert services.catalog.amend(item.model_copy(update={"metadata": said}))

    assert drain(services, services.settings.enrich_queue) == [{"batchItemFailures": []}]

    item = services.catalog.get(item.id)
    assert item.metadata.poster_url == f"{elsewhere}/inside.jpg"
    assert item.metadata.external_ids.tmdb == 78  # enrichment filled the rest
    assert item.artwork_key is None
    assert "/inside.jpg" not in tmdb.paths()

"""The enrichment cache table: answers kept for every process, so a rescan in another sandbox
does not ask TMDB or MusicBrainz again; a cache that fails costs requests, never an enrichment."""

from __future__ import annotations

import pytest

from tests.functional.conftest import invoke_scan
from tests.functional.test_enrichment import drain, tmdb  # noqa: F401  (TMDB, replayed)
from tests.functional.test_scan_handler import created, put
from tests.unit.media.enrich.conftest import server  # noqa: F401  (the replay server fixture)
from viewra.bootstrap import reset_services
from viewra.media.enrich.core import enrich_item
from viewra.media.enrich.pipeline import clients_for
from viewra.media.library_admin import create_library
from viewra.media.models.catalogue import LibraryCreate, item_id
from viewra.media.models.items import ItemKind, MediaItem
from viewra.storage.enrich_cache import MAX_ENTRY_BYTES, DynamoCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_until_it_expires(services) -> None:
    clock = Clock()
    cache = DynamoCache(services.tables.enrich_cache, clock=clock)

    cache.set("tmdb:abc", {"results": [{"id": 78}]}, ttl=60)

    assert cache.get("tmdb:abc") == {"results": [{"id": 78}]}
    assert DynamoCache(services.tables.enrich_cache).get("tmdb:abc") is not None  # any process
    assert cache.get("tmdb:other") is None
    clock.now += 61  # DynamoDB deletes expired items lazily: the read checks the time itself
    assert cache.get("tmdb:abc") is None
    record = services.tables.enrich_cache.get("tmdb:abc")
    assert record.expires.timestamp() == pytest.approx(1_800_000_060)  # the table's TTL attribute


def test_an_answer_too_big_for_an_item_is_not_kept(services) -> None:
    cache = DynamoCache(services.tables.enrich_cache)

    cache.set("tmdb:big", {"blob": "x" * MAX_ENTRY_BYTES}, ttl=60)

    assert cache.get("tmdb:big") is None


def test_a_failing_table_is_a_miss_not_an_error(services) -> None:
    cache = DynamoCache(services.tables.enrich_cache)
    services.tables.enrich_cache.delete_table()

    cache.set("tmdb:abc", {"results": []}, ttl=60)  # logged, not raised

    assert cache.get("tmdb:abc") is None


def test_a_second_process_asks_the_service_nothing(tmdb, services) -> None:  # noqa: F811
    reset_services()
    item = MediaItem(
        id="i1", library_id="l1", bucket="b", key="k", etag="e",
        kind=ItemKind.MOVIE, title="Blade Runner", year=1982,
    )  # fmt: skip
    settings = services.settings

    first = enrich_item(item, clients_for(settings, DynamoCache(services.tables.enrich_cache)))
    asked = len(tmdb.requests)
    # a new process (another sandbox, a later rescan): empty memory, the same table
    second = enrich_item(item, clients_for(settings, DynamoCache(services.tables.enrich_cache)))

    assert asked >= 2 and len(tmdb.requests) == asked  # search + details, once
    assert second == first and second.external_ids.tmdb == 78
    # without the table, a new process asks again
    enrich_item(item, clients_for(settings))
    assert len(tmdb.requests) == 2 * asked


def test_the_scan_functions_enrichment_fills_the_table(
    tmdb,  # noqa: F811
    services,
    media_dir,
) -> None:
    reset_services()
    create_library(services, LibraryCreate(name="M", prefix="movies/", kind="movies"))
    key = "movies/Blade Runner (1982).mp4"
    put(services, key, media_dir["mp4_faststart"])
    invoke_scan(services, created(services, key))

    assert drain(services, services.settings.enrich_queue) == [{"batchItemFailures": []}]

    kept = list(services.tables.enrich_cache.scan())
    api_calls = [r for r in tmdb.requests if r.path.startswith("/3/")]  # not the poster's GET
    assert len(kept) == len(api_calls) >= 2
    assert all(r.cache_key.startswith("tmdb:") and r.expires is not None for r in kept)
    assert "KEY123" not in str([r.value for r in kept])  # no secret in what is stored
    assert services.catalog.get(item_id(services.settings.media_bucket, key)).metadata

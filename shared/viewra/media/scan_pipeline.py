"""The scan pipeline: what the scan function does with each message of its queue.

Three kinds of message arrive: S3 event notifications (an object was created or removed), and the
two halves of a library scan's fan-out, ``scan_list`` (list one page of a prefix, enqueue its
objects) and ``scan_object`` (catalogue one listed object). Every one is idempotent: an object
already catalogued with the same ETag is skipped, writes are conditional on event order, and scan
counters move once per object.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from viewra.common import metrics
from viewra.common.content_address import content_key
from viewra.common.errors import InvalidKey, NotFound, ObjectChanged, PoisonMessage
from viewra.common.event_order import event_order
from viewra.common.events import (
    ItemAdded,
    ItemFailed,
    ItemRemoved,
    ItemUpdated,
    ScanCompleted,
    publish,
)
from viewra.common.logs import logger
from viewra.common.object_keys import validate_key
from viewra.common.timestamps import now_iso
from viewra.media.models.catalogue import Library, item_id, library_for_key
from viewra.media.models.items import (
    ItemKind,
    ItemStatus,
    MediaItem,
    ObjectHead,
    ProbeResult,
    StreamType,
)
from viewra.media.models.scans import SCAN_LIST, SCAN_OBJECT, ScanOutcome
from viewra.media.naming import music_tags, parse_name
from viewra.media.probe import ProbeError, fetch_cover, probe
from viewra.media.scan_sidecars import LISTINGS, apply_sidecars, is_sidecar
from viewra.media.scrapers.artwork import MAX_ARTWORK_BYTES
from viewra.media.scrapers.keys import folder

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices as Services

LIST_PAGE_SIZE = 1000
# An object event reuses this process's list of libraries for this long. A library changed in
# another process (the API) is seen within it: a key under no known library reads the list again,
# and a deleted or re-prefixed library may still claim an object for at most this long.
LIBRARIES_MAX_AGE = 5.0


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    order: str  # viewra.common.event_order: the padded S3 sequencer decides, event time without one
    # what the S3 event (or the listing) said of the object: with both, the scan needs no HEAD
    etag: str | None = None
    size: int | None = None


def handle_message(services: Services, body: dict[str, Any]) -> None:
    """Handle one queue message; raise to have it retried (and, in the end, dead-lettered)."""
    if body.get("Event") == "s3:TestEvent":
        logger.info("ignoring s3:TestEvent")
        return
    if "Records" in body:
        for record in body["Records"]:
            _handle_s3_record(services, record)
        return
    kind = body.get("type")
    if kind == SCAN_LIST:
        list_page(services, body)
    elif kind == SCAN_OBJECT:
        _handle_scan_object(services, body)
    else:
        raise PoisonMessage(f"unknown message: {sorted(body)[:5]}")


def _handle_s3_record(services: Services, record: dict[str, Any]) -> None:
    try:
        # S3 names events "ObjectCreated:Put"; MinIO (and the S3 notification configuration)
        # "s3:ObjectCreated:Put"
        name = str(record["eventName"]).removeprefix("s3:")
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        order = event_order(record.get("eventTime", ""), record["s3"]["object"].get("sequencer"))
    except (KeyError, TypeError) as exc:
        raise PoisonMessage(f"malformed S3 record: {exc}") from exc
    if bucket != services.settings.media_bucket:
        logger.warning("event for a bucket that is not the media bucket", extra={"bucket": bucket})
        return
    try:
        validate_key(key)
    except InvalidKey as exc:
        logger.warning("rejected key", extra={"key": key, "reason": exc.message})
        return
    library = library_for_key(services.libraries.list_recent(LIBRARIES_MAX_AGE), key)
    if library is None:  # perhaps a library created a moment ago, in another process
        library = library_for_key(services.libraries.list(), key)
    if library is None:
        logger.info("object under no library's prefix: ignored", extra={"key": key})
        return
    obj = record["s3"]["object"]
    size = obj.get("size")
    ref = ObjectRef(
        bucket=bucket,
        key=key,
        order=order,
        etag=str(obj["eTag"]).strip('"') if obj.get("eTag") else None,
        size=size if isinstance(size, int) and size >= 0 else None,
    )
    if is_sidecar(key) and name.startswith(("ObjectRemoved", "ObjectCreated")):
        refresh_folder(services, library, ref)
    elif name.startswith("ObjectRemoved"):
        remove_object(services, ref)
    elif name.startswith("ObjectCreated"):
        catalogue_object(services, library, ref)
    else:
        logger.info("event ignored", extra={"event_name": name, "key": key})


def remove_object(services: Services, ref: ObjectRef) -> None:
    iid = item_id(ref.bucket, ref.key)
    if services.catalog.remove(iid, ref.order, now_iso()):
        publish(services.events, ItemRemoved(item_id=iid, key=ref.key))
        logger.info("item removed", extra={"item_id": iid, "key": ref.key})
    else:
        logger.info("removal older than the catalogue, or unknown item", extra={"key": ref.key})


def refresh_folder(services: Services, library: Library, ref: ObjectRef) -> None:
    """A sidecar came or went: catalogue its folder's videos again (their sidecars changed)."""
    where = folder(ref.key)
    LISTINGS.forget(ref.bucket, where)
    for key in LISTINGS.keys(services, ref.bucket, where):
        if is_sidecar(key) or not key.startswith(library.prefix):
            continue
        existing = services.catalog.get(item_id(ref.bucket, key))
        if existing is not None and existing.status is ItemStatus.READY:
            catalogue_object(services, library, ObjectRef(ref.bucket, key, ref.order), force=True)


def catalogue_object(
    services: Services, library: Library, ref: ObjectRef, force: bool = False
) -> ScanOutcome:
    """Probe the object (bounded range reads) and write its item; skip if already catalogued
    with this ETag (unless ``force``: its sidecars changed). Sidecars are not items."""
    if is_sidecar(ref.key):
        return ScanOutcome.SKIPPED
    if ref.etag is not None and ref.size is not None:
        # the event's ETag and size: the probe's reads are pinned to that ETag, so a replaced
        # or deleted object shows up as ObjectChanged, and then a HEAD says what is there now
        try:
            head = ObjectHead(ref.key, ref.etag, ref.size)
            return _catalogue(services, library, ref, head, force)
        except ObjectChanged:
            logger.info("object changed since its event: probing it again", extra={"key": ref.key})
    head = services.objects.head(ref.bucket, ref.key)
    if head is None:
        logger.info("object vanished before it was probed", extra={"key": ref.key})
        return ScanOutcome.SKIPPED
    return _catalogue(services, library, ref, head, force)


def _catalogue(
    services: Services, library: Library, ref: ObjectRef, head: ObjectHead, force: bool
) -> ScanOutcome:
    iid = item_id(ref.bucket, ref.key)
    existing = services.catalog.get(iid)
    if (
        not force
        and existing is not None
        and existing.etag == head.etag
        and existing.status is not ItemStatus.REMOVED
    ):
        logger.info("already catalogued with this ETag: skipped", extra={"key": ref.key})
        if existing.status is ItemStatus.READY:
            _catch_up_versions(services, library, existing)
        return ScanOutcome.SKIPPED

    now = now_iso()
    added_at = existing.added_at if existing and existing.status is not ItemStatus.REMOVED else now
    relative = ref.key[len(library.prefix) :]
    source = services.objects.range_source(ref.bucket, head)
    settings = services.settings
    try:
        with metrics.timed("probe_seconds", result="failed") as outcome:
            try:
                result = probe(
                    source,
                    block_size=settings.probe_block_size,
                    max_bytes=settings.probe_max_bytes,
                )
            finally:
                metrics.count("probe_bytes", getattr(source, "bytes_read", 0) or 0)
            outcome["result"] = "ready"
    except ProbeError as exc:
        item = MediaItem(
            id=iid,
            library_id=library.id,
            bucket=ref.bucket,
            key=ref.key,
            etag=head.etag,
            size=head.size,
            status=ItemStatus.FAILED,
            failure_reason=str(exc),
            kind=ItemKind.UNKNOWN,
            title=relative.rsplit("/", 1)[-1],
            added_at=added_at,
            updated_at=now,
        )
        if services.catalog.put(item, ref.order):  # refused: a newer event of the key won
            publish(services.events, ItemFailed(item_id=iid, key=ref.key, reason=str(exc)))
            metrics.count("items_scanned", result="failed")
        logger.warning("probe failed", extra={"key": ref.key, "reason": str(exc)})
        return ScanOutcome.FAILED

    item = build_item(iid, library, ref, head.etag, head.size, relative, result, added_at, now)
    if result.cover:
        item.artwork_key = store_artwork(services, result.cover, result.cover_mime)
    elif result.cover_at is not None:
        # the probe located the embedded cover and skipped it: its bytes, read alone, now, so
        # the library shows it as soon as the item is there
        cover = fetch_cover(source, result.cover_at, MAX_ARTWORK_BYTES)
        metrics.count("artwork_bytes", result.cover_at.length if cover else 0)
        if cover is not None:
            item.artwork_key = store_artwork(services, *cover)
    if item.kind is not ItemKind.TRACK:
        item = apply_sidecars(services, item)
    if library.optimized_versions:
        # queued before the item is written: a crash in between redoes both on redelivery (the
        # content address makes the second request a no-op), where the other order would
        # leave an item whose versions were never asked for and a redelivery that skips it
        item.optimized_versions = services.versions.plan(item, library.optimized_versions)
        services.versions.request(item, item.optimized_versions)
    if services.catalog.put(item, ref.order):
        updated = existing is not None and existing.status is not ItemStatus.REMOVED
        kind = ItemUpdated if updated else ItemAdded
        publish(services.events, kind(item_id=iid, key=ref.key, library_id=library.id))
        logger.info(
            "item catalogued",
            extra={
                "item_id": iid,
                "key": ref.key,
                "bytes_read": getattr(source, "bytes_read", None),
                "size": head.size,
            },
        )
        metrics.count("items_scanned", result="ready")
    return ScanOutcome.DONE


def _catch_up_versions(services: Services, library: Library, item: MediaItem) -> None:
    """An unchanged item whose library's presets changed since it was catalogued (a library
    scan after the change): queue the versions it lacks and record the new list. Costs nothing
    when the presets are as they were (the plan is pure)."""
    presets = library.optimized_versions
    wanted = services.versions.plan(item, presets) if presets else []
    if [v.h for v in wanted] == [v.h for v in item.optimized_versions]:
        return
    have = {v.h for v in item.optimized_versions}
    services.versions.request(item, [v for v in wanted if v.h not in have])
    current = services.catalog.get(item.id) or item  # what enrichment may have added meanwhile
    if services.catalog.amend(current.model_copy(update={"optimized_versions": wanted})):
        logger.info("optimized versions caught up", extra={"item_id": item.id, "key": item.key})


def build_item(
    iid: str,
    library: Library,
    ref: ObjectRef,
    etag: str,
    size: int,
    relative: str,
    result: ProbeResult,
    added_at: str,
    now: str,
) -> MediaItem:
    audio_only = not any(s.type is StreamType.VIDEO for s in result.streams)
    parsed = parse_name(relative, library.kind.value, result.tags, audio_only=audio_only)
    # a track's artist/album/number come from its tags, gaps filled from Artist/Album/NN - Title
    tags = music_tags(relative, result.tags) if parsed.kind is ItemKind.TRACK else result.tags
    return MediaItem(
        id=iid,
        library_id=library.id,
        bucket=ref.bucket,
        key=ref.key,
        etag=etag,
        size=size or result.size,
        status=ItemStatus.READY,
        kind=parsed.kind,
        title=parsed.title,
        year=parsed.year or tags.year,
        series=parsed.series,
        season=parsed.season,
        episode=parsed.episode,
        episode_title=parsed.episode_title,
        artist=tags.artist,
        album=tags.album,
        album_artist=tags.album_artist,
        track=tags.track,
        disc=tags.disc,
        genres=tags.genres,
        container=result.container,
        duration=result.duration,
        damaged=result.damage is not None,
        damage=result.damage,
        bitrate=result.bitrate,
        streams=result.streams,
        default_audio_stream_index=result.default_audio_stream_index,
        added_at=added_at,
        updated_at=now,
    )


_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/webp": "webp"}


def store_artwork(services: Services, data: bytes, mime: str | None) -> str:
    """Store cover art content-addressed in the content bucket; the same image is stored once."""
    digest = hashlib.sha256(data).hexdigest()
    mime = mime or "image/jpeg"
    key = content_key("artwork", digest, f"cover.{_EXT.get(mime, 'bin')}")
    services.objects.put_content(key, data, mime)
    return key


# -- library scans: list a prefix page by page, fan the objects out ------------------------------
def list_page(services: Services, body: dict[str, Any]) -> None:
    try:
        scan_id, library_id = body["scan_id"], body["library_id"]
        page = int(body.get("page", 0))
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"malformed scan_list message: {exc}") from exc
    library = services.libraries.get(library_id)
    bucket = services.settings.media_bucket
    heads, token = services.objects.list_page(
        bucket, library.prefix, body.get("token"), LIST_PAGE_SIZE
    )
    order = event_order(now_iso())
    messages = [
        {
            "type": SCAN_OBJECT,
            "scan_id": scan_id,
            "library_id": library_id,
            "bucket": bucket,
            "key": h.key,
            "order": order,
        }
        for h in heads
    ]
    services.queues.send(services.settings.scan_queue, messages)
    if token:
        services.queues.send(
            services.settings.scan_queue,
            [
                {
                    "type": SCAN_LIST,
                    "scan_id": scan_id,
                    "library_id": library_id,
                    "page": page + 1,
                    "token": token,
                }
            ],
        )
    if services.scans.add_page(scan_id, page, len(messages), last=token is None, now=now_iso()):
        _scan_completed(services, scan_id)


def _handle_scan_object(services: Services, body: dict[str, Any]) -> None:
    try:
        scan_id, library_id = body["scan_id"], body["library_id"]
        ref = ObjectRef(bucket=body["bucket"], key=body["key"], order=body["order"])
    except KeyError as exc:
        raise PoisonMessage(f"malformed scan_object message: {exc}") from exc
    outcome = ScanOutcome.FAILED
    try:
        validate_key(ref.key)
        if ref.bucket != services.settings.media_bucket:
            raise InvalidKey("not the media bucket")
        library = services.libraries.get(library_id)
        outcome = catalogue_object(services, library, ref)
    except (InvalidKey, NotFound) as exc:
        logger.warning("object not scanned", extra={"key": ref.key, "reason": exc.message})
    if services.scans.record(scan_id, item_id(ref.bucket, ref.key), outcome, now_iso()):
        _scan_completed(services, scan_id)


def _scan_completed(services: Services, scan_id: str) -> None:
    scan = services.scans.get(scan_id)
    if scan is not None:
        publish(
            services.events,
            ScanCompleted(
                scan_id=scan.id,
                library_id=scan.library_id,
                total=scan.total,
                done=scan.done,
                skipped=scan.skipped,
                failed=scan.failed,
            ),
        )
    logger.info("scan completed", extra={"scan_id": scan_id})

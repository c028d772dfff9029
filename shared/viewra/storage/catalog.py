"""The item catalogue on DynamoDB: conditional writes keyed by event order, and index queries.

Every write carries the order of the store event that caused it
(:mod:`viewra.common.event_order`: S3's sequencer, the event time where either side has none); a
write older than what the record already reflects is refused, so deliveries that arrive twice or
out of order cannot resurrect a deleted object or roll back a replaced one. The record keeps the
padded sequencer apart (``event_seq``) so DynamoDB's condition can compare it as text.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from typing import Any

from pynamodb.exceptions import PutError

from viewra.common.errors import BadRequest
from viewra.common.event_order import not_older, split_order
from viewra.common.timestamps import now_iso
from viewra.media.models.catalogue import episode_order, resolution_class, series_key, sort_title
from viewra.media.models.items import ItemStatus, MediaItem
from viewra.media.models.listing import ItemPage, ItemQuery, SortField, SortOrder, StatusFilter
from viewra.storage.tables import LISTED, NUMERIC_RANGES, Tables, conditional_failed


def _search_text(item: MediaItem) -> str:
    parts = [
        item.title,
        item.series,
        item.episode_title,
        item.artist,
        item.album,
        item.album_artist,
    ]
    parts.append(item.key.rsplit("/", 1)[-1])
    return " ".join(p for p in parts if p).casefold()


class Catalog:
    """Items of every library. Built once per process with the deployment's tables."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.items

    # -- reads -------------------------------------------------------------------------------
    def get(self, item_id: str) -> MediaItem | None:
        """The item, whatever its status (removed ones included); None if never seen."""
        try:
            record = self._model.get(item_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return MediaItem.model_validate(record.doc)

    # -- writes ------------------------------------------------------------------------------
    def put(self, item: MediaItem, order: str) -> bool:
        """Write ``item`` unless the record already reflects a later event; False if refused."""
        if not item.added_at:  # an index key cannot be empty; an item without one is new now
            item = item.model_copy(update={"added_at": now_iso()})
        video = next(iter(item.video_streams), None)
        listed = item.status is not ItemStatus.REMOVED
        record = self._model(
            item.id,
            library_id=item.library_id,
            list_all=LISTED if listed else None,
            list_lib=item.library_id if listed else None,
            sort_title=sort_title(item.title or item.key.rsplit("/", 1)[-1]) or "~",
            added_at=item.added_at,
            year_sort=item.year or 0,
            status=item.status.value,
            kind=item.kind.value,
            etag=item.etag,
            event_order=order,
            event_seq=split_order(order)[1],
            genres=[g.casefold() for g in item.genres] or None,
            video_codec=video.codec if video else None,
            audio_codecs=sorted({s.codec for s in item.audio_streams if s.codec}) or None,
            resolution=resolution_class(video.width, video.height) if video else None,
            search=_search_text(item),
            series_key=series_key(item) if listed else None,
            episode_order=episode_order(item) if listed and series_key(item) else None,
            doc=json.loads(item.model_dump_json()),
        )
        try:
            record.save(condition=self._model.id.does_not_exist() | self._not_older(order))
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def _not_older(self, order: str) -> Any:
        """The condition that the record is at ``order`` or before it (``not_older`` in DynamoDB:
        sequencers where both have one, else the order strings, which begin with the time)."""
        model = self._model
        seq = split_order(order)[1]
        by_time = model.event_order <= order
        if seq is None:
            return by_time
        return (model.event_seq.exists() & (model.event_seq <= seq)) | (
            model.event_seq.does_not_exist() & by_time
        )

    def episodes_after(self, key: str, order: int, limit: int = 10) -> list[MediaItem]:
        """The series' listed episodes that come after ``order`` (season, episode), in order."""
        index = self._model.series_episodes
        results = index.query(
            key, range_key_condition=self._model.episode_order > order, limit=limit
        )
        return [MediaItem.model_validate(r.doc) for r in results]

    def amend(self, item: MediaItem) -> bool:
        """Rewrite an item with fields from elsewhere (enrichment), unless its object changed
        meanwhile: the write keeps the record's event order and requires its ETag."""
        try:
            record = self._model.get(item.id, consistent_read=True)
        except self._model.DoesNotExist:
            return False
        if record.etag != item.etag:
            return False
        return self.put(item, record.event_order)

    def remove(self, item_id: str, order: str, now: str) -> bool:
        """Mark the item removed and take it out of every listing (its index keys go).

        Read, then write on condition that no later event reached the record meanwhile.
        """
        model = self._model
        try:
            record = model.get(item_id, consistent_read=True)
        except model.DoesNotExist:
            return False
        if not not_older(order, record.event_order):
            return False
        doc = dict(record.doc)
        doc.update(status=ItemStatus.REMOVED.value, updated_at=now)
        record.status = ItemStatus.REMOVED.value
        record.event_order = order
        record.event_seq = split_order(order)[1]
        record.list_all = None
        record.list_lib = None
        record.series_key = None
        record.episode_order = None
        record.doc = doc
        try:
            record.save(condition=self._not_older(order))
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    # -- listing -----------------------------------------------------------------------------
    def query(self, query: ItemQuery, libraries: Collection[str] | None = None) -> ItemPage:
        """One page of items: a Query on the index for the sort (never a Scan), filters applied.
        ``libraries`` (a regular user's grants) keeps only items of those libraries."""
        model = self._model
        if libraries is not None and not libraries:
            return ItemPage(items=[], cursor=None)
        scope = "lib" if query.library else "all"
        suffix = {SortField.TITLE: "title", SortField.ADDED: "added", SortField.YEAR: "year"}
        index_name = f"{scope}-{suffix[query.sort]}"
        index = getattr(model, index_name.replace("-", "_"))
        hash_value = query.library or LISTED
        hash_attr = "list_lib" if query.library else "list_all"
        range_attr = {
            SortField.TITLE: "sort_title",
            SortField.ADDED: "added_at",
            SortField.YEAR: "year_sort",
        }[query.sort]

        range_condition = None
        filters = []
        if query.year_min is not None or query.year_max is not None:
            low = query.year_min if query.year_min is not None else 0
            high = query.year_max if query.year_max is not None else 9999
            if query.sort is SortField.YEAR:
                range_condition = model.year_sort.between(low, high)
            else:
                filters.append(model.year_sort.between(low, high))
        if query.status is not StatusFilter.ALL:
            filters.append(model.status == query.status.value)
        if query.type is not None:
            filters.append(model.kind == query.type.value)
        if query.genre:
            filters.append(model.genres.contains(query.genre.casefold()))
        if query.video_codec:
            filters.append(model.video_codec == query.video_codec.lower())
        if query.audio_codec:
            filters.append(model.audio_codecs.contains(query.audio_codec.lower()))
        if query.resolution:
            filters.append(model.resolution == query.resolution)
        if query.q:
            filters.append(model.search.contains(query.q.casefold()))
        if libraries is not None:
            filters.append(model.library_id.is_in(*sorted(libraries)))
        filter_condition = None
        for f in filters:
            filter_condition = f if filter_condition is None else filter_condition & f

        start_key = _decode_cursor(query.cursor, index_name) if query.cursor else None
        results = index.query(
            hash_value,
            range_key_condition=range_condition,
            filter_condition=filter_condition,
            scan_index_forward=query.order is SortOrder.ASC,
            last_evaluated_key=start_key,
            page_size=max(query.limit * 2, 25),
        )
        items: list[MediaItem] = []
        cursor = None
        last: Any = None
        for record in results:
            if len(items) == query.limit:
                cursor = _encode_cursor(index_name, _record_key(last, hash_attr, range_attr))
                break
            items.append(MediaItem.model_validate(record.doc))
            last = record
        return ItemPage(items=items, cursor=cursor)


def _record_key(record: Any, hash_attr: str, range_attr: str) -> dict[str, Any]:
    """The index key of a record as stored (what DynamoDB's LastEvaluatedKey would be)."""
    value = getattr(record, range_attr)
    typed = {"N": str(value)} if range_attr in NUMERIC_RANGES else {"S": value}
    return {"id": {"S": record.id}, hash_attr: {"S": getattr(record, hash_attr)}, range_attr: typed}


def _encode_cursor(index_name: str, key: dict[str, Any]) -> str:
    raw = json.dumps({"i": index_name, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, index_name: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = data["k"]
        if data["i"] != index_name or not isinstance(key, dict):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise BadRequest("cursor is not valid for this query", code="InvalidCursor") from exc
    return key

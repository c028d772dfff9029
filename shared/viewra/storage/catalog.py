"""The item catalogue on DynamoDB: conditional writes keyed by event order, and index queries.

Every write carries the order of the store event that caused it (event time, then S3's
sequencer); a write older than what the record already reflects is refused, so deliveries that
arrive twice or out of order cannot resurrect a deleted object or roll back a replaced one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Collection
from typing import Any

from pynamodb.exceptions import PutError

from viewra.common.errors import BadRequest
from viewra.common.event_order import not_older, split_order
from viewra.common.timestamps import now_iso
from viewra.media.models.catalogue import (
    CatalogueCounts,
    count_deltas,
    episode_order,
    resolution_class,
    series_key,
    sort_title,
)
from viewra.media.models.items import ItemStatus, MediaItem
from viewra.media.models.listing import ItemPage, ItemQuery, SortField, SortOrder, StatusFilter
from viewra.media.models.search import (
    ALL_SCOPE,
    MAX_READS,
    IndexRow,
    SearchPlan,
    genre_partition,
    item_matches,
    plan,
    reads,
)
from viewra.storage.counts import Counts
from viewra.storage.search_index import SearchIndex
from viewra.storage.tables import LISTED, NUMERIC_RANGES, Tables, conditional_failed, kind_key

MAX_ATTEMPTS = 8  # a write that keeps losing the race to newer ones gives up (it is older)


def _search_text(item: MediaItem) -> str:  # kept for records read by older code
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
        self.search_index = SearchIndex(tables)
        self.counts = Counts(tables)

    # -- reads -------------------------------------------------------------------------------
    def get(self, item_id: str) -> MediaItem | None:
        """The item, whatever its status (removed ones included); None if never seen."""
        try:
            record = self._model.get(item_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return MediaItem.model_validate(record.doc)

    def counts_of(self, scope: str) -> CatalogueCounts:
        """A library's counts (``"all"``: the catalogue's), from the kept counters."""
        return self.counts.of(scope)

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
            kind_all=item.kind.value if listed else None,
            kind_lib=kind_key(item.library_id, item.kind.value) if listed else None,
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

        def save(condition: Any, old: MediaItem | None) -> MediaItem:
            if old is not None and old.status is not ItemStatus.REMOVED and old.added_at:
                # an item keeps the day it was added: two workers probing one object at once
                # (a redelivered event) both saw no record and both stamped "now"
                record.added_at = old.added_at
                record.doc = {**record.doc, "added_at": old.added_at}
                written = item.model_copy(update={"added_at": old.added_at})
            else:
                written = item
            record.save(condition=condition)
            return written

        return self._replace(item.id, order, save)

    def _replace(self, item_id: str, order: str, save: Any) -> bool:
        """Write on condition that the record is still the one read, so exactly one writer
        accounts for each change of the record (its counts, its search rows); then keep both."""
        model = self._model
        for _ in range(MAX_ATTEMPTS):
            old = self._current(item_id)
            if old is not None and not not_older(order, old[1]):
                return False  # the record reflects a later event (S3 sequencer order)
            condition = model.id.does_not_exist() if old is None else model.event_order == old[1]
            try:
                new = save(condition, old[0] if old else None)
            except PutError as exc:
                if conditional_failed(exc):
                    continue  # another write got in between: read again
                raise
            self.counts.add(count_deltas(old[0] if old else None, new))
            self.search_index.replace(
                item_id, lambda: self._current(item_id) or (None, ""), (new, order, old is None)
            )
            return True
        return False

    def _current(self, item_id: str) -> tuple[MediaItem, str] | None:
        try:
            record = self._model.get(item_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return MediaItem.model_validate(record.doc), record.event_order

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
        """Mark the item removed and take it out of every listing (its index keys go), its
        search rows and its counts."""
        model = self._model
        if self._current(item_id) is None:
            return False

        def save(condition: Any, _old: MediaItem | None) -> MediaItem:
            record = model.get(item_id, consistent_read=True)
            doc = dict(record.doc)
            doc.update(status=ItemStatus.REMOVED.value, updated_at=now)
            record.status = ItemStatus.REMOVED.value
            record.event_order = order
            record.event_seq = split_order(order)[1]
            record.list_all = None
            record.list_lib = None
            record.kind_all = None
            record.kind_lib = None
            record.series_key = None
            record.episode_order = None
            record.doc = doc
            record.save(condition=condition)
            return MediaItem.model_validate(doc)

        return self._replace(item_id, order, save)

    def reindex(self) -> tuple[int, int]:
        """Rebuild the search rows and the counts from the items (a Scan: an operator's
        repair after a crash between an item write and its rows, or a first deployment over
        an existing table; run it while nothing writes). Items written before their kind had
        index keys get them (conditionally: a newer write has them already). Returns
        (items, rows)."""
        self.search_index.clear()
        self.counts.clear()
        totals: Counter[tuple[str, str]] = Counter()
        items = 0

        def current() -> Any:
            nonlocal items
            for record in self._model.scan():
                item = MediaItem.model_validate(record.doc)
                items += 1
                totals.update(count_deltas(None, item))
                if record.list_all is not None and record.kind_lib is None:
                    self._add_kind_keys(record)
                yield item, record.event_order

        rows = self.search_index.put_rows(current())
        self.counts.add(totals)
        self.search_index.mark_rebuilt()
        return items, rows

    def _add_kind_keys(self, record: Any) -> None:
        record.kind_all = record.kind
        record.kind_lib = kind_key(record.library_id, record.kind)
        try:
            record.save(condition=self._model.event_order == record.event_order)
        except PutError as exc:
            if not conditional_failed(exc):
                raise

    # -- listing -----------------------------------------------------------------------------
    def query(self, query: ItemQuery, libraries: Collection[str] | None = None) -> ItemPage:
        """One page of items: a Query on the index for the sort (never a Scan), filters applied;
        with ``q``, the search table's ranked answer instead. ``libraries`` (a regular user's
        grants) keeps only items of those libraries."""
        if libraries is not None:
            grants = frozenset(libraries)
            allowed = grants if query.libraries is None else query.libraries & grants
            query = query.model_copy(update={"libraries": allowed})
        if query.q:
            return self._search(query)
        if query.genre:
            return self._genre_page(query)
        model = self._model
        suffix = {SortField.TITLE: "title", SortField.ADDED: "added", SortField.YEAR: "year"}
        if query.type is not None:  # the kind's own indexes: no item of another kind is read
            scope = "libkind" if query.library else "kind"
            kind = query.type.value
            hash_value = kind_key(query.library, kind) if query.library else kind
            hash_attr = "kind_lib" if query.library else "kind_all"
        else:
            scope = "lib" if query.library else "all"
            hash_value = query.library or LISTED
            hash_attr = "list_lib" if query.library else "list_all"
        index_name = f"{scope}-{suffix[query.sort]}"
        index = getattr(model, index_name.replace("-", "_"))
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
        if query.video_codec:
            filters.append(model.video_codec == query.video_codec.lower())
        if query.audio_codec:
            filters.append(model.audio_codecs.contains(query.audio_codec.lower()))
        if query.resolution:
            filters.append(model.resolution == query.resolution)
        if query.libraries is not None:
            if query.library and query.library not in query.libraries:
                return ItemPage(items=[], cursor=None)
            if not query.library:
                if not query.libraries:
                    return ItemPage(items=[], cursor=None)
                filters.append(model.library_id.is_in(*sorted(query.libraries)))
        filter_condition = None
        for f in filters:
            filter_condition = f if filter_condition is None else filter_condition & f

        start_key = _decode_cursor(query.cursor, index_name) if query.cursor else None
        # A page reads at most ``budget`` items: a filter the index cannot answer may return a
        # short page with a cursor rather than read the library to fill it.
        budget = _budget(query.limit)
        items: list[MediaItem] = []
        read = 0
        last: Any = None
        while True:
            want = min(budget - read, query.limit - len(items) + 1)
            results = index.query(
                hash_value,
                range_key_condition=range_condition,
                filter_condition=filter_condition,
                scan_index_forward=query.order is SortOrder.ASC,
                last_evaluated_key=start_key,
                limit=want,
                page_size=want,
                # the item and its index key, not the ~20 attributes kept for indexes and
                # filters: a third of the bytes to answer, parse and load (filters still apply)
                attributes_to_get=["id", hash_attr, range_attr, "doc"],
            )
            for record in results:
                if len(items) == query.limit:
                    key = _record_key(last, hash_attr, range_attr)
                    read += results.page_iter.total_scanned_count
                    return ItemPage(items=items, cursor=_encode_cursor(index_name, key), read=read)
                items.append(MediaItem.model_validate(record.doc))
                last = record
            read += results.page_iter.total_scanned_count
            start_key = results.last_evaluated_key
            if start_key is None:
                return ItemPage(items=items, cursor=None, read=read)
            if read >= budget:
                cursor = _encode_cursor(index_name, start_key)
                return ItemPage(items=items, cursor=cursor, read=read)

    def _genre_page(self, query: ItemQuery) -> ItemPage:
        """A page of a genre filter, from the genre's rows in the search table (in the sort's
        order; library, kind, status, grants and a year range applied on the rows), then the
        items those rows name, checked against every filter."""
        if query.library and query.libraries is not None and query.library not in query.libraries:
            return ItemPage(items=[], cursor=None)
        if query.libraries is not None and not query.libraries:
            return ItemPage(items=[], cursor=None)

        def keep(row: IndexRow) -> bool:
            if query.libraries is not None and row.library_id not in query.libraries:
                return False
            if query.type is not None and row.kind != query.type.value:
                return False
            return query.status is StatusFilter.ALL or row.status == query.status.value

        years = None
        if query.year_min is not None or query.year_max is not None:
            low = query.year_min if query.year_min is not None else 0
            years = (low, query.year_max if query.year_max is not None else 9999)
        scope = query.library or ALL_SCOPE
        start = _decode_cursor(query.cursor, "genre") if query.cursor else None
        if start is not None and (
            start.get("p") != {"S": genre_partition(query.genre or "", scope)}
            or not isinstance(start.get("r"), dict)
            or not isinstance(start["r"].get("S"), str)
            or set(start) != {"p", "r"}
        ):
            raise BadRequest("cursor is not valid for this query", code="InvalidCursor")
        found = self.search_index.genre(
            query.genre or "",
            scope,
            query.sort.value,
            query.order is SortOrder.ASC,
            keep,
            query.limit,
            start,
            _budget(query.limit),
            years,
        )
        items = self._items_named(found.ids, query)
        cursor = _encode_cursor("genre", found.cursor) if found.cursor else None
        return ItemPage(items=items, cursor=cursor, read=found.rows_read + len(found.ids))

    def _items_named(
        self, ids: list[str], query: ItemQuery, search: SearchPlan | None = None
    ) -> list[MediaItem]:
        """The listed items of ``ids`` that pass every filter (and the search), in that order:
        rows may lag a concurrent write, the items are what answers."""
        batch = self._model.batch_get(ids, attributes_to_get=["id", "doc"]) if ids else []
        records = {r.id: r for r in batch}
        items = []
        for item_id in ids:
            record = records.get(item_id)
            if record is None:
                continue
            item = MediaItem.model_validate(record.doc)
            if item.status is ItemStatus.REMOVED or not query.admits(item):
                continue
            if search is None or item_matches(item, search):
                items.append(item)
        return items

    def _search(self, query: ItemQuery) -> ItemPage:
        """A page of ``q``'s answer, in rank order, from the search table; the filters a row
        carries (library, type, status) apply there, the others on the items read."""
        search = plan(query.q or "")
        if search is None:
            return ItemPage(items=[], cursor=None)
        cursor = _decode_search_cursor(query.cursor) if query.cursor else None
        if cursor is not None and not _cursor_reads(cursor, reads(search)[cursor[0]][0]):
            raise BadRequest("cursor is not valid for this query", code="InvalidCursor")

        def keep(row: IndexRow) -> bool:
            if query.library and row.library_id != query.library:
                return False
            if query.libraries is not None and row.library_id not in query.libraries:
                return False
            if query.type is not None and row.kind != query.type.value:
                return False
            return query.status is StatusFilter.ALL or row.status == query.status.value

        found = self.search_index.find(search, keep, query.limit, cursor, _budget(query.limit))
        items = self._items_named(found.ids, query, search)
        next_cursor = _encode_search_cursor(found.cursor) if found.cursor else None
        return ItemPage(items=items, cursor=next_cursor, read=found.rows_read + len(found.ids))


def _budget(limit: int) -> int:
    """Items (or search rows) one request may read: twice the page, at least 100."""
    return max(2 * limit + 1, 100)


def _encode_search_cursor(cursor: tuple[int, dict[str, Any] | None]) -> str:
    return _encode_cursor("search", {"s": cursor[0], "k": cursor[1]})


def _decode_search_cursor(cursor: str) -> tuple[int, dict[str, Any] | None]:
    data = _decode_cursor(cursor, "search")
    stage, key = data.get("s"), data.get("k")
    if not isinstance(stage, int) or not 0 <= stage < MAX_READS or not isinstance(key, dict | None):
        raise BadRequest("cursor is not valid for this query", code="InvalidCursor")
    return stage, key


def _cursor_reads(cursor: tuple[int, dict[str, Any] | None], partition: str) -> bool:
    """Whether a search cursor resumes in ``partition`` (its query's read at that stage)."""
    key = cursor[1]
    if key is None:
        return True
    r = key.get("r")
    return (
        set(key) == {"p", "r"}
        and key["p"] == {"S": partition}
        and isinstance(r, dict)
        and set(r) == {"S"}
        and isinstance(r["S"], str)
    )


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

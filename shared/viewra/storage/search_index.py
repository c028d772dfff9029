"""The search table (``<prefix>search``): an item's token, pair and genre rows
(:mod:`viewra.media.models.search`) written on every item write, the ranked reads a query makes
(exact title, then title tokens, then the other fields; :func:`reads` says which partitions)
and the reads of a genre filter, each bounded and resumable from a cursor.

Rows are replaced convergently rather than transactionally: a writer reads the item as it now
is, replaces the item's rows (found through the ``item-rows`` index) with that version's, and
goes again if the item changed meanwhile, so the last writer to finish leaves the rows of the
last version. Readers check each item they return against the query (:func:`item_matches`),
so a row that lags a concurrent write never answers wrongly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from viewra.media.models.items import MediaItem
from viewra.media.models.search import (
    FACET_SORTS,
    ROWS_VERSION,
    SearchPlan,
    genre_partition,
    index_rows,
    reads,
    row_matches,
)
from viewra.media.models.search import IndexRow as Row
from viewra.storage.tables import Tables


@dataclass
class FacetRead:
    """What one facet read found: item ids in listing order, the key to resume at, rows read."""

    ids: list[str]
    cursor: dict[str, Any] | None
    rows_read: int


@dataclass
class SearchRead:
    """What one request read: the matching item ids in rank order, where to resume, rows read."""

    ids: list[str]
    cursor: tuple[int, dict[str, Any] | None] | None
    rows_read: int


def _record(model: type[Model], row: Row, order: str) -> Model:
    return model(
        row.p,
        row.r,
        i=row.item_id,
        lib=row.library_id,
        kind=row.kind,
        st=row.status,
        t=row.title or None,
        w1=row.titles or None,
        w2=row.others or None,
        v=order,
        y=row.year or None,
        wp=row.paired or None,
    )


def _row(record: Any) -> Row:
    return Row(
        p=record.p,
        r=record.r,
        item_id=record.i,
        library_id=record.lib,
        kind=record.kind,
        status=record.st,
        title=record.t or "",
        titles=record.w1 or "",
        others=record.w2 or "",
        year=int(record.y or 0),
        paired=record.wp or "",
    )


MARKER = ("!rows", "version")  # a row no query reads ("!" starts no token, title or genre)


class SearchIndex:
    """The search table of one deployment."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.search

    def rows_of(self, item_id: str) -> list[tuple[str, str]]:
        """The (partition, sort key) of every row the item has."""
        return [(r.p, r.r) for r in self._model.item_rows.query(item_id)]

    def replace(
        self,
        item_id: str,
        current: Callable[[], tuple[MediaItem | None, str]],
        written: tuple[MediaItem, str, bool],
    ) -> None:
        """Make the item's rows those of its current version (``current`` reads it: the item or
        None, and its event order), going again while it changes under us. ``written`` is the
        version just written (item, order, whether it was new: then it has no rows to find)."""
        seen = None
        item: MediaItem | None = written[0]
        order, new = written[1], written[2]
        for _ in range(5):
            want = {(r.p, r.r): r for r in (index_rows(item) if item else [])}
            have = set() if new else set(self.rows_of(item_id))
            new = False
            with self._model.batch_write() as batch:
                for key in have - set(want):
                    batch.delete(self._model(*key))
                for row in want.values():
                    batch.save(_record(self._model, row, order))
            seen = order
            item, order = current()
            if order == seen:
                return

    def put_rows(self, items: Iterable[tuple[MediaItem, str]]) -> int:
        """Write rows of many items at once (reindex, bulk loads); rows are not removed."""
        count = 0
        with self._model.batch_write() as batch:
            for item, order in items:
                for row in index_rows(item):
                    batch.save(_record(self._model, row, order))
                    count += 1
        return count

    def rows_current(self) -> bool:
        """Whether the rows were last rebuilt by this version's rules (``ROWS_VERSION``; no
        marker: never, or before versions were kept): if not, a reindex is due."""
        try:
            record = self._model.get(*MARKER, consistent_read=True)
        except self._model.DoesNotExist:
            return False
        return int(record.y or 0) == ROWS_VERSION

    def mark_rebuilt(self) -> None:
        self._model(*MARKER, i=MARKER[0], lib="-", kind="-", st="-", y=ROWS_VERSION).save()

    def clear(self) -> None:
        with self._model.batch_write() as batch:
            for record in self._model.scan():
                batch.delete(record)

    def find(
        self,
        search: SearchPlan,
        keep: Callable[[Row], bool],
        limit: int,
        cursor: tuple[int, dict[str, Any] | None] | None,
        budget: int,
    ) -> SearchRead:
        """Up to ``limit`` item ids for ``search`` in rank order, reading at most ``budget``
        rows; ``keep`` applies the filters a row can answer (library, kind, status)."""
        stages = reads(search)
        stage, start = cursor if cursor else (0, None)
        ids: list[str] = []
        read = 0
        while stage < len(stages) and read < budget:
            partition, prefix = stages[stage]
            want = min(budget - read, limit - len(ids) + 1)
            results = self._model.query(
                partition,
                range_key_condition=self._model.r.startswith(prefix) if prefix else None,
                limit=want,
                page_size=want,
                last_evaluated_key=start,
            )
            for record in results:
                read += 1
                row = _row(record)
                if keep(row) and row_matches(row, search):
                    ids.append(row.item_id)
                    if len(ids) == limit:  # resume after this row (its key is the table's)
                        key = {"p": {"S": row.p}, "r": {"S": row.r}}
                        return SearchRead(ids, (stage, key), read)
            start = results.last_evaluated_key
            if start is None:
                stage += 1
        return SearchRead(ids, (stage, start) if stage < len(stages) else None, read)

    def genre(
        self,
        genre: str,
        scope: str,
        sort: str,
        ascending: bool,
        keep: Callable[[Row], bool],
        limit: int,
        cursor: dict[str, Any] | None,
        budget: int,
        years: tuple[int, int] | None = None,
    ) -> FacetRead:
        """Up to ``limit`` ids of items of ``genre`` in ``scope`` (a library, or ``all``) in the
        order of ``sort`` (title, added, year), reading at most ``budget`` rows; ``keep``
        applies the filters a row can answer. A year range sorted by year is the key
        condition; otherwise rows outside it are skipped. One row is read ahead, so a full
        page knows whether another follows (its item is not read)."""
        code = FACET_SORTS[sort]
        if years is not None and sort == "year":
            condition = self._model.r.between(f"{code}{years[0]:04d}", f"{code}{years[1]:04d}\x02")
        else:
            condition = self._model.r.startswith(code)
        ids: list[str] = []
        read = 0
        start = cursor
        last: dict[str, Any] | None = None
        while read < budget:
            want = min(budget - read, limit - len(ids) + 1)
            results = self._model.query(
                genre_partition(genre, scope),
                range_key_condition=condition,
                scan_index_forward=ascending,
                limit=want,
                page_size=want,
                last_evaluated_key=start,
            )
            for record in results:
                read += 1
                row = _row(record)
                if not (years is None or years[0] <= row.year <= years[1]) or not keep(row):
                    continue
                if len(ids) == limit:  # another follows: resume after the page's last row
                    return FacetRead(ids, last, read)
                ids.append(row.item_id)
                last = {"p": {"S": row.p}, "r": {"S": row.r}}
            start = results.last_evaluated_key
            if start is None:
                return FacetRead(ids, None, read)
        return FacetRead(ids, start, read)

"""Catalogue counts (``<prefix>counts``): per library and for all, items per kind and status,
kept by atomic ADDs as item writes move items between them, so no listing or page of
``GET /libraries`` counts by reading items."""

from __future__ import annotations

from collections import Counter

from viewra.media.models.catalogue import CatalogueCounts
from viewra.storage.tables import Tables

ALL = "all"


class Counts:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.counts

    def add(self, deltas: Counter[tuple[str, str]]) -> None:
        """Apply each non-zero delta with one atomic ADD (a missing row counts from 0)."""
        for (scope, name), delta in deltas.items():
            if not delta:
                continue
            self._model(scope, name).update(actions=[self._model.n.add(delta)])

    def of(self, scope: str) -> CatalogueCounts:
        rows = {r.name: int(r.n or 0) for r in self._model.query(scope)}
        return CatalogueCounts.from_rows(rows)

    def clear(self) -> None:
        with self._model.batch_write() as batch:
            for record in self._model.scan():
                batch.delete(record)

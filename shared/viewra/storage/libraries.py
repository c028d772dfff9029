"""Libraries on DynamoDB: one partition (there are few), so listing is a Query, not a Scan."""

from __future__ import annotations

import json

from pynamodb.exceptions import PutError

from viewra.errors import Conflict, NotFound
from viewra.library import Library, prefixes_overlap
from viewra.storage.tables import Tables

PARTITION = "library"


class LibraryStore:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.libraries

    def list(self) -> list[Library]:
        return [
            Library.model_validate(r.doc)
            for r in self._model.query(PARTITION, consistent_read=True)
        ]

    def get(self, library_id: str) -> Library:
        try:
            record = self._model.get(PARTITION, library_id, consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"library {library_id!r} does not exist") from exc
        return Library.model_validate(record.doc)

    def _check_unique(self, library: Library) -> None:
        for other in self.list():
            if other.id == library.id:
                continue
            if other.name.casefold() == library.name.casefold():
                raise Conflict(f"a library named {other.name!r} exists already")
            if prefixes_overlap(other.prefix, library.prefix):
                raise Conflict(
                    f"prefix {library.prefix!r} overlaps library {other.name!r} ({other.prefix!r})"
                )

    def create(self, library: Library) -> Library:
        self._check_unique(library)
        record = self._model(PARTITION, library.id, doc=json.loads(library.model_dump_json()))
        try:
            record.save(condition=self._model.id.does_not_exist())
        except PutError as exc:
            raise Conflict(f"library {library.id!r} exists already") from exc
        return library

    def replace(self, library: Library) -> Library:
        self.get(library.id)
        self._check_unique(library)
        self._model(PARTITION, library.id, doc=json.loads(library.model_dump_json())).save()
        return library

    def delete(self, library_id: str) -> None:
        self.get(library_id)
        self._model(PARTITION, library_id).delete()

"""Libraries on DynamoDB: one partition (there are few), so listing is a Query, not a Scan."""

from __future__ import annotations

import json
import threading
import time

from pynamodb.exceptions import PutError

from viewra.common.errors import Conflict, NotFound
from viewra.media.models.catalogue import Library, prefixes_overlap
from viewra.storage.tables import Tables

PARTITION = "library"


class LibraryStore:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.libraries
        self._lock = threading.Lock()
        self._recent: tuple[float, list[Library]] | None = None  # (monotonic time read, list)

    def list(self) -> list[Library]:
        libraries = [
            Library.model_validate(r.doc)
            for r in self._model.query(PARTITION, consistent_read=True)
        ]
        with self._lock:
            self._recent = (time.monotonic(), libraries)
        return libraries

    def list_recent(self, max_age: float) -> list[Library]:
        """The list as read at most ``max_age`` seconds ago in this process (read now if not).

        The scan asks for every object event; libraries change a few times a year. A caller
        that finds no library for a key should ask :meth:`list` before concluding (a library
        created a moment ago). Writes through this store forget the copy at once.
        """
        with self._lock:
            recent = self._recent
        if recent is not None and time.monotonic() - recent[0] <= max_age:
            return recent[1]
        return self.list()

    def _forget(self) -> None:
        with self._lock:
            self._recent = None

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
        finally:
            self._forget()
        return library

    def replace(self, library: Library) -> Library:
        self.get(library.id)
        self._check_unique(library)
        self._model(PARTITION, library.id, doc=json.loads(library.model_dump_json())).save()
        self._forget()
        return library

    def delete(self, library_id: str) -> None:
        self.get(library_id)
        self._model(PARTITION, library_id).delete()
        self._forget()

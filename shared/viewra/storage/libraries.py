"""Libraries on DynamoDB: one partition (there are few), so listing is a Query, not a Scan.

Every change (create, update, delete) is one transaction with a version row that it moves from
the number read before the change was decided to the next: two admins changing libraries at
once cannot both pass the name and prefix checks, and an update is never made from a stale copy
(the loser reads again and goes again).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from viewra.common.errors import Conflict, NotFound
from viewra.media.models.catalogue import Library, prefixes_overlap
from viewra.storage.tables import Tables

PARTITION = "library"
VERSION = ("library-version", "v")  # the row every change moves on by one
LOST = ("TransactionCanceledException", "TransactionConflictException")  # lost to a change
ATTEMPTS = 20  # goes at a change that keeps losing to others before answering 409


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

    def _version(self) -> int:
        try:
            return int(self._model.get(*VERSION, consistent_read=True).n or 0)
        except self._model.DoesNotExist:
            return 0

    def _commit(self, version: int, library: Library, op: str) -> bool:
        """Save (or delete) the library and move the version row from ``version`` on, all or
        nothing; False when another change came first (the caller reads again and decides
        again). ``op`` is "create" (the library must be absent), "update" or "delete" (present)."""
        meta = self._model.Meta
        row = self._model(*VERSION, n=version + 1)
        moved = self._model.pk.does_not_exist() if version == 0 else self._model.n == version
        record = self._model(PARTITION, library.id, doc=json.loads(library.model_dump_json()))
        try:
            with TransactWrite(connection=Connection(region=meta.region, host=meta.host)) as tx:
                tx.save(row, condition=moved)
                if op == "delete":
                    tx.delete(record, condition=self._model.id.exists())
                elif op == "create":
                    tx.save(record, condition=self._model.id.does_not_exist())
                else:
                    tx.save(record, condition=self._model.id.exists())
        except TransactWriteError as exc:
            if exc.cause_response_code in LOST:
                return False
            raise
        finally:
            self._forget()
        return True

    def create(self, library: Library) -> Library:
        for _ in range(ATTEMPTS):
            version = self._version()
            self._check_unique(library)
            if self._commit(version, library, "create"):
                return library
        raise Conflict("libraries keep changing; try again")

    def update(self, library_id: str, change: Callable[[Library], Library]) -> Library:
        """The library as ``change`` makes it from its current version, written only if no
        other change to any library came between the read and the write."""
        for _ in range(ATTEMPTS):
            version = self._version()
            updated = change(self.get(library_id))
            self._check_unique(updated)
            if self._commit(version, updated, "update"):
                return updated
        raise Conflict("libraries keep changing; try again")

    def delete(self, library_id: str) -> None:
        for _ in range(ATTEMPTS):
            version = self._version()
            if self._commit(version, self.get(library_id), "delete"):
                return
        raise Conflict("libraries keep changing; try again")

"""Scan progress on DynamoDB, counted exactly once per listed page and per object.

A redelivered message must not count twice, so each page and each object of a scan leaves a
marker row written with ``attribute_not_exists``; only the write that creates the marker moves a
counter. The update that brings ``processed`` up to ``total`` (after the last page) completes the
scan, once.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from viewra.media.models.scans import Scan, ScanOutcome, ScanStatus
from viewra.storage.tables import Tables, conditional_failed

META = "scan"


class ScanStore:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.scans

    def create(self, scan_id: str, library_id: str, now: str) -> Scan:
        record = self._model(
            scan_id,
            META,
            library_id=library_id,
            status=ScanStatus.LISTING.value,
            total=0,
            done=0,
            skipped=0,
            failed=0,
            listing_done=0,
            created_at=now,
        )
        record.save(condition=self._model.pk.does_not_exist())
        return self._to_scan(record)

    def get(self, scan_id: str) -> Scan | None:
        try:
            return self._to_scan(self._model.get(scan_id, META, consistent_read=True))
        except self._model.DoesNotExist:
            return None

    def _mark(self, scan_id: str, marker: str, outcome: str | None = None) -> bool:
        """Create a marker row; False when it existed (a redelivery)."""
        try:
            self._model(scan_id, marker, outcome=outcome).save(
                condition=self._model.pk.does_not_exist()
            )
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def add_page(self, scan_id: str, page: int, count: int, last: bool, now: str) -> bool:
        """Count a listed page of ``count`` objects; True if this call completed the scan."""
        if not self._mark(scan_id, f"page#{page:08d}"):
            return False
        model = self._model
        actions: list[Any] = [model.total.add(count)]
        if last:
            actions += [model.listing_done.set(1), model.status.set(ScanStatus.RUNNING.value)]
        record = model(scan_id, META)
        record.update(actions=actions)
        return self._maybe_complete(record, now)

    def record(self, scan_id: str, object_id: str, outcome: ScanOutcome, now: str) -> bool:
        """Count one object's outcome; True if this call completed the scan."""
        if not self._mark(scan_id, f"obj#{object_id}", outcome.value):
            return False
        model = self._model
        counter = {
            ScanOutcome.DONE: model.done,
            ScanOutcome.SKIPPED: model.skipped,
            ScanOutcome.FAILED: model.failed,
        }[outcome]
        record = model(scan_id, META)
        record.update(actions=[counter.add(1)])
        return self._maybe_complete(record, now)

    def _maybe_complete(self, record: Any, now: str) -> bool:
        processed = int(record.done or 0) + int(record.skipped or 0) + int(record.failed or 0)
        if not record.listing_done or processed < int(record.total or 0):
            return False
        model = self._model
        try:
            record.update(
                actions=[model.status.set(ScanStatus.COMPLETED.value), model.completed_at.set(now)],
                condition=model.status != ScanStatus.COMPLETED.value,
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def _to_scan(self, record: Any) -> Scan:
        total = int(record.total or 0)
        done, skipped, failed = (
            int(record.done or 0),
            int(record.skipped or 0),
            int(record.failed or 0),
        )
        return Scan(
            id=record.pk,
            library_id=record.library_id,
            status=ScanStatus(record.status),
            total=total,
            queued=max(total - done - skipped - failed, 0),
            done=done,
            skipped=skipped,
            failed=failed,
            created_at=record.created_at,
            completed_at=record.completed_at,
        )

"""A library scan as clients see it: how many objects were listed and what became of them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

# The fan-out's two message types on the scan queue (beside S3's own event notifications).
SCAN_LIST = "scan_list"  # list one page of a library's prefix, enqueue its objects
SCAN_OBJECT = "scan_object"  # catalogue one listed object


class ScanStatus(StrEnum):
    LISTING = "listing"  # pages of the prefix are still being listed
    RUNNING = "running"  # listing finished, objects still being probed
    COMPLETED = "completed"


class ScanOutcome(StrEnum):
    DONE = "done"  # probed and catalogued as a ready item
    SKIPPED = "skipped"  # already catalogued with the same ETag, or gone before it was probed
    FAILED = "failed"  # not media (recorded as a failed item with its reason), or a refused key


class Scan(BaseModel):
    id: str
    library_id: str
    status: ScanStatus
    total: int = 0
    queued: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    created_at: str | None = None
    completed_at: str | None = None

    @property
    def processed(self) -> int:
        return self.done + self.skipped + self.failed

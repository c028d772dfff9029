"""Library operations behind the API: create, update, delete, and start a scan.

A scan never probes inline: it records a scan and queues the first listing page; the scan
function lists the prefix page by page and fans the objects out in batches of ten.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from viewra.common.errors import NotFound, Unprocessable
from viewra.common.timestamps import now_iso
from viewra.media.models.catalogue import Library, LibraryCreate, LibraryUpdate, LibraryView
from viewra.media.models.scans import SCAN_LIST, Scan
from viewra.transcoding.models import check_names

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices as Services


def create_library(services: Services, request: LibraryCreate) -> tuple[Library, Scan]:
    """Create the library and scan what already lies under its prefix."""
    now = now_iso()
    library = Library(
        id=uuid.uuid4().hex[:12],
        name=request.name.strip(),
        prefix=request.prefix,
        kind=request.kind,
        optimized_versions=_presets(request.optimized_versions),
        created_at=now,
        updated_at=now,
    )
    services.libraries.create(library)
    return library, start_scan(services, library.id)


def update_library(services: Services, library_id: str, request: LibraryUpdate) -> Library:
    """Apply the request's fields to the library as it is when written (a concurrent update of
    another field is kept); a new prefix starts a scan of it."""
    if request.optimized_versions is not None:
        _presets(request.optimized_versions)
    changes = request.model_dump(exclude_none=True)
    before: list[Library] = []

    def change(library: Library) -> Library:
        before[:] = [library]
        return library.model_copy(update={**changes, "updated_at": now_iso()})

    updated = services.libraries.update(library_id, change)
    if updated.prefix != before[0].prefix:
        start_scan(services, library_id)
    return updated


def _presets(names: list[str]) -> list[str]:
    """The library's optimized-version presets: built-in names, each once (else a 422)."""
    try:
        return check_names(names)
    except ValueError as exc:
        raise Unprocessable(f"optimized_versions: {exc}", code="UnknownPreset") from exc


def start_scan(services: Services, library_id: str) -> Scan:
    services.libraries.get(library_id)
    scan_id = uuid.uuid4().hex[:16]
    scan = services.scans.create(scan_id, library_id, now_iso())
    services.queues.send(
        services.settings.scan_queue,
        [{"type": SCAN_LIST, "scan_id": scan_id, "library_id": library_id, "page": 0}],
    )
    return scan


def get_scan(services: Services, scan_id: str) -> Scan:
    scan = services.scans.get(scan_id)
    if scan is None:
        raise NotFound(f"scan {scan_id!r} does not exist")
    return scan


def list_libraries(services: Services) -> list[LibraryView]:
    """Every library with its counts (kept counters: no item is read)."""
    return [
        LibraryView(**library.model_dump(), counts=services.catalog.counts_of(library.id))
        for library in services.libraries.list()
    ]


def get_library(services: Services, library_id: str) -> Library:
    return services.libraries.get(library_id)


def delete_library(services: Services, library_id: str) -> None:
    services.libraries.delete(library_id)

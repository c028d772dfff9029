"""The media module's face: everything the handlers and the other modules may call. Its
internals (the scan pipeline, probe, naming, sidecars, enrichment) are not imported from outside
:mod:`viewra.media`; its records are in :mod:`viewra.media.models`."""

from __future__ import annotations

from viewra.media.browsing import item_view, list_items
from viewra.media.enrich.core import Clients
from viewra.media.enrich.pipeline import clients_for, enrich_delivery
from viewra.media.library_admin import (
    create_library,
    delete_library,
    get_library,
    get_scan,
    list_libraries,
    start_scan,
    update_library,
)
from viewra.media.probe import FileRangeSource, ProbeError, probe
from viewra.media.scan_pipeline import handle_message as handle_scan_message
from viewra.media.store_hook import Queued, StoreDelivery
from viewra.media.store_hook import forward as forward_store_events
from viewra.media.subtitle_files import SubtitleFile, item_subtitle

__all__ = [
    "Clients",
    "FileRangeSource",
    "ProbeError",
    "Queued",
    "StoreDelivery",
    "SubtitleFile",
    "clients_for",
    "create_library",
    "delete_library",
    "enrich_delivery",
    "forward_store_events",
    "get_library",
    "get_scan",
    "handle_scan_message",
    "item_subtitle",
    "item_view",
    "list_items",
    "list_libraries",
    "probe",
    "start_scan",
    "update_library",
]

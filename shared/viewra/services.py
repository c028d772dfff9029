"""The composition root: builds the storage adapters for one deployment, once, lazily.

Handlers ask :func:`get_services` for what they need; tests build a :class:`Services` from their
own :class:`~viewra.settings.Settings` (an emulator on a free port, unique names) instead of
patching anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from viewra.events import LogPublisher, Publisher
from viewra.settings import Settings, get_settings
from viewra.storage.catalog import Catalog
from viewra.storage.libraries import LibraryStore
from viewra.storage.objects import ObjectStore
from viewra.storage.queues import QueueSender
from viewra.storage.scans import ScanStore
from viewra.storage.sessions import SessionStore, UserDataStore
from viewra.storage.tables import Tables, tables_for
from viewra.transcoding import Transcoder, WaitingTranscoder


@dataclass
class Services:
    settings: Settings
    tables: Tables
    catalog: Catalog
    libraries: LibraryStore
    scans: ScanStore
    objects: ObjectStore
    queues: QueueSender
    sessions: SessionStore
    userdata: UserDataStore
    transcoder: Transcoder = field(default_factory=WaitingTranscoder)
    events: Publisher = field(default_factory=LogPublisher)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        tables = tables_for(settings)
        return cls(
            settings=settings,
            tables=tables,
            catalog=Catalog(tables),
            libraries=LibraryStore(tables),
            scans=ScanStore(tables),
            objects=ObjectStore(settings),
            queues=QueueSender(settings),
            sessions=SessionStore(tables),
            userdata=UserDataStore(tables),
        )


@lru_cache(maxsize=1)
def get_services() -> Services:
    return Services.from_settings(get_settings())

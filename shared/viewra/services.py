"""The composition root: builds the storage adapters for one deployment, once, lazily.

Handlers ask :func:`get_services` for what they need; tests build a :class:`Services` from their
own :class:`~viewra.settings.Settings` (an emulator on a free port, unique names) instead of
patching anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from viewra.events import LogPublisher, Publisher
from viewra.plugins.cue import CueEvaluator
from viewra.plugins.registry import PluginRegistry
from viewra.settings import Settings, get_settings
from viewra.storage.catalog import Catalog
from viewra.storage.libraries import LibraryStore
from viewra.storage.objects import ObjectStore
from viewra.storage.queues import QueueSender
from viewra.storage.scans import ScanStore
from viewra.storage.sessions import SessionStore, UserDataStore
from viewra.storage.tables import Tables, tables_for
from viewra.transcode.context import Transcoder as TranscodeContext
from viewra.transcode.context import transcoder_for
from viewra.transcoding import QueueTranscoder


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
    events: Publisher = field(default_factory=LogPublisher)
    _plugins: PluginRegistry | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def plugins(self) -> PluginRegistry:
        """The plugin registry, loaded on first use (validating CUE configs starts Node)."""
        with self._lock:
            if self._plugins is None:
                s = self.settings
                self._plugins = PluginRegistry.load(
                    config_dir=Path(s.plugin_config_dir),
                    evaluator=CueEvaluator(node=s.node_binary),
                    handshake_timeout=float(s.plugin_handshake_timeout_seconds),
                )
            return self._plugins

    @property
    def transcode(self) -> TranscodeContext:
        """The transcoder: job store, content store, providers (probed on first need)."""
        return transcoder_for(self.settings)

    @property
    def transcoder(self) -> QueueTranscoder:
        """Playback's port to the transcoder."""
        return QueueTranscoder(self.transcode)

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

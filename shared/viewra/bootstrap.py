"""The composition root and service registry: one object holding every implementation by name
(catalogue, libraries, scans, objects, queues, sessions, user data, events, the transcoder and
its providers, plugins), built once, lazily, from the settings.

It sits above the modules, as cosmicpython's ``bootstrap.py`` does: it imports the storage
adapters and each module's face, and hands the adapters in. No module imports it; each module
declares the small interfaces it needs (``viewra/<module>/ports.py``), which ``Services``
satisfies structurally.

Every handler asks :func:`get_services`. An implementation is swapped by name, without patching:
``register_services(get_services().replace(events=MyPublisher()))``.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from viewra.accounts.service import Accounts, signing_key
from viewra.common.events import LogPublisher, Publisher
from viewra.common.settings import Settings, get_settings
from viewra.media.service import Clients, clients_for
from viewra.plugins.cue import CueEvaluator
from viewra.plugins.registry import PluginRegistry
from viewra.storage.accounts import AccountStore, ParameterSecrets
from viewra.storage.catalog import Catalog
from viewra.storage.enrich_cache import DynamoCache
from viewra.storage.eventbus import EventStore, SnsPublisher
from viewra.storage.libraries import LibraryStore
from viewra.storage.objects import ObjectStore
from viewra.storage.queues import QueueSender
from viewra.storage.scans import ScanStore
from viewra.storage.sessions import SessionStore, UserDataStore
from viewra.storage.tables import Tables, tables_for
from viewra.storage.transcoder import ContentStore, JobStore, SourceStore, VisibilityHeartbeat
from viewra.transcoding.service import (
    BUILT_IN,
    FfmpegFacts,
    OptimizedVersions,
    QueueTranscoder,
    Registry,
    TranscodeLimits,
    Transcoder,
)


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
    event_store: EventStore
    account_store: AccountStore
    events: Publisher = field(default_factory=LogPublisher)
    _accounts: Accounts | None = field(default=None, init=False, repr=False)
    _plugins: PluginRegistry | None = field(default=None, init=False, repr=False)
    _enrich: Clients | None = field(default=None, init=False, repr=False)
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
    def accounts(self) -> Accounts:
        """Users, tokens, API keys, grants: built on first use (the argon2 dummy hash, the
        signing key: from the settings, else the SSM parameter they name)."""
        with self._lock:
            if self._accounts is None:
                key = signing_key(self.settings, ParameterSecrets(self.settings))
                self._accounts = Accounts(self.settings, self.account_store, self.events, key)
            return self._accounts

    def enrich_clients(self) -> Clients:
        """TMDB/MusicBrainz clients, made once (their rate limits and memory caches are per
        process; behind those, the enrichment cache table is shared by all)."""
        with self._lock:
            if self._enrich is None:
                self._enrich = clients_for(self.settings, DynamoCache(self.tables.enrich_cache))
            return self._enrich

    @property
    def transcode(self) -> Transcoder:
        """The transcoder: job store, content store, providers (probed on first need)."""
        return transcoder_for(self.settings)

    @property
    def transcoder(self) -> QueueTranscoder:
        """Playback's port to the transcoder."""
        return QueueTranscoder(self.transcode)

    @property
    def versions(self) -> OptimizedVersions:
        """Optimized versions: the scan queues them, playback prefers a ready one."""
        return OptimizedVersions(self.transcode)

    def names(self) -> list[str]:
        """The registry's names: each an implementation a handler can be given."""
        return [f.name for f in fields(self) if not f.name.startswith("_")]

    def replace(self, **implementations: object) -> Services:
        """A copy with some implementations swapped by name (unknown names are refused)."""
        unknown = set(implementations) - set(self.names())
        if unknown:
            raise KeyError(f"no service named {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **implementations)  # type: ignore[arg-type]

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
            event_store=EventStore(tables, settings.events_ttl_seconds),
            account_store=AccountStore(tables),
            events=SnsPublisher(settings) if settings.events_topic else LogPublisher(),
        )


_registered: Services | None = None


@lru_cache(maxsize=1)
def _from_environment() -> Services:
    return Services.from_settings(get_settings())


def get_services() -> Services:
    """What every handler uses: the registered services, else those the environment describes."""
    return _registered if _registered is not None else _from_environment()


def register_services(services: Services | None) -> None:
    """Make ``services`` what every handler uses (None: back to the environment's)."""
    global _registered
    _registered = services


def reset_services() -> None:
    """Forget the registered and the cached services (settings changed)."""
    register_services(None)
    _from_environment.cache_clear()


def build_transcoder(
    settings: Settings,
    *,
    limits: TranscodeLimits | None = None,
    facts: FfmpegFacts | None = None,
    queues: QueueSender | None = None,
) -> Transcoder:
    """A transcoder wired to this deployment's job table, buckets, queue and event topic."""
    limits = limits or TranscodeLimits.from_settings(settings)
    return Transcoder(
        settings=settings,
        jobs=JobStore(settings),
        content=ContentStore(settings),
        sources=SourceStore(settings),
        queues=queues or QueueSender(settings),
        registry=Registry(BUILT_IN, facts, ffmpeg=limits.ffmpeg),
        limits=limits,
        events=SnsPublisher(settings) if settings.events_topic else LogPublisher(),
    )


@lru_cache(maxsize=4)
def transcoder_for(settings: Settings) -> Transcoder:
    """The process-wide transcoder of a deployment (providers probed once, lazily)."""
    return build_transcoder(settings)


def visibility_heartbeat(
    transcoder: Transcoder, event_source_arn: str, receipt_handle: str
) -> VisibilityHeartbeat:
    """Extends a transcode message's visibility while its job runs (the worker calls it)."""
    settings = transcoder.settings
    return VisibilityHeartbeat(
        settings,
        VisibilityHeartbeat.queue_url_from_arn(settings, event_source_arn),
        receipt_handle,
        transcoder.limits.visibility_seconds,
    )

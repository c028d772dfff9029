"""The plugin registry: discovered plugins plus their configs, with state and errors.

Built once per process by :meth:`PluginRegistry.load`. Every failure is contained here: a plugin
that will not import, has an invalid config, fails its handshake, crashes, hangs or answers
garbage is recorded on its :class:`PluginStatus` (``GET /plugins`` shows it) and skipped, and the
caller gets ``None`` for that plugin instead of an exception.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viewra.common.logs import logger
from viewra.media.enrich.models import Enrichment
from viewra.plugins.base import ExternalPlugin, Plugin, PluginError
from viewra.plugins.config import ConfigSet, load_configs
from viewra.plugins.cue import CueEvaluator
from viewra.plugins.discovery import Discovered, discover
from viewra.plugins.model import (
    ENTRY_POINT_GROUP,
    PluginConfig,
    PluginInfo,
    PluginState,
    PluginStatus,
    PluginType,
)
from viewra.plugins.process import ProcessPlugin

MAX_ERRORS = 10


class FieldsResult(BaseModel):
    """What ``scrape`` and ``enrich`` answer."""

    model_config = ConfigDict(extra="forbid")

    fields: Enrichment


class TranscodePlan(BaseModel):
    """What ``transcode.plan`` answers: an ffmpeg argument list (never a shell string)."""

    model_config = ConfigDict(extra="forbid")

    argv: list[str] = Field(min_length=1)


RESULT_MODELS: dict[str, type[BaseModel]] = {
    "scrape": FieldsResult,
    "enrich": FieldsResult,
    "transcode.plan": TranscodePlan,
}


@dataclass(frozen=True)
class CallOutcome:
    name: str
    result: BaseModel | None
    error: str | None = None


class _Entry:
    def __init__(self, status: PluginStatus, plugin: Plugin | None = None) -> None:
        self.status = status
        self.plugin = plugin


class PluginRegistry:
    def __init__(self, entries: Iterable[_Entry] = ()) -> None:
        self._entries = {e.status.name: e for e in entries}
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        *,
        config_dir: Path | None = None,
        evaluator: CueEvaluator | None = None,
        group: str = ENTRY_POINT_GROUP,
        handshake_timeout: float = 5.0,
    ) -> PluginRegistry:
        """Discover entry points, read configs, start what is enabled; never raises per plugin."""
        configs = load_configs(config_dir, evaluator) if config_dir else ConfigSet()
        found = {d.name: d for d in discover(group)}
        entries = []
        for name in sorted(set(found) | set(configs.files)):
            entries.append(_build(name, found.get(name), configs, handshake_timeout))
        return cls(entries)

    def statuses(self) -> list[PluginStatus]:
        """``GET /plugins``: every plugin, highest priority first, with state and errors."""
        with self._lock:
            rows = [e.status.model_copy(deep=True) for e in self._entries.values()]
        return sorted(rows, key=lambda s: (-s.priority, s.name))

    def ready(self, type_: PluginType) -> list[str]:
        """Names of the ready plugins of one type, in call order (priority, then name)."""
        return [s.name for s in self.statuses() if s.type is type_ and s.state is PluginState.READY]

    def call(self, name: str, method: str, params: Mapping[str, Any]) -> CallOutcome:
        """Call one plugin; failures become the outcome's ``error`` and, if fatal, its state."""
        entry = self._entries.get(name)
        if entry is None or entry.plugin is None or entry.status.state is not PluginState.READY:
            return CallOutcome(name, None, f"{name} is not ready")
        try:
            raw = entry.plugin.call(method, params)
            model = RESULT_MODELS.get(method)
            result = model.model_validate(raw) if model else _Opaque.model_validate(raw)
        except PluginError as exc:
            return self._failed(entry, method, str(exc), fatal=exc.fatal)
        except ValidationError as exc:  # answered, but garbage: the plugin is not to be trusted
            return self._failed(entry, method, f"invalid answer: {_first(exc)}", fatal=True)
        except Exception as exc:  # an in-process plugin's own bug fails the call, not the host
            return self._failed(entry, method, f"{type(exc).__name__}: {exc}", fatal=False)
        return CallOutcome(name, result)

    def call_each(
        self, type_: PluginType, method: str, params: Mapping[str, Any]
    ) -> list[CallOutcome]:
        """Call every ready plugin of a type in priority order; failed ones are skipped."""
        return [self.call(name, method, params) for name in self.ready(type_)]

    def close(self) -> None:
        for entry in self._entries.values():
            if entry.plugin is not None:
                try:
                    entry.plugin.close()
                except Exception as exc:
                    logger.warning(
                        "plugin close failed",
                        extra={"plugin": entry.status.name, "error": str(exc)},
                    )

    def _failed(self, entry: _Entry, method: str, message: str, *, fatal: bool) -> CallOutcome:
        name = entry.status.name
        logger.warning(
            "plugin call failed",
            extra={"plugin": name, "method": method, "error": message, "fatal": fatal},
        )
        with self._lock:
            entry.status.errors = [*entry.status.errors, f"{method}: {message}"][-MAX_ERRORS:]
            if fatal:
                entry.status.state = PluginState.FAILED
        if fatal and entry.plugin is not None:
            plugin, entry.plugin = entry.plugin, None
            with contextlib.suppress(Exception):  # already broken; closing is best effort
                plugin.close()
        return CallOutcome(name, None, message)


class _Opaque(BaseModel):
    model_config = ConfigDict(extra="allow")


def list_plugins(registry: PluginRegistry) -> list[dict[str, Any]]:
    """The body of ``GET /plugins``."""
    return [s.model_dump(mode="json") for s in registry.statuses()]


def _build(
    name: str, found: Discovered | None, configs: ConfigSet, handshake_timeout: float
) -> _Entry:
    config = configs.configs.get(name)
    status = PluginStatus(
        name=name,
        state=PluginState.READY,
        config_file=configs.files.get(name),
        source=found.value
        if found
        else (" ".join(config.command) if config and config.command else None),
        out_of_process=bool(
            (found and isinstance(found.target, ExternalPlugin))
            or (not found and config and config.command)
        ),
    )
    if config is not None:
        status.enabled, status.priority = config.enabled, config.priority
    if name in configs.errors:
        return _stopped(status, PluginState.DISABLED, configs.errors[name], enabled=False)
    if found is not None and found.error:
        return _stopped(status, PluginState.FAILED, [found.error])
    if config is not None and not config.enabled:
        return _stopped(status, PluginState.DISABLED, [])
    make = _factory(name, found, config or PluginConfig(), handshake_timeout)
    if make is None:
        return _stopped(status, PluginState.FAILED, [f"no installed plugin is named {name}"])
    try:
        plugin = make()
    except Exception as exc:
        return _stopped(status, PluginState.FAILED, [f"start failed: {type(exc).__name__}: {exc}"])
    return _checked(status, plugin, config)


def _factory(
    name: str, found: Discovered | None, config: PluginConfig, handshake_timeout: float
) -> Callable[[], Plugin] | None:
    target = found.target if found else None
    argv = target.argv if isinstance(target, ExternalPlugin) else config.command
    if argv:
        env = dict(target.env) if isinstance(target, ExternalPlugin) else {}
        return lambda: ProcessPlugin(
            argv,
            settings=config.settings,
            env=env,
            handshake_timeout=handshake_timeout,
            call_timeout=config.timeout_seconds,
        )
    if target is None:
        return None
    if isinstance(target, Plugin) and not isinstance(target, type):
        return lambda: target
    if callable(target):  # a plugin class or a factory: called with the config's settings
        return lambda: target(config.settings)
    return None


def _checked(status: PluginStatus, plugin: Plugin, config: PluginConfig | None) -> _Entry:
    if not isinstance(plugin, Plugin):
        return _stopped(
            status, PluginState.FAILED, ["the entry point gave no plugin (info, call, close)"]
        )
    try:
        info = PluginInfo.model_validate(plugin.info)
    except Exception as exc:  # a plugin's info property is its own code too
        return _stopped(status, PluginState.FAILED, [f"invalid declaration: {exc}"])
    status.type, status.version, status.capabilities = info.type, info.version, info.capabilities
    problems = []
    if info.name != status.name:
        problems.append(f"declares the name {info.name!r}, registered as {status.name!r}")
    if config is not None and config.type is not None and config.type is not info.type:
        problems.append(
            f"{status.config_file}: plugin.type: {config.type} but the plugin is a {info.type}"
        )
    if problems:
        plugin.close()
        return _stopped(status, PluginState.FAILED, problems)
    if config is not None and (
        config.capabilities.formats or config.capabilities.codecs or config.capabilities.kinds
    ):
        status.capabilities = config.capabilities  # the operator narrows what the plugin offers
    return _Entry(status, plugin)


def _stopped(status: PluginStatus, state: PluginState, errors: list[str], **changes: Any) -> _Entry:
    status.state = state
    status.errors = errors[:MAX_ERRORS]
    for key, value in changes.items():
        setattr(status, key, value)
    if errors:
        logger.warning(
            "plugin not loaded", extra={"plugin": status.name, "state": state, "errors": errors}
        )
    return _Entry(status)


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"

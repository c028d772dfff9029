"""What a plugin is to the host: something with an :class:`PluginInfo` that answers calls.

In-process and out-of-process plugins look the same from here (``info`` and
``call(method, params)`` returning a JSON-shaped dict), so the registry and the pipeline never
care which kind they hold. An entry point resolves either to an in-process plugin (an instance,
or a class/factory called with its settings) or to an :class:`ExternalPlugin`, the command line
of an out-of-process one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from viewra.plugins.model import PluginInfo


class PluginError(RuntimeError):
    """A call failed. ``fatal`` says the plugin is unusable from now on (crash, hang, garbage)."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@runtime_checkable
class Plugin(Protocol):
    @property
    def info(self) -> PluginInfo: ...

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class InProcessPlugin:
    """Base for plugins that run inside the host: declare ``INFO``, write ``handle_<method>``.

    Method names map to handlers with dots turned into underscores (``transcode.plan`` →
    ``handle_transcode_plan``), the same names an out-of-process plugin answers.
    """

    INFO: PluginInfo

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings = dict(settings or {})

    @property
    def info(self) -> PluginInfo:
        return self.INFO

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "handle_" + method.replace(".", "_"), None)
        if handler is None:
            raise PluginError(f"{self.info.name} does not answer {method}")
        return handler(dict(params))

    def close(self) -> None:
        """Nothing to release by default."""


@dataclass(frozen=True)
class ExternalPlugin:
    """An out-of-process plugin published through an entry point: how to start it."""

    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)

"""What the registry knows about a plugin: the records that ``GET /plugins`` serialises.

Plugins come from two places (Python entry points in group ``viewra.plugins``, and commands run
as subprocesses), so the description is data rather than an attribute of one base class: the same
:class:`PluginInfo` is declared by an in-process plugin and answered by an out-of-process one in
its handshake, and is validated the same way.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

ENTRY_POINT_GROUP = "viewra.plugins"


class PluginType(StrEnum):
    TRANSCODER = "transcoder"
    SCRAPER = "scraper"
    ENRICHER = "enricher"


class PluginState(StrEnum):
    READY = "ready"  # loaded (and, out of process, handshaken); calls go to it
    DISABLED = "disabled"  # switched off by its config, or its config is invalid
    FAILED = "failed"  # would not load, crashed, hung or answered garbage: skipped from now on


class Capabilities(BaseModel):
    """What a plugin handles; empty lists mean "anything"."""

    model_config = ConfigDict(extra="ignore")

    formats: list[str] = Field(default_factory=list)
    codecs: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)


class PluginInfo(BaseModel):
    """A plugin's own declaration: type, name, version, capabilities and the methods it answers."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    type: PluginType
    version: str
    capabilities: Capabilities = Field(default_factory=Capabilities)
    methods: list[str] = Field(default_factory=list)


class PluginConfig(BaseModel):
    """One ``config/plugins/<name>.cue`` after CUE validated it and exported it to JSON."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    type: PluginType | None = None
    enabled: bool = True
    priority: int = Field(default=50, ge=0, le=100)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    settings: dict[str, object] = Field(default_factory=dict)
    command: list[str] | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=300)


class PluginStatus(BaseModel):
    """One row of ``GET /plugins``: the declaration, where it came from, its state and errors."""

    name: str
    type: PluginType | None = None
    version: str | None = None
    capabilities: Capabilities = Field(default_factory=Capabilities)
    state: PluginState
    enabled: bool = True
    priority: int = 50
    out_of_process: bool = False
    source: str | None = None  # entry point value or command line
    config_file: str | None = None
    errors: list[str] = Field(default_factory=list)

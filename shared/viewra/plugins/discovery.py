"""Finding installed plugins: Python entry points in group ``viewra.plugins``.

Discovery only *finds*: each entry point becomes a :class:`Discovered` with its distribution and
either the loaded object or the error that loading raised, so one broken package shows up in
``GET /plugins`` with its traceback's last line instead of stopping the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from viewra.plugins.model import ENTRY_POINT_GROUP


@dataclass(frozen=True)
class Discovered:
    name: str  # the entry point's name: the plugin's name and its config file's stem
    value: str  # "module:attr", shown as the source
    distribution: str | None
    target: object | None = None
    error: str | None = None


def discover(group: str = ENTRY_POINT_GROUP) -> list[Discovered]:
    """Every entry point of ``group`` on ``sys.path``, loaded or with its load error."""
    found = []
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        found.append(_load(ep))
    return found


def _load(ep: EntryPoint) -> Discovered:
    dist = ep.dist.name if ep.dist is not None else None
    try:
        target = ep.load()
    except Exception as exc:  # third-party import code can raise anything
        return Discovered(
            ep.name, ep.value, dist, error=f"load failed: {type(exc).__name__}: {exc}"
        )
    return Discovered(ep.name, ep.value, dist, target=target)

"""``viewra reindex``: rebuild the search rows and the counts from the items, talking to the
store directly with the deployment's settings (the embedded stack's, or AWS's from the
environment). An operator's repair; run it while nothing writes."""

from __future__ import annotations

from viewra.bootstrap import Services
from viewra.common.settings import Settings


def reindex(settings: Settings | None = None) -> tuple[int, int]:
    """(items, search rows) written."""
    services = Services.from_settings(settings or Settings.from_env())
    return services.catalog.reindex()


def rows_stale(settings: Settings) -> bool:
    """Whether the search rows were built by older rules than this version's (a state dir from
    before pair rows, say): ``make run`` then reindexes once."""
    services = Services.from_settings(settings)
    return not services.catalog.search_index.rows_current()

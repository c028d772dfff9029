"""How ``make run`` shares the cores among transcode worker processes."""

from __future__ import annotations

import pytest

from viewra.local.run import transcode_worker_shares


@pytest.mark.parametrize(
    ("configured", "cores", "expected"),
    [
        (0, 2, (1, 2)),  # one per two cores, all the threads
        (0, 8, (4, 2)),
        (0, 1, (1, 1)),  # at least one
        (0, None, (1, 1)),
        (3, 8, (3, 2)),  # configured: the cores shared out
        (4, 2, (4, 1)),  # more workers than cores: a thread each
    ],
)
def test_workers_and_their_threads(configured: int, cores: int | None, expected: tuple) -> None:
    assert transcode_worker_shares(configured, cores) == expected

"""viewra.common.parallel_calls: independent calls overlap, all finish, the first failure is
raised."""

from __future__ import annotations

import threading

import pytest

from viewra.common.parallel_calls import together


def test_calls_run_at_the_same_time() -> None:
    # each call waits for the other two: run one after another, the barrier would time out
    barrier = threading.Barrier(3, timeout=5)
    together(barrier.wait, barrier.wait, barrier.wait)


def test_every_call_finishes_and_the_first_failure_is_raised() -> None:
    done: list[str] = []
    release = threading.Event()

    def slow() -> None:
        release.wait(5)
        done.append("slow")

    def first() -> None:
        release.set()
        raise ValueError("first")

    def second() -> None:
        raise KeyError("second")

    with pytest.raises(ValueError, match="first"):
        together(first, slow, second)
    assert done == ["slow"]


def test_nothing_to_run_is_fine() -> None:
    together()

"""Event order per key: S3's sequencer (padded hex) decides, eventTime only without one."""

from __future__ import annotations

import pytest

from viewra.common.event_order import event_order, not_older, padded_sequencer, split_order

EARLY, LATE = "2026-11-20T10:00:00.000Z", "2026-11-20T11:00:00.000Z"


def test_a_newer_time_with_an_older_sequencer_is_older() -> None:
    removal = event_order(EARLY, "0055AED6DCD9028200")
    late_creation = event_order(LATE, "0055AED6DCD90281E5")
    assert not not_older(late_creation, removal)
    assert not_older(removal, late_creation)


def test_an_older_time_with_a_newer_sequencer_is_newer() -> None:
    first = event_order(LATE, "0055AED6DCD90281E5")
    second = event_order(EARLY, "0055AED6DCD9028200")
    assert not_older(second, first)
    assert not not_older(first, second)


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        # S3: pad the shorter with zeros on the right, then compare
        ("0055AED6DCD90281E5", "0055AED6DCD90281E500", "="),
        ("0055AED6DCD90281E6", "0055AED6DCD90281E5FF", ">"),
        ("0055AED6DCD90281E4", "0055AED6DCD90281E501", "<"),
        ("FF", "0055AED6DCD90281E5", ">"),  # not by length, nor as numbers
        ("01", "0100000000000000000001", "<"),
    ],
)
def test_sequencers_of_different_lengths_compare_padded(a: str, b: str, relation: str) -> None:
    first, second = event_order(EARLY, a), event_order(LATE, b)
    assert not_older(first, second) == (relation in "=>")
    assert not_older(second, first) == (relation in "=<")


def test_hex_case_does_not_matter_and_a_redelivery_is_not_older() -> None:
    assert not_older(event_order(EARLY, "00ab"), event_order(LATE, "00AB"))
    assert not_older(event_order(LATE, "00AB"), event_order(EARLY, "00ab"))


def test_event_time_decides_where_either_side_has_no_sequencer() -> None:
    listed = event_order(LATE)  # a library scan's listing has no sequencer
    evented = event_order(EARLY, "FFFF")
    assert not_older(listed, evented)
    assert not not_older(evented, listed)
    assert not_older(event_order(LATE, "0001"), event_order(EARLY))
    assert not not_older(event_order(EARLY, "0001"), event_order(LATE))


def test_orders_written_before_keep_their_meaning() -> None:
    """The earlier form padded to 32 (all zeros for none); messages in flight carry it."""
    old_with = f"{EARLY}#{'0055AED6DCD90281E5'.ljust(32, '0')}"
    old_without = f"{EARLY}#{'0' * 32}"
    assert split_order(old_with)[1] == padded_sequencer("0055AED6DCD90281E5")
    assert split_order(old_without) == (EARLY, None)
    assert not not_older(event_order(LATE, "0055AED6DCD90281E4"), old_with)

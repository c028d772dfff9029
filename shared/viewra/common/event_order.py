"""The order of store events for one key: S3's ``sequencer`` first, ``eventTime`` only without one.

S3 documents that the events of one key are ordered by their ``sequencer``: hexadecimal strings of
varying length, compared after right-padding the shorter one with zeros. ``eventTime`` is not an
order (two writes in one millisecond, clocks of different front ends), so it decides only when an
event has no sequencer (a library scan's listing, a store that sends none). Imports nothing of the
project, so the scan and the catalogue (storage) can both use it.

An order travels as one string, ``"<eventTime>#<SEQUENCER>"`` (the sequencer upper-cased and
right-padded with zeros to :data:`SEQ_WIDTH`, empty when there is none), the form queue messages
and the catalogue keep. Orders written before this module (sequencer padded to 32) read the same.
"""

from __future__ import annotations

SEQ_WIDTH = 64  # S3's sequencers are about 18 hex digits; padding is what makes text compare work


def padded_sequencer(sequencer: str | None) -> str | None:
    """The sequencer as compared: upper-case hex right-padded with zeros; None without one."""
    seq = (sequencer or "").strip().upper()
    if not seq or not seq.strip("0"):  # absent, or the all-zero padding of an absent one
        return None
    return seq.ljust(SEQ_WIDTH, "0")


def event_order(event_time: str, sequencer: str | None = None) -> str:
    """The order string of an event (see the module's docstring)."""
    return f"{event_time}#{padded_sequencer(sequencer) or ''}"


def split_order(order: str) -> tuple[str, str | None]:
    """``(event time, padded sequencer or None)`` of an order string."""
    time, _, seq = order.partition("#")
    return time, padded_sequencer(seq)


def not_older(new: str, old: str) -> bool:
    """Whether an event of order ``new`` may be applied over a record at order ``old``.

    Both with a sequencer: the padded sequencers decide (equal is not older: a redelivery).
    Otherwise the event times decide, with the whole string as the tie-break.
    """
    new_seq, old_seq = split_order(new)[1], split_order(old)[1]
    if new_seq is not None and old_seq is not None:
        return new_seq >= old_seq
    return new >= old

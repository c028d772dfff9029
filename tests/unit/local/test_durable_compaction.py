"""The durable emulator's generations: a live compaction switches journals, writes its snapshot
and drops the older files; one that fails leaves everything needed for the next start."""

from __future__ import annotations

import time

import pytest
from moto import mock_aws

from viewra.local import durable
from viewra.local.durable import Durable
from viewra.local.journal import read_records


def _names(root) -> list[str]:
    return sorted(p.name for p in root.glob("*.jsonl"))


def _purge(queue: str) -> dict:
    return {"t": "sqs.purge", "q": queue}  # harmless to replay: no such queue


@pytest.fixture
def state(tmp_path):
    with mock_aws():
        state = Durable(tmp_path, compact_bytes=1)
        state.compact(1)  # what a start does
        yield state
        state.journal.close()


def test_a_live_compaction_moves_appends_to_the_next_journal_and_drops_the_old_files(
    state, tmp_path
) -> None:
    state.append(_purge("before"))
    state.commit()  # past compact_bytes: a compaction starts in the background
    for _ in range(200):
        if state.compactions:
            break
        time.sleep(0.01)
    assert state.compactions == 1 and state.gen == 2
    assert _names(tmp_path) == ["journal.2.jsonl", "snapshot.2.jsonl"]
    state.append(_purge("after"))
    state.commit()
    assert [r["q"] for r in read_records(tmp_path / "journal.2.jsonl")][:1] == ["after"]


def test_a_failed_live_compaction_keeps_both_journals_for_the_next_start(
    state, tmp_path, monkeypatch
) -> None:
    state.compact_bytes = 0  # no background compaction: the test drives them
    state.append(_purge("one"))
    state.commit()

    def broken(_state):
        yield {"t": "ctl"}
        raise RuntimeError("disk full")

    monkeypatch.setattr(durable, "state_records", broken)
    assert state.compact_live() is None
    state.append(_purge("two"))
    state.commit()
    assert _names(tmp_path) == ["journal.1.jsonl", "journal.2.jsonl", "snapshot.1.jsonl"]
    assert not list(tmp_path.glob("*.tmp"))
    # what the next start replays: the last snapshot, then every journal after it, in order
    assert [r["q"] for r in read_records(tmp_path / "journal.1.jsonl")] == ["one"]
    assert [r["q"] for r in read_records(tmp_path / "journal.2.jsonl")] == ["two"]
    monkeypatch.undo()
    assert state.compact_live() is not None
    assert _names(tmp_path) == ["journal.3.jsonl", "snapshot.3.jsonl"]


def test_a_start_replays_the_snapshot_then_every_journal_after_it(tmp_path, monkeypatch) -> None:
    """A compaction killed between its switch and its snapshot: journal 2 beside snapshot 1."""
    from viewra.local.journal import Journal

    for name, queues in (
        ("snapshot.1.jsonl", ["s"]),
        ("journal.1.jsonl", ["j1"]),
        ("journal.2.jsonl", ["j2a", "j2b"]),
        ("journal.0.jsonl", ["stale"]),  # older than the snapshot: already in it
    ):
        journal = Journal(tmp_path / name)
        for q in queues:
            journal.append(_purge(q))
        journal.close()
    (tmp_path / "snapshot.2.tmp").write_bytes(b"half a snapshot")
    seen: list[str] = []
    monkeypatch.setattr(durable, "apply_record", lambda app, st, r: seen.append(r["q"]))
    with mock_aws():
        state = Durable(tmp_path)
        state.start(app=None)
        state.journal.close()
    assert seen == ["s", "j1", "j2a", "j2b"]
    assert _names(tmp_path) == ["journal.3.jsonl", "snapshot.3.jsonl"]
    assert not list(tmp_path.glob("*.tmp"))

"""The emulator's write-ahead journal: records come back as written, a torn or damaged tail ends
the replay, and concurrent commits share fsyncs (group commit)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from viewra.local import journal as journal_module
from viewra.local.durable import compact_controls
from viewra.local.journal import Journal, read_records


def test_records_come_back_in_order(tmp_path) -> None:
    journal = Journal(tmp_path / "j", fsync=True)
    for n in range(5):
        journal.commit(journal.append({"n": n, "text": "line\nbreak é"}))
    journal.close()
    assert [r["n"] for r in read_records(tmp_path / "j")] == [0, 1, 2, 3, 4]
    assert next(read_records(tmp_path / "j"))["text"] == "line\nbreak é"


def test_a_torn_last_record_ends_the_replay(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    for n in range(3):
        journal.append({"n": n})
    journal.close()
    data = (tmp_path / "j").read_bytes()
    (tmp_path / "j").write_bytes(data[:-5])  # a crash in the middle of the last write
    assert [r["n"] for r in read_records(tmp_path / "j")] == [0, 1]


def test_a_damaged_record_ends_the_replay_there(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    for n in range(3):
        journal.append({"n": n})
    journal.close()
    lines = (tmp_path / "j").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"n":1', b'"n":7')  # same length, wrong checksum
    (tmp_path / "j").write_bytes(b"\n".join(lines))
    assert [r["n"] for r in read_records(tmp_path / "j")] == [0]


def test_concurrent_commits_share_fsyncs(tmp_path, monkeypatch) -> None:
    """Eight writers committing 40 records each: one slow fsync covers what the others wrote."""
    real_fsync, real_fdatasync = os.fsync, os.fdatasync

    def slow_fsync(fd: int) -> None:  # a disk's flush takes time; that is what groups form in
        time.sleep(0.002)
        real_fsync(fd)

    def slow_fdatasync(fd: int) -> None:
        time.sleep(0.002)
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    monkeypatch.setattr(os, "fdatasync", slow_fdatasync)
    journal = Journal(tmp_path / "j", fsync=True)

    def writer(w: int) -> None:
        for n in range(40):
            journal.commit(journal.append({"w": w, "n": n}))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    journal.close()
    assert len(list(read_records(tmp_path / "j"))) == 320
    assert journal.fsyncs < 320 / 2


def test_commit_without_fsync_returns_at_once(tmp_path, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    journal = Journal(tmp_path / "j", fsync=False)
    journal.commit(journal.append({"n": 1}))
    assert calls == [] and journal.fsyncs == 0


def _ctl(service: str, action: str, resource: str, n: int) -> dict:
    return {"service": service, "action": action, "resource": resource, "n": n}


def test_compaction_keeps_the_last_request_of_each_kind_and_none_of_a_deleted_resource() -> None:
    controls = [
        _ctl("sqs", "CreateQueue", "scan", 1),
        _ctl("sqs", "SetQueueAttributes", "scan", 2),
        _ctl("sqs", "SetQueueAttributes", "scan", 3),
        _ctl("dynamodb", "CreateTable", "items", 4),
        _ctl("dynamodb", "DeleteTable", "items", 5),
        _ctl("dynamodb", "CreateTable", "items", 6),
        _ctl("s3", "PUT /", "media", 7),
        _ctl("s3", "PUT /?notification", "media", 8),
        _ctl("s3", "PUT /", "gone", 9),
        _ctl("s3", "DELETE /", "gone", 10),
    ]
    assert [c["n"] for c in compact_controls(controls)] == [1, 3, 6, 7, 8]


def test_sealing_answers_the_commits_waiting_on_it_and_refuses_appends(tmp_path) -> None:
    """A live compaction seals the journal it switched away from: what was appended is durable,
    a request still committing on it returns at once, and nothing more can be appended."""
    journal = Journal(tmp_path / "j", fsync=True)
    seqs = [journal.append({"n": n}) for n in range(3)]
    assert journal.size == len((tmp_path / "j").read_bytes().rstrip(b"\0"))
    journal.seal()
    assert journal.size == (tmp_path / "j").stat().st_size  # the laid-out zeros dropped
    assert journal.fsyncs == 1
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (journal.commit(seqs[-1]), done.set()))
    waiter.start()
    waiter.join(timeout=5)
    assert done.is_set() and journal.fsyncs == 1  # served by the seal's fsync
    with pytest.raises(RuntimeError, match="sealed"):
        journal.append({"n": 3})
    assert [r["n"] for r in read_records(tmp_path / "j")] == [0, 1, 2]


def test_records_overwrite_laid_out_zeros_and_a_commit_flushes_data_only(
    tmp_path, monkeypatch
) -> None:
    """The file is laid out ahead of the records (zeros, fsynced a chunk at a time, the chunk
    here 64 bytes so records cross its end): a commit is an fdatasync, the zeros after the
    last record end a replay (a crash's copy of the file), and closing drops them."""
    monkeypatch.setattr(journal_module, "LAYOUT_CHUNK", 64)
    calls: list[str] = []
    real_fsync, real_fdatasync = os.fsync, os.fdatasync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(os, "fdatasync", lambda fd: (calls.append("data"), real_fdatasync(fd)))
    journal = Journal(tmp_path / "j", fsync=True)
    assert (tmp_path / "j").read_bytes() == bytes(64) and calls == ["fsync"]
    for n in range(12):
        calls.clear()
        journal.commit(journal.append({"n": n, "pad": "x" * n}))
        assert calls[-1] == "data" and set(calls[:-1]) <= {"fsync"}  # fsync: laying out more
    crashed = (tmp_path / "j").read_bytes()
    assert len(crashed) > journal.size and crashed[journal.size :].strip(b"\0") == b""
    (tmp_path / "crash").write_bytes(crashed)
    assert [r["n"] for r in read_records(tmp_path / "crash")] == list(range(12))
    torn = crashed[: journal.size - 3] + bytes(len(crashed) - journal.size + 3)
    (tmp_path / "torn").write_bytes(torn)  # the last record half written, zeros after it
    assert [r["n"] for r in read_records(tmp_path / "torn")] == list(range(11))
    journal.close()
    assert (tmp_path / "j").stat().st_size == journal.size
    assert [r["n"] for r in read_records(tmp_path / "j")] == list(range(12))


def test_a_journal_without_fsync_is_not_laid_out(tmp_path) -> None:
    journal = Journal(tmp_path / "j", fsync=False)
    journal.append({"n": 1})
    assert (tmp_path / "j").stat().st_size == journal.size
    journal.close()

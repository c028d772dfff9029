"""A hard crash loses nothing acknowledged (issue 20): the whole local stack is killed with
SIGKILL, every process of it at once, at random moments of a 200-file drop and of a transcode,
again and again; after each restart every object, row and message the stack acknowledged is
there, and in the end the library holds every object exactly once. The emulator compacts its
journal every 32 KiB (dozens of times a round), so kills land during live compactions too.

``VIEWRA_CRASH_ROUNDS`` (default 10) sets how many kills, ``VIEWRA_CRASH_SEED`` replays a run.
Select it with ``-m crash``; it takes about two minutes.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from botocore.config import Config

from tests.integration.conftest import TEST_ENV
from viewra.local.launch import Stack, start_stack

pytestmark = [pytest.mark.integration, pytest.mark.crash]

ROUNDS = int(os.environ.get("VIEWRA_CRASH_ROUNDS", "10"))
# the stack's own visibility timeout, not the suite's 2 s (made to watch retries reach the DLQ):
# on a busy machine a batch outlives 2 s, every slow batch is received again, and a message of
# the drop reaches the DLQ on slowness alone. A kill costs nothing here: after a restart every
# message that was in flight is visible at once (its consumer died with the stack).
ENV = {
    **TEST_ENV,
    "VIEWRA_QUEUE_VISIBILITY_TIMEOUT": "60",
    "VIEWRA_EMULATOR_COMPACT_BYTES": str(32 * 1024),
}
FILES = 200
SIDE_QUEUE = "crash-side"


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def kill_everything(stack: Stack) -> int:
    """SIGKILL the runner and every process under it (the emulator and workers run in sessions
    of their own, ffmpeg under a worker): stopped first, so none can start another meanwhile."""
    pids: list[int] = []
    for _ in range(3):
        for pid in [stack.process.pid, *_descendants(stack.process.pid)]:
            if pid not in pids:
                pids.append(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    stack.process.wait(timeout=30)
    for pid in pids:  # reap or wait out the ones that were not our children
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
                break
            time.sleep(0.05)
    return len(pids)


def _generations(emulator_dir: Path) -> tuple[int, bool]:
    """(the emulator's last snapshot generation, whether a live compaction was cut short: its
    snapshot not yet in place, or the older files not yet dropped)."""
    snapshots = [int(p.name.split(".")[1]) for p in emulator_dir.glob("snapshot.*.jsonl")]
    journals = [int(p.name.split(".")[1]) for p in emulator_dir.glob("journal.*.jsonl")]
    midway = bool(list(emulator_dir.glob("snapshot.*.tmp"))) or len(snapshots + journals) > 2
    return max(snapshots, default=0), midway


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _client(stack: Stack, service: str):
    import boto3

    return boto3.client(
        service,
        endpoint_url=stack.endpoint,
        region_name="us-east-1",
        aws_access_key_id="viewra-local",
        aws_secret_access_key="viewra-local",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},  # an answer is an acknowledgement; no answer, no claim
            connect_timeout=2,
            read_timeout=10,
        ),
    )


class Ledger:
    """What the stack acknowledged, written by the load threads, checked after each restart."""

    def __init__(self, keys: list[str], bodies: dict[str, bytes]) -> None:
        self.keys, self.bodies = keys, bodies
        self.objects: dict[str, str] = {}  # key → ETag answered
        self.sent: set[str] = set()
        self.deleted: set[str] = set()
        self.deleting: set[str] = (
            set()
        )  # asked; a kill may have come between the delete and its answer
        self.lock = threading.Lock()

    def drop(self, stack: Stack, stop: threading.Event) -> None:
        """Upload what is not acknowledged yet, one file at a time, until stopped or killed."""
        s3 = _client(stack, "s3")
        try:
            for key in self.keys:
                if stop.is_set():
                    return
                if key in self.objects:
                    continue
                etag = s3.put_object(Bucket=stack.bucket, Key=key, Body=self.bodies[key])["ETag"]
                with self.lock:
                    self.objects[key] = etag.strip('"')
        except Exception:  # the stack died under us: whatever had no answer is not claimed
            return

    def messages(self, stack: Stack, stop: threading.Event) -> None:
        """Send to a queue of the test's own; receive some and delete one of every two."""
        sqs = _client(stack, "sqs")
        try:
            url = sqs.get_queue_url(QueueName=SIDE_QUEUE)["QueueUrl"]
            n = 0
            while not stop.is_set():
                n += 1
                sent = sqs.send_message(QueueUrl=url, MessageBody=f"m{n}-{uuid.uuid4().hex}")
                with self.lock:
                    self.sent.add(sent["MessageId"])
                if n % 3 == 0:
                    got = sqs.receive_message(
                        QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600
                    ).get("Messages", [])
                    for i, m in enumerate(got):
                        if i % 2 == 0:  # the other one stays in flight: it must come back
                            with self.lock:
                                self.deleting.add(m["MessageId"])
                            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                            with self.lock:
                                self.deleted.add(m["MessageId"])
                time.sleep(0.01)
        except Exception:
            return


def _all_messages(stack: Stack) -> set[str]:
    sqs = _client(stack, "sqs")
    url = sqs.get_queue_url(QueueName=SIDE_QUEUE)["QueueUrl"]
    seen: dict[str, str] = {}
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, WaitTimeSeconds=0
        ).get("Messages", [])
        if not got:
            break
        seen.update({m["MessageId"]: m["ReceiptHandle"] for m in got})
    for handle in seen.values():  # handed back, for the next look
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return set(seen)


def _restarted(before: Stack, state_dir: Path) -> Stack:
    """The stack started again on the same state: its admin and API key are in that state (the
    accounts table and the signing key survive too), so the new stack keeps using them."""
    after = start_stack(state_dir, env_extra=ENV)
    after.headers = dict(before.headers)
    after.admin = before.admin
    if "VIEWRA_API_KEY" in before.env:
        after.env["VIEWRA_API_KEY"] = before.env["VIEWRA_API_KEY"]
    return after


def _check_acknowledged(stack: Stack, ledger: Ledger, library_id: str) -> None:
    s3 = _client(stack, "s3")
    stored: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix="crash"):
        stored.update({o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])})
    with ledger.lock:
        objects, sent, deleted = dict(ledger.objects), set(ledger.sent), set(ledger.deleted)
        deleting = set(ledger.deleting)
    missing = {k: v for k, v in objects.items() if stored.get(k) != v}
    assert not missing, f"{len(missing)} acknowledged objects lost, e.g. {list(missing)[:3]}"
    for key in rng_sample(objects, 5):  # and their bytes, not just their names
        assert s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == ledger.bodies[key]
    assert stack.get(f"/libraries/{library_id}").status_code == 200  # a row written at the start
    present = _all_messages(stack)
    lost = (sent - deleting) - present
    assert not lost, (
        f"{len(lost)} of {len(sent - deleted)} acknowledged messages lost: {sorted(lost)[:2]}"
    )
    assert not deleted & present, "deleted messages came back"


def rng_sample(objects: dict[str, str], n: int) -> list[str]:
    keys = sorted(objects)
    return random.Random(len(keys)).sample(keys, min(n, len(keys)))


def test_killing_the_whole_stack_loses_nothing_acknowledged(tmp_path, media_dir) -> None:
    seed = int(os.environ.get("VIEWRA_CRASH_SEED", str(time.time_ns() % 1_000_000)))
    rng = random.Random(seed)
    print(f"VIEWRA_CRASH_SEED={seed}")
    clip = media_dir["mp4_faststart"].read_bytes()
    keys = [f"crash/Clip {i:03d} 50%25 off (2001).mp4" for i in range(FILES)]
    # tiny files: one in ten a real (small) video, the others a few distinct bytes (failed items)
    bodies = {k: clip if i % 10 == 0 else f"viewra {i} {seed}".encode() for i, k in enumerate(keys)}
    ledger = Ledger(keys, bodies)
    transcode_key = "crash/Solaris (1972).mkv"

    stack = start_stack(tmp_path, env_extra=ENV)
    r = stack.post("/libraries", {"name": "Crash", "prefix": "crash/", "kind": "movies"})
    assert r.status_code == 201, r.text
    library_id = r.json()["library"]["id"]
    _client(stack, "sqs").create_queue(QueueName=SIDE_QUEUE)
    job_url = None
    killed = []
    compactions, cut_short = 0, 0
    try:
        for round_ in range(ROUNDS):
            started_at, _ = _generations(tmp_path / "emulator")
            stop = threading.Event()
            threads = [
                threading.Thread(target=ledger.drop, args=(stack, stop)),
                threading.Thread(target=ledger.messages, args=(stack, stop)),
            ]
            for t in threads:
                t.start()
            if round_ == ROUNDS // 2 and job_url is None:  # a transcode, killed while it runs
                etag = _client(stack, "s3").put_object(
                    Bucket=stack.bucket, Key=transcode_key, Body=media_dir["mkv_hevc"].read_bytes()
                )["ETag"]
                ledger.objects[transcode_key] = etag.strip('"')
                ledger.bodies[transcode_key] = media_dir["mkv_hevc"].read_bytes()
                item = stack.item_at(library_id, transcode_key, timeout=120)
                session = stack.post(f"/items/{item['id']}/playback", {"profile": "chrome"})
                assert session.status_code == 201, session.text
                job_url = f"/transcodes/{session.json()['transcode_id']}"  # the API's port changes
                time.sleep(rng.uniform(0.2, 2.0))
            else:
                time.sleep(rng.uniform(0.3, 3.0))
            killed.append(kill_everything(stack))
            reached, midway = _generations(tmp_path / "emulator")
            compactions += reached - started_at
            cut_short += midway
            stop.set()
            for t in threads:
                t.join(timeout=30)
            stack = _restarted(stack, tmp_path)
            _check_acknowledged(stack, ledger, library_id)
        # the drop completes on the last stack; then the library must converge
        stop = threading.Event()
        ledger.drop(stack, stop)
        assert len(ledger.objects) == FILES + 1

        def converged() -> bool:
            items = stack.items(library_id, "all")
            return sorted(i["key"] for i in items) == sorted(ledger.objects)

        stack.wait_for(converged, 180, "every object catalogued", interval=2)
        items = stack.items(library_id, "all")
        assert len(items) == len({i["key"] for i in items}) == FILES + 1
        by_key = {i["key"]: i for i in items}
        assert all(by_key[k]["etag"] == e for k, e in ledger.objects.items())
        assert job_url is not None
        job = stack.job_finished(
            lambda: stack.get(job_url).json(), 180, "the transcode killed midway"
        )
        assert job["status"] == "ready", job
        _check_acknowledged(stack, ledger, library_id)
    finally:
        stack.stop()
    print(
        f"{ROUNDS} kills of {min(killed)}-{max(killed)} processes, {cut_short} of them during a"
        f" live compaction; {compactions} live compactions; seed {seed}"
    )
    assert compactions > ROUNDS, "the emulator compacted while serving, every round or so"

"""The durable emulator compacts its journal while it serves (issue 20): a replayed record changes
nothing that already has its effect, so a snapshot written while writes go on, followed by the
journal begun before it, gives back exactly what was acknowledged.

Both tests drive a real emulator process over HTTP and kill it with SIGKILL.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from viewra.local.emulator import Emulator

pytestmark = pytest.mark.integration

BIG = 70 * 1024  # above the emulator's INLINE_MAX: stored once, fsynced before the answer


def _client(emulator: Emulator, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def _killed(emulator: Emulator) -> None:
    emulator._proc.kill()  # type: ignore[union-attr]  # kill -9: no shutdown work
    emulator._proc.wait()  # type: ignore[union-attr]
    emulator.stop()


def _generation(state: Path) -> int:
    return max((int(p.name.split(".")[1]) for p in state.glob("snapshot.*.jsonl")), default=0)


# -- every record type, applied twice -------------------------------------------------------
def _write_every_kind(emulator: Emulator) -> None:
    """At least one write of each journal record type: controls, objects small and large,
    replaced, copied and deleted, multipart uploads completed, aborted and in progress, items
    put, updated, deleted and written in a transaction, messages sent, received, deleted, purged
    and moved to a dead-letter queue."""
    s3, ddb, sqs = (_client(emulator, s) for s in ("s3", "dynamodb", "sqs"))
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="small.txt", Body=b"small", Metadata={"a": "1"})
    s3.put_object(Bucket="media", Key="big.bin", Body=random.randbytes(BIG))
    s3.put_object(Bucket="media", Key="big.bin", Body=random.randbytes(BIG + 1))  # replaced
    s3.put_object(Bucket="media", Key="gone.txt", Body=b"deleted later")
    s3.delete_object(Bucket="media", Key="gone.txt")
    s3.copy_object(Bucket="media", Key="copy.bin", CopySource={"Bucket": "media", "Key": "big.bin"})
    part = 5 * 1024 * 1024
    done = s3.create_multipart_upload(Bucket="media", Key="joined.bin")["UploadId"]
    etags = [
        s3.upload_part(Bucket="media", Key="joined.bin", UploadId=done, PartNumber=n, Body=body)[
            "ETag"
        ]
        for n, body in ((1, random.randbytes(part)), (2, b"tail"))
    ]
    s3.complete_multipart_upload(
        Bucket="media",
        Key="joined.bin",
        UploadId=done,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    aborted = s3.create_multipart_upload(Bucket="media", Key="aborted.bin")["UploadId"]
    s3.upload_part(Bucket="media", Key="aborted.bin", UploadId=aborted, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket="media", Key="aborted.bin", UploadId=aborted)
    open_ = s3.create_multipart_upload(Bucket="media", Key="open.bin")["UploadId"]
    for n in (1, 2):
        s3.upload_part(
            Bucket="media", Key="open.bin", UploadId=open_, PartNumber=n, Body=b"p%d" % n
        )
    s3.upload_part(Bucket="media", Key="open.bin", UploadId=open_, PartNumber=2, Body=b"again")

    ddb.create_table(
        TableName="rows",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(4):
        ddb.put_item(TableName="rows", Item={"id": {"S": f"r{n}"}, "v": {"N": str(n)}})
    ddb.update_item(
        TableName="rows",
        Key={"id": {"S": "r1"}},
        UpdateExpression="ADD plays :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    ddb.delete_item(TableName="rows", Key={"id": {"S": "r2"}})
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "rows", "Item": {"id": {"S": "t1"}, "v": {"N": "9"}}}},
            {"Delete": {"TableName": "rows", "Key": {"id": {"S": "r3"}}}},
        ]
    )

    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    work = sqs.create_queue(QueueName="work")["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=work,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        },
    )
    for n in range(5):
        sqs.send_message(QueueUrl=work, MessageBody=f"m{n}")
    got = sqs.receive_message(QueueUrl=work, MaxNumberOfMessages=3, VisibilityTimeout=0)
    held = got["Messages"]
    sqs.delete_message(QueueUrl=work, ReceiptHandle=held[0]["ReceiptHandle"])
    # received again at once: past maxReceiveCount, moved to the dead-letter queue
    sqs.receive_message(QueueUrl=work, MaxNumberOfMessages=10, VisibilityTimeout=600)
    purged = sqs.create_queue(QueueName="purged")["QueueUrl"]
    sqs.send_message(QueueUrl=purged, MessageBody="before")
    sqs.purge_queue(QueueUrl=purged)
    sqs.send_message(QueueUrl=purged, MessageBody="after")


def _dump(emulator: Emulator) -> dict[str, Any]:
    """Everything a client can see, in a comparable form."""
    s3, ddb, sqs = (_client(emulator, s) for s in ("s3", "dynamodb", "sqs"))
    found: dict[str, Any] = {"buckets": {}, "tables": {}, "queues": {}}
    for bucket in sorted(b["Name"] for b in s3.list_buckets()["Buckets"]):
        objects = {}
        for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=o["Key"])
            body = got["Body"].read()
            objects[o["Key"]] = [
                o["ETag"],
                o["Size"],
                hashlib.md5(body).hexdigest(),
                got["Metadata"],
            ]
        uploads = {}
        for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            parts = s3.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
            uploads[u["UploadId"]] = [u["Key"]] + [
                [p["PartNumber"], p["ETag"], p["Size"]] for p in parts.get("Parts", [])
            ]
        found["buckets"][bucket] = {"objects": objects, "uploads": uploads}
    for table in ddb.list_tables()["TableNames"]:
        items = ddb.scan(TableName=table)["Items"]
        found["tables"][table] = sorted(json.dumps(i, sort_keys=True) for i in items)
    for url in sqs.list_queues().get("QueueUrls", []):
        messages = []
        while got := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, AttributeNames=["All"]
        ).get("Messages", []):
            messages += [
                [m["MessageId"], m["Body"], m["Attributes"]["ApproximateReceiveCount"]] for m in got
            ]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
        found["queues"][url.rsplit("/", 1)[1]] = [attributes.get("Attributes"), sorted(messages)]
    return found


def test_every_journal_record_applied_twice_gives_what_it_gave_once(tmp_path) -> None:
    """The journal of one of each write, replayed after a copy of itself: the first pass stands
    for a snapshot that already holds every effect (the fuzziest a live compaction can write)."""
    once, twice = tmp_path / "once", tmp_path / "twice"
    emulator = Emulator(state_dir=once, compact_bytes=0).start()
    try:
        _write_every_kind(emulator)
    finally:
        _killed(emulator)
    shutil.copytree(once, twice)
    (journal,) = [p for p in twice.glob("journal.*.jsonl") if p.stat().st_size]
    records = journal.read_bytes()
    records = records[: records.rfind(b"\n") + 1]
    journal.write_bytes(records + records)
    kinds = {json.loads(line[9:])["t"] for line in records.splitlines()}
    assert {"ctl", "s3.key", "s3.del", "s3.mpu", "s3.mpu.part", "s3.mpu.end"} <= kinds
    assert {"ddb.item", "sqs.put", "sqs.del", "sqs.recv", "sqs.purge"} <= kinds
    dumps = []
    for state in (once, twice):
        with Emulator(state_dir=state, compact_bytes=0) as emulator:
            dumps.append(_dump(emulator))
    assert dumps[0]["buckets"]["media"]["objects"].keys() == {
        "small.txt",
        "big.bin",
        "copy.bin",
        "joined.bin",
    }
    assert [u[0] for u in dumps[0]["buckets"]["media"]["uploads"].values()] == ["open.bin"]
    assert len(dumps[0]["tables"]["rows"]) == 3
    assert len(dumps[0]["queues"]["dead"][1]) >= 1
    assert [m[1] for m in dumps[0]["queues"]["purged"][1]] == ["after"]
    for part in ("buckets", "tables", "queues"):
        assert dumps[1][part] == dumps[0][part]


# -- live compactions under concurrent writers ---------------------------------------------
class Ledger:
    """What the emulator acknowledged; each key, row and message belongs to one writer thread,
    so the last value answered is the one that must be there."""

    def __init__(self) -> None:
        self.objects: dict[str, str | None] = {}  # key → MD5 of its bytes, None once deleted
        self.rows: dict[str, int | None] = {}  # id → its counter, None once deleted
        self.sent: set[str] = set()
        self.deleted: set[str] = set()
        self.uploads: dict[str, list[tuple[int, str]]] = {}  # in progress: id → parts
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()


def _objects(emulator: Emulator, ledger: Ledger, w: int, stop: threading.Event) -> None:
    s3 = _client(emulator, "s3")
    rng = random.Random(w)
    n = 0
    while not stop.is_set():
        n += 1
        key = f"w{w}/{rng.randrange(40)}"
        if n % 7 == 0:
            s3.delete_object(Bucket="media", Key=key)
            with ledger.lock:
                ledger.objects[key] = None
            continue
        body = rng.randbytes(BIG if n % 3 == 0 else rng.randrange(1, 2000))
        s3.put_object(Bucket="media", Key=key, Body=body)
        with ledger.lock:
            ledger.objects[key] = hashlib.md5(body).hexdigest()
        if n % 11 == 0:  # an upload left in progress, its parts across compactions
            upload = s3.create_multipart_upload(Bucket="media", Key=f"{key}.part")["UploadId"]
            parts = []
            for number in (1, 2):
                etag = s3.upload_part(
                    Bucket="media",
                    Key=f"{key}.part",
                    UploadId=upload,
                    PartNumber=number,
                    Body=rng.randbytes(100),
                )["ETag"]
                parts.append((number, etag))
            with ledger.lock:
                ledger.uploads[upload] = parts


def _rows(emulator: Emulator, ledger: Ledger, w: int, stop: threading.Event) -> None:
    ddb = _client(emulator, "dynamodb")
    rng = random.Random(100 + w)
    while not stop.is_set():
        row = f"w{w}-{rng.randrange(60)}"
        action = rng.random()
        if action < 0.15:
            ddb.delete_item(TableName="rows", Key={"id": {"S": row}})
            value = None
        elif action < 0.6:
            value = rng.randrange(10**6)
            ddb.put_item(TableName="rows", Item={"id": {"S": row}, "n": {"N": str(value)}})
        else:
            got = ddb.update_item(
                TableName="rows",
                Key={"id": {"S": row}},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
            value = int(got["Attributes"]["n"]["N"])
        with ledger.lock:
            ledger.rows[row] = value


def _messages(emulator: Emulator, ledger: Ledger, stop: threading.Event) -> None:
    sqs = _client(emulator, "sqs")
    url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    n = 0
    while not stop.is_set():
        n += 1
        sent = sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")["MessageId"]
        with ledger.lock:
            ledger.sent.add(sent)
        if n % 3 == 0:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)
            for i, m in enumerate(got.get("Messages", [])):
                if i == 0:  # the other stays in flight: it comes back after the restart
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    with ledger.lock:
                        ledger.deleted.add(m["MessageId"])


def _guarded(target: Any, ledger: Ledger) -> Any:
    def run(*args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:
            ledger.errors.append(exc)

    return run


def test_live_compactions_under_concurrent_writers_lose_nothing_acknowledged(tmp_path) -> None:
    state = tmp_path / "state"
    emulator = Emulator(state_dir=state, compact_bytes=16 * 1024, log_path=tmp_path / "log").start()
    ledger = Ledger()
    files_seen = 0
    try:
        _client(emulator, "s3").create_bucket(Bucket="media")
        _client(emulator, "dynamodb").create_table(
            TableName="rows",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        _client(emulator, "sqs").create_queue(QueueName="work")
        start_gen = _generation(state)
        stop = threading.Event()
        threads = [
            threading.Thread(target=_guarded(_objects, ledger), args=(emulator, ledger, w, stop))
            for w in range(3)
        ]
        threads += [
            threading.Thread(target=_guarded(_rows, ledger), args=(emulator, ledger, w, stop))
            for w in range(2)
        ]
        threads.append(
            threading.Thread(target=_guarded(_messages, ledger), args=(emulator, ledger, stop))
        )
        for t in threads:
            t.start()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            files_seen = max(files_seen, len(list(state.glob("*.jsonl"))))
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert not ledger.errors, ledger.errors[:3]
        compactions = _generation(state) - start_gen
    finally:
        _killed(emulator)
    assert compactions >= 3, f"only {compactions} live compactions"
    assert files_seen <= 4, "old snapshots and journals are dropped as compactions go"
    with Emulator(state_dir=state, compact_bytes=0) as again:
        s3, ddb, sqs = (_client(again, s) for s in ("s3", "dynamodb", "sqs"))
        stored = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="media"):
            for o in page.get("Contents", []):
                body = s3.get_object(Bucket="media", Key=o["Key"])["Body"].read()
                stored[o["Key"]] = hashlib.md5(body).hexdigest()
        expected = {k: v for k, v in ledger.objects.items() if v is not None}
        assert stored == expected
        rows = {
            i["id"]["S"]: int(i["n"]["N"])
            for i in ddb.get_paginator("scan")
            .paginate(TableName="rows")
            .build_full_result()["Items"]
        }
        assert rows == {k: v for k, v in ledger.rows.items() if v is not None}
        listed = s3.list_multipart_uploads(Bucket="media").get("Uploads", [])
        assert {u["UploadId"] for u in listed} == set(ledger.uploads)
        for upload, parts in list(ledger.uploads.items())[:5]:
            key = next(u["Key"] for u in listed if u["UploadId"] == upload)
            found = s3.list_parts(Bucket="media", Key=key, UploadId=upload)["Parts"]
            assert [(p["PartNumber"], p["ETag"]) for p in found] == parts
        url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
        present: set[str] = set()
        while got := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", []):
            present |= {m["MessageId"] for m in got}
        assert present == ledger.sent - ledger.deleted
    print(f"{compactions} live compactions; {len(ledger.objects)} keys, {len(ledger.rows)} rows")


def test_a_receive_cut_short_by_a_kill_does_not_count_after_a_live_compaction(tmp_path) -> None:
    """A message in flight when a live compaction snapshots it, then a kill: its consumer died
    with the stack, so that receive must not count towards the dead-letter queue (else a
    backlog's head reaches it after a few crashes, its job never done)."""
    state = tmp_path / "state"
    emulator = Emulator(state_dir=state, compact_bytes=4096).start()
    try:
        sqs, ddb = _client(emulator, "sqs"), _client(emulator, "dynamodb")
        dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
        work = sqs.create_queue(
            QueueName="work",
            Attributes={
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": arn["QueueArn"], "maxReceiveCount": 2}
                )
            },
        )["QueueUrl"]
        sqs.send_message(QueueUrl=work, MessageBody="the job")
        got = sqs.receive_message(QueueUrl=work, VisibilityTimeout=600)["Messages"]
        assert got[0]["Body"] == "the job"
        ddb.create_table(
            TableName="rows",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        before = _generation(state)
        n = 0
        while _generation(state) < before + 2:  # the in-flight receive is now in a snapshot
            n += 1
            ddb.put_item(TableName="rows", Item={"id": {"S": f"r{n}"}, "pad": {"S": "x" * 500}})
            assert n < 2000, "no live compaction"
    finally:
        _killed(emulator)
    for crash in range(3):  # crash after crash: the job is received again, never dead-lettered
        emulator = Emulator(state_dir=state, compact_bytes=4096).start()
        try:
            sqs = _client(emulator, "sqs")
            work = sqs.get_queue_url(QueueName="work")["QueueUrl"]
            got = sqs.receive_message(
                QueueUrl=work, VisibilityTimeout=600, AttributeNames=["ApproximateReceiveCount"]
            ).get("Messages", [])
            assert [m["Body"] for m in got] == ["the job"], f"after crash {crash + 1}"
            assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
            ddb = _client(emulator, "dynamodb")
            before = _generation(state)
            n = 0
            while _generation(state) < before + 2:
                n += 1
                ddb.put_item(TableName="rows", Item={"id": {"S": f"c{n}"}, "pad": {"S": "y" * 500}})
        finally:
            _killed(emulator)

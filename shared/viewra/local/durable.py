"""The embedded emulator's durability: what it answered with success survives a ``kill -9``.

moto keeps everything in memory. In the emulator process this module adds, under
``<state>/emulator/``:

* **Object bytes in files, once.** A ``PutObject`` or ``UploadPart`` body is streamed from the
  socket into ``blobs/<id>`` (1 MiB at a time, its MD5 and CRC32 computed on the way, Content-MD5
  checked) and fsynced before moto sees the request, with an empty body; the ``FakeKey`` moto then
  builds adopts the file as its value (``_value_buffer``). A ``GetObject`` answers with a view of
  the file that is read as it is sent, ranges included. Completing a multipart upload joins the
  part files into one. Nothing holds an object whole in memory, and nothing copies it again.
* **A write-ahead journal** (:mod:`viewra.local.journal`) of every other change, appended while
  the change is applied (DynamoDB's write lock, moto's own order) and fsynced, by group commit,
  before the answer leaves: DynamoDB items as their image after the write; SQS messages as sent,
  deleted, purged or moved to a DLQ (receive counts ride along, unforced); each object's key,
  blob, ETag and metadata; and the requests that create or configure buckets, queues, topics and
  tables, kept as they came.
* **Start**: the last snapshot and the journals after it are replayed into moto, then compacted
  into a new snapshot (same record format, from the state itself) and a fresh journal; blob files
  nothing names (uploads never acknowledged, replaced objects) are deleted.
* **While serving**: past ``compact_bytes`` of journal, :meth:`Durable.compact_live` switches to
  the next journal and streams a new snapshot from the live state (no blob is deleted then).

A message that was received but not deleted is visible again after a restart: the consumers that
held it died with the stack (at-least-once). Visibility changes therefore have nothing to keep, and
a receive still in flight at the restart does not count towards the DLQ's maxReceiveCount.
Multipart uploads still in progress do not survive a restart (their completion was never
acknowledged; clients start them again). Imports moto and the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import io
import json
import os
import pickle
import shutil
import threading
import time
import traceback
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from viewra.local.journal import Journal, encode, fsync_dir, read_records

CHUNK = 1 << 20
# An object this small travels inside its journal record as well, so its answer waits for one
# fsync (the journal's, shared) instead of three (its file, the blobs folder, the journal); its
# file is fsynced at the next compaction, which drops the copy. Anything larger is stored once.
INLINE_MAX = 64 * 1024
BLOB_POOL = 64
# a journal this long is compacted into a new snapshot while the emulator serves
# (``--compact-bytes``, VIEWRA_EMULATOR_COMPACT_BYTES for ``make run``)
COMPACT_BYTES = 64 << 20
REGION = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"


class _Request(threading.local):
    """What one request thread did that its answer must wait for."""

    def __init__(self) -> None:
        self.need: dict[Journal, int] = {}  # journal → the last record this request appended
        self.touched: set[tuple[str, str]] = set()  # (bucket, key) whose object changed
        self.garbage: list[str] = []  # blob files to delete once the request's records are durable
        self.pending: tuple[str, int, str] | None = None  # a streamed body: (blob, size, md5)
        self.inline: dict[str, bytes] = {}  # blob → its bytes, for a small object's record
        self.lazy = False  # a GetObject in progress: FakeKey.value answers with a file view
        self.copying: Any = None  # a CopyObject's source key, whose value moto must not read
        self.after: list[dict[str, Any]] = []  # records that go after the objects' (an upload
        # completed: its end follows the object it made)


_REQ = _Request()
_S3_LOCK = threading.Lock()


# -- the request body, streamed to a file ---------------------------------------------------------
class BadDigest(Exception):
    pass


def _aws_chunks(stream: Any) -> Iterator[bytes | dict[str, str]]:
    """Decode ``aws-chunked`` (``<hex size>[;sig]CRLF<data>CRLF`` … ``0CRLF<trailers>CRLF``):
    the data, then one dict of trailing headers."""
    while True:
        line = stream.readline(4096)
        if not line:
            raise BadDigest("aws-chunked body ends early")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            trailers: dict[str, str] = {}
            while (t := stream.readline(4096).strip()) and b":" in t:
                name, _, value = t.partition(b":")
                trailers[name.decode().strip().lower()] = value.decode().strip()
            yield trailers
            return
        while size:
            block = stream.read(min(size, CHUNK))
            if not block:
                raise BadDigest("aws-chunked body ends early")
            size -= len(block)
            yield block
        stream.readline(8)  # the CRLF after the data


def _plain_body(stream: Any, length: int | None) -> Iterator[bytes]:
    while length is None or length > 0:
        block = stream.read(CHUNK if length is None else min(length, CHUNK))
        if not block:
            return
        if length is not None:
            length -= len(block)
        yield block


def is_object_upload(environ: dict[str, Any]) -> bool:
    """A PutObject or UploadPart: a body that is an object's bytes."""
    if environ.get("REQUEST_METHOD") != "PUT" or "HTTP_X_AMZ_TARGET" in environ:
        return False
    if "HTTP_X_AMZ_COPY_SOURCE" in environ:
        return False
    parts = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)
    if len(parts) < 2 or not parts[1]:
        return False
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return not {q for q in query if not q.startswith(("X-Amz-", "x-amz-"))} - {
        "partNumber",
        "uploadId",
    }


def stream_body(environ: dict[str, Any], state: Durable) -> None:
    """Write the request's body to a new blob (fsynced) and hand moto an empty body."""
    stream = environ["wsgi.input"]
    sha_mode = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")
    chunked = sha_mode.startswith("STREAMING-") or "aws-chunked" in environ.get(
        "HTTP_CONTENT_ENCODING", ""
    )
    length = environ.get("CONTENT_LENGTH")
    source = (
        _aws_chunks(stream) if chunked else _plain_body(stream, int(length) if length else None)
    )
    md5, crc, size = hashlib.md5(), 0, 0
    path = state.new_blob()
    trailers: dict[str, str] = {}
    small: list[bytes] | None = []
    with open(path, "wb") as fh:
        for block in source:
            if isinstance(block, dict):
                trailers = block
                continue
            fh.write(block)
            md5.update(block)
            crc = zlib.crc32(block, crc)
            size += len(block)
            if small is not None and size <= INLINE_MAX:
                small.append(block)
            else:
                small = None
        fh.flush()
        if small is None and state.fsync:
            os.fsync(fh.fileno())
    if small is None:
        state.blob_created()
    else:
        _REQ.inline[str(path)] = b"".join(small)
        state.blob_unsynced(path)
    _REQ.pending = (str(path), size, md5.hexdigest())
    expected_md5 = environ.pop("HTTP_CONTENT_MD5", None)
    if expected_md5 and base64.b64decode(expected_md5) != md5.digest():
        raise BadDigest("The Content-MD5 you specified did not match what we received.")
    for name, value in trailers.items():
        if name.startswith("x-amz-checksum-"):
            environ["HTTP_" + name.upper().replace("-", "_")] = value
            environ.setdefault(
                "HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM", name.removeprefix("x-amz-checksum-").upper()
            )
    given_crc = environ.get("HTTP_X_AMZ_CHECKSUM_CRC32")
    if given_crc and base64.b64decode(given_crc) != crc.to_bytes(4, "big"):
        raise BadDigest("The CRC32 you specified did not match the calculated checksum.")
    if environ.get("HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM", "").upper() == "CRC32" and not given_crc:
        environ["HTTP_X_AMZ_CHECKSUM_CRC32"] = base64.b64encode(crc.to_bytes(4, "big")).decode()
    for name in ("HTTP_X_AMZ_DECODED_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"):
        environ.pop(name, None)
    if chunked:
        environ["HTTP_X_AMZ_CONTENT_SHA256"] = "UNSIGNED-PAYLOAD"
        encoding = [
            e
            for e in environ.get("HTTP_CONTENT_ENCODING", "").split(",")
            if e.strip() != "aws-chunked"
        ]
        environ["HTTP_CONTENT_ENCODING"] = ",".join(encoding)
        if not environ["HTTP_CONTENT_ENCODING"]:
            del environ["HTTP_CONTENT_ENCODING"]
    environ["CONTENT_LENGTH"] = "0"
    environ["wsgi.input"] = io.BytesIO(b"")


class FileBody:
    """A GetObject's body: a range of a blob, read as it is sent (``len`` and slices as bytes)."""

    def __init__(self, fh: Any, start: int, stop: int) -> None:
        self._fh, self._start, self._stop = fh, start, max(start, stop)

    def __len__(self) -> int:
        return self._stop - self._start

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, index: slice) -> FileBody:
        start, stop, _ = index.indices(len(self))
        return FileBody(self._fh, self._start + start, self._start + stop)

    def __iter__(self) -> Iterator[bytes]:
        pos, fd = self._start, self._fh.fileno()
        while pos < self._stop:
            block = os.pread(fd, min(CHUNK, self._stop - pos), pos)
            if not block:
                return
            pos += len(block)
            yield block


# -- the state: snapshot + journal ------------------------------------------------------------
class Durable:
    """The emulator's state directory: blobs, the snapshot and the journal after it."""

    def __init__(self, root: Path, fsync: bool = True, compact_bytes: int = COMPACT_BYTES) -> None:
        self.root = root
        self.fsync = fsync
        self.compact_bytes = compact_bytes  # a journal this long is compacted while serving
        self.blobs = root / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.journal: Journal | None = None
        self.gen = 0  # the journal appended to is journal.<gen>.jsonl
        self.controls: list[dict[str, Any]] = []  # create/configure requests, in order
        # blob names of small objects whose bytes were not fsynced: their journal records carry
        # them, so a compaction fsyncs these files before it deletes that journal
        self.unsynced: set[str] = set()
        self._pool: list[Path] = []
        self._pool_lock = threading.Lock()
        # held by every append and by the switch to the next journal: a record goes to exactly
        # one journal, and to the one its request then waits on
        self._switch = threading.Lock()
        self._compacting = threading.Lock()  # one live compaction at a time
        self.compactions = 0  # live ones, for tests and the log
        self._retry_at = 0.0  # after a live compaction failed: not again before this
        self.replaying = False

    # blobs
    def new_blob(self) -> Path:
        """A file for an object's bytes, from a pool of empty ones whose names are already on
        disk: an upload then waits for its file's fsync alone, not also for the folder's."""
        with self._pool_lock:
            if not self._pool:
                self._pool = [self.blobs / uuid.uuid4().hex for _ in range(BLOB_POOL)]
                for path in self._pool:
                    path.touch()
                if self.fsync:
                    fsync_dir(self.blobs)
            return self._pool.pop()

    def blob_created(self) -> None:
        """Nothing to do: a pool file's name was made durable with the pool (``new_blob``)."""

    def blob_unsynced(self, path: Path | str) -> None:
        """A small object's file, not fsynced: its bytes ride in the record about to be
        appended, so the journal that holds that record must outlive it (see ``unsynced``)."""
        with self._switch:
            self.unsynced.add(Path(path).name)

    def write_blob(self, data: bytes) -> tuple[str, str]:
        path = self.new_blob()
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
            if self.fsync and not self.replaying and len(data) > INLINE_MAX:
                os.fsync(fh.fileno())
        if len(data) > INLINE_MAX:
            self.blob_created()
        else:
            _REQ.inline[str(path)] = bytes(data)
            if not self.replaying:
                self.blob_unsynced(path)
        return str(path), hashlib.md5(data).hexdigest()

    # journal
    def append(self, record: dict[str, Any], durable: bool = True) -> None:
        if self.replaying or self.journal is None or not self.fsync:
            return
        with self._switch:  # the journal it goes to is the one its commit waits on
            journal = self.journal
            seq = journal.append(record)
        if durable:
            _REQ.need[journal] = max(_REQ.need.get(journal, 0), seq)

    def commit(self) -> None:
        """Wait until this request's records are durable (in every journal it appended to: a
        live compaction may have switched journals between two of them)."""
        for journal, seq in _REQ.need.items():
            journal.commit(seq)
        _REQ.need = {}
        self.maybe_compact()

    def maybe_compact(self) -> None:
        """Start a live compaction in the background once the journal passes ``compact_bytes``."""
        journal = self.journal
        if (
            journal is None
            or not self.fsync
            or self.compact_bytes <= 0
            or journal.size < self.compact_bytes
            or self._compacting.locked()
            or time.monotonic() < self._retry_at
        ):
            return
        threading.Thread(target=self.compact_live, name="viewra-compact", daemon=True).start()

    def _generations(self, kind: str) -> list[int]:
        return sorted(int(p.name.split(".")[1]) for p in self.root.glob(f"{kind}.*.jsonl"))

    def start(self, app: Any) -> dict[str, int]:
        """Replay the last snapshot and every journal after it, compact them into a new
        generation. A live compaction killed before its snapshot was in place left journal
        ``gen + 1`` beside snapshot ``gen``: both journals are replayed, in order."""
        for torn in self.root.glob("snapshot.*.tmp"):  # a compaction killed midway
            torn.unlink()
        gen = max(self._generations("snapshot"), default=0)
        journals = [g for g in self._generations("journal") if g >= gen]
        counts = {"records": 0}
        self.replaying = True
        try:
            for name in [f"snapshot.{gen}.jsonl"] + [f"journal.{g}.jsonl" for g in journals]:
                for record in read_records(self.root / name):
                    apply_record(app, self, record)
                    counts["records"] += 1
        finally:
            self.replaying = False
        counts.update(self.compact(max([gen, *journals]) + 1))
        return counts

    def _write_snapshot(self, gen: int, unsynced: set[str]) -> tuple[int, set[str]]:
        """Stream the state into snapshot ``gen`` (record by record, never whole in memory),
        fsync the small objects' files named in ``unsynced`` and put the snapshot in place.
        Returns how many records it holds and the blobs they name."""
        tmp = self.root / f"snapshot.{gen}.tmp"
        kept: set[str] = set()
        count = 0
        with open(tmp, "wb") as fh:
            for record in state_records(self):
                if record["t"] in ("s3.key", "s3.mpu.part"):
                    kept.add(record["blob"])
                fh.write(encode(record))
                count += 1
            if self.fsync:  # the small objects' files, whose journal copies go with the journal
                for name in unsynced:
                    try:
                        fd = os.open(self.blobs / name, os.O_RDONLY)
                    except FileNotFoundError:  # replaced and deleted since
                        continue
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                fsync_dir(self.blobs)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, self.root / f"snapshot.{gen}.jsonl")
        if self.fsync:
            fsync_dir(self.root)
        return count, kept

    def _drop_before(self, gen: int) -> None:
        """Delete the snapshots and journals older than generation ``gen``."""
        for old in self.root.glob("*.jsonl"):
            if int(old.name.split(".")[1]) < gen:
                old.unlink()

    def compact(self, gen: int) -> dict[str, int]:
        """At start (nothing else runs): write the whole state as snapshot ``gen``, start
        journal ``gen``, drop the older ones and every blob no object names."""
        unsynced, self.unsynced = self.unsynced, set()
        count, kept = self._write_snapshot(gen, unsynced)
        self.journal, self.gen = Journal(self.root / f"journal.{gen}.jsonl", fsync=self.fsync), gen
        self._drop_before(gen)
        removed = 0
        self._pool = []  # unused pool files are deleted with the other unnamed ones
        for blob in self.blobs.iterdir():
            if blob.name not in kept:
                blob.unlink()
                removed += 1
        return {"snapshot_records": count, "blobs_removed": removed}

    def compact_live(self) -> dict[str, int] | None:
        """Compact while requests keep coming: new appends go to journal ``gen + 1``, the old
        journal is made durable whole (its waiters answered) and closed, then snapshot
        ``gen + 1`` is written from the live state and the older files are dropped.

        The snapshot is fuzzy: it reads each structure under the lock its writers hold, but
        writes go on between those reads. Replay is still exact because a record is appended
        after its change and states the result (an item's image, an object's key, a message by
        id), so applying it again to a state that already has it changes nothing: a change
        journaled in ``gen`` happened before the switch and is in the snapshot; one journaled
        in ``gen + 1`` is replayed over it. No blob is deleted here: a blob written before the
        switch may be named only by a record not yet appended (an upload in flight, the pool);
        the unnamed ones of a crash are deleted at the next start."""
        if not self._compacting.acquire(blocking=False):
            return None
        try:
            if self.journal is None:
                return None
            gen = self.gen + 1
            journal = Journal(self.root / f"journal.{gen}.jsonl", fsync=self.fsync)
            if self.fsync:
                fsync_dir(self.root)  # its name is durable before any commit waits on it
            with self._switch:
                old, self.journal, self.gen = self.journal, journal, gen
                unsynced, self.unsynced = self.unsynced, set()
            old.seal()
            try:
                count, _ = self._write_snapshot(gen, unsynced)
            except Exception:
                # nothing is lost: the older snapshot and both journals are still there, and a
                # start replays them in order; keep the small files' names for the next attempt
                with self._switch:
                    self.unsynced |= unsynced
                self._retry_at = time.monotonic() + 60
                (self.root / f"snapshot.{gen}.tmp").unlink(missing_ok=True)
                traceback.print_exc()
                return None
            self._drop_before(gen)
            self.compactions += 1
            return {"snapshot_records": count, "journal_bytes": old.size}
        finally:
            self._compacting.release()


# -- records: what is appended, and how a record is applied again ------------------------------
def _pickled(obj: Any) -> str:
    return base64.b64encode(pickle.dumps(obj)).decode()


def _backend(service: str, region: str) -> Any:
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.utilities.utils import get_partition

    backends = get_backend(service)[DEFAULT_ACCOUNT_ID]  # type: ignore[index]
    return backends[get_partition(region) if service == "s3" else region]


def _s3_key_record(bucket: str, name: str, key: Any) -> dict[str, Any]:
    return {
        "t": "s3.key",
        "bucket": bucket,
        "key": name,
        "blob": Path(key._viewra_blob).name,
        "size": key.size,
        "etag": key.etag.strip('"'),
        "meta": dict(key.metadata),
        "lm": key.last_modified.isoformat(),
        "storage": key.storage_class,
        "cs": [key.checksum_algorithm, key.checksum_value, key.checksum_type, key.checksum_parts],
    }


SNAPSHOT_BATCH = 256  # entries read per hold of a writers' lock while a snapshot is written


def _batches(refs: list[Any]) -> Iterator[list[Any]]:
    for at in range(0, len(refs), SNAPSHOT_BATCH):
        yield refs[at : at + SNAPSHOT_BATCH]


def _pickled_message(message: Any) -> str:
    """A message pickled while a receive may be updating it: tried again if it changed midway."""
    for _ in range(100):
        try:
            return _pickled(message)
        except RuntimeError:  # its __dict__ changed size during the pickling
            time.sleep(0.001)
    return _pickled(message)


def state_records(state: Durable) -> Iterator[dict[str, Any]]:
    """The whole state as records: requests that build the resources, then their contents.

    A generator, written to the snapshot as it goes: the state is read a batch at a time, under
    the lock its writers hold (DynamoDB's and the key stores' ``_LOCK``, ``_S3_LOCK`` for the
    objects' records, each queue's own lock), so a live compaction holds writers back for one
    batch at most and never builds the snapshot in memory (only references to the entries)."""
    from viewra.local.moto_atomic import _LOCK

    yield from compact_controls(list(state.controls))
    ddb = _backend("dynamodb", REGION)
    for table in list(ddb.tables.values()):
        with _LOCK:
            items = list(table.all_items())
        for batch in _batches(items):
            with _LOCK:
                images = [item.to_json()["Attributes"] for item in batch]
            for image in images:
                yield {"t": "ddb.item", "table": table.name, "item": image}
        del items
    sqs = _backend("sqs", REGION)
    for queue in list(sqs.queues.values()):
        with queue._messages_lock:
            messages = list(queue._messages)
        for message in messages:
            yield {"t": "sqs.put", "q": queue.name, "m": _pickled_message(message)}
        del messages
    s3 = _backend("s3", REGION)
    for bucket in list(s3.buckets.values()):
        with _S3_LOCK, _LOCK:
            names = list(bucket.keys.keys())
        for batch in _batches(names):
            with _S3_LOCK, _LOCK:
                keys = [(name, bucket.keys.get(name)) for name in batch]
                records = [
                    _s3_key_record(bucket.name, name, key)
                    for name, key in keys
                    if key is not None and getattr(key, "_viewra_blob", None)
                ]
            yield from records
        del names
        for upload in list(bucket.multiparts.values()):  # uploads still in progress
            yield _upload_record(bucket.name, upload)
            for number, part in list(upload.parts.items()):
                if getattr(part, "_viewra_blob", None):
                    yield _part_record(bucket.name, upload.id, number, part)


def _control_identity(record: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
    """(what a later request of the same kind replaces, whether it deletes the resource)."""
    service, action, resource = record["service"], record["action"], record["resource"]
    deletes = action in {"DeleteTable", "DeleteQueue", "DeleteTopic", "DELETE /"}
    return (service, action, resource), deletes


def compact_controls(controls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests still needed: the last of each kind per resource, none of a deleted one."""
    kept: dict[tuple[str, ...], dict[str, Any]] = {}
    for record in controls:
        ident, deletes = _control_identity(record)
        if deletes:
            for other in [k for k in kept if k[0] == ident[0] and k[2] == ident[2]]:
                del kept[other]
            continue
        kept.pop(ident, None)
        kept[ident] = record
    return list(kept.values())


def apply_record(app: Any, state: Durable, record: dict[str, Any]) -> None:
    kind = record["t"]
    if kind == "ctl":
        _replay_request(app, record)
        state.controls.append(record)
    elif kind == "ddb.item":
        backend = _backend("dynamodb", REGION)
        if record["table"] not in backend.tables:
            return
        table = backend.tables[record["table"]]
        if record.get("item") is not None:
            table.put_item(record["item"])
        else:
            hash_value, range_value = backend.get_keys_value(table, record["key"])
            if table.get_item(hash_value, range_value) is not None:
                table.delete_item(hash_value, range_value)
    elif kind.startswith("sqs."):
        _apply_sqs(record)
    elif kind == "s3.key":
        _apply_s3_key(state, record)
    elif kind == "s3.del":
        bucket = _backend("s3", REGION).buckets.get(record["bucket"])
        if bucket is not None and record["key"] in bucket.keys:
            bucket.keys.pop(record["key"])
    elif kind.startswith("s3.mpu"):
        _apply_multipart(state, record)


def _blob_of(state: Durable, record: dict[str, Any]) -> Path | None:
    """A record's blob file, written back from the record when it carried a small one."""
    path = state.blobs / record["blob"]
    if "data" in record:  # a small object: its file may not have reached the disk
        data = base64.b64decode(record["data"])
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        state.unsynced.add(path.name)
    return path if path.exists() else None


def _apply_multipart(state: Durable, record: dict[str, Any]) -> None:
    """A multipart upload begun (``s3.mpu``), a part of it (``s3.mpu.part``), or its end."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import FakeMultipart
    from moto.utilities.utils import CaseInsensitiveDict

    bucket = _backend("s3", REGION).buckets.get(record["bucket"])
    if bucket is None:
        return
    kind = record["t"]
    if kind == "s3.mpu":
        if record["id"] in bucket.multiparts:  # already there, with its parts (idempotent)
            return
        upload = FakeMultipart(
            record["key"],
            CaseInsensitiveDict(record.get("meta") or {}),
            account_id=DEFAULT_ACCOUNT_ID,
            region_name=REGION,
            storage=record.get("storage"),
            tags=record.get("tags") or {},
            sse_encryption=record.get("sse"),
            kms_key_id=record.get("kms"),
        )
        upload.id = record["id"]
        bucket.multiparts[upload.id] = upload
        return
    upload = bucket.multiparts.get(record["id"])
    if upload is None:
        return
    if kind == "s3.mpu.end":
        del bucket.multiparts[record["id"]]
        return
    path = _blob_of(state, record)
    if path is None:
        return
    _REQ.pending = (str(path), record["size"], record["etag"])
    try:
        upload.set_part(record["n"], b"")
    finally:
        _REQ.pending = None


def _part_record(bucket: str, upload: str, number: int, part: Any) -> dict[str, Any]:
    return {
        "t": "s3.mpu.part",
        "bucket": bucket,
        "id": upload,
        "n": number,
        "blob": Path(part._viewra_blob).name,
        "size": part.contentsize,
        "etag": part.etag.strip('"'),
    }


def _upload_record(bucket: str, upload: Any) -> dict[str, Any]:
    return {
        "t": "s3.mpu",
        "bucket": bucket,
        "id": upload.id,
        "key": upload.key_name,
        "meta": dict(upload.metadata or {}),
        "storage": upload.storage,
        "tags": dict(upload.tags or {}),
        "sse": upload.sse_encryption,
        "kms": upload.kms_key_id,
    }


def _apply_sqs(record: dict[str, Any]) -> None:
    backend = _backend("sqs", REGION)
    queue = backend.queues.get(record["q"])
    kind = record["t"]
    if kind == "sqs.put":
        message = pickle.loads(base64.b64decode(record["m"]))
        if message.visible_at > time.time() * 1000 and message.approximate_receive_count > 0:
            # a live compaction's snapshot took it in flight: that receive did not end (its
            # consumer died with the stack), so it does not count, as for ``sqs.recv`` below
            message.approximate_receive_count -= 1
        message.visible_at = 0.0  # its consumer, if it had one, died with the stack
        for other in backend.queues.values():  # a move to the DLQ: one message, one queue
            other._messages = [m for m in other._messages if m.id != message.id]
        if queue is not None:
            queue._messages.append(message)
    elif queue is None:
        return
    elif kind == "sqs.del":
        queue._messages = [m for m in queue._messages if m.id != record["id"]]
    elif kind == "sqs.recv":
        # [count, visible again at (ms)]: a receive still in flight when the stack died did not
        # end (its consumer died too), so it does not count towards the DLQ: a backlog's head
        # would otherwise reach it after three crashes in a row, for no fault of its own
        now_ms = time.time() * 1000
        counts = record["c"]
        for m in queue._messages:
            if m.id in counts:
                count, visible_at = counts[m.id]
                m.approximate_receive_count = count - (1 if visible_at > now_ms else 0)
    elif kind == "sqs.purge":
        queue._messages = []


def _apply_s3_key(state: Durable, record: dict[str, Any]) -> None:
    import datetime

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import FakeKey

    bucket = _backend("s3", REGION).buckets.get(record["bucket"])
    if bucket is None:
        return
    path = _blob_of(state, record)
    if path is None:
        return
    _REQ.pending = (str(path), record["size"], record["etag"])
    try:
        key = FakeKey(
            name=record["key"],
            value=b"",
            account_id=DEFAULT_ACCOUNT_ID,
            region_name=REGION,
            storage=record.get("storage"),
            etag=record["etag"],
            bucket_name=bucket.name,
        )
    finally:
        _REQ.pending = None
    key.set_metadata(dict(record.get("meta") or {}))
    key.last_modified = datetime.datetime.fromisoformat(record["lm"])
    algorithm, value, ctype, parts = record.get("cs") or [None] * 4
    key.checksum_algorithm, key.checksum_value = algorithm, value
    key.checksum_type, key.checksum_parts = ctype, parts
    bucket.keys[record["key"]] = key


def _replay_request(app: Any, record: dict[str, Any]) -> None:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path=record["path"],
        method=record["method"],
        query_string=record["query"],
        headers=record["headers"],
        data=base64.b64decode(record["body"]),
    ).get_environ()
    result = app(environ, lambda *a, **k: None)
    for _ in result:
        pass
    if hasattr(result, "close"):
        result.close()


# -- control requests (create and configure) --------------------------------------------------
_DDB_CONTROL = {
    "CreateTable",
    "DeleteTable",
    "UpdateTable",
    "UpdateTimeToLive",
    "TagResource",
    "UntagResource",
}
_SQS_CONTROL = {"CreateQueue", "DeleteQueue", "SetQueueAttributes", "TagQueue", "UntagQueue"}
_HEADERS_KEPT = ("HTTP_HOST", "HTTP_AUTHORIZATION", "HTTP_X_AMZ_TARGET", "CONTENT_TYPE")


def control_of(environ: dict[str, Any], body: bytes) -> dict[str, Any] | None:
    """The record of a request that creates, configures or deletes a resource; else None."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    method = environ.get("REQUEST_METHOD", "")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = action = resource = ""
    if target:
        action = target.rsplit(".", 1)[-1]
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        if target.startswith("DynamoDB_") and action in _DDB_CONTROL:
            service, resource = "dynamodb", str(doc.get("TableName") or doc.get("ResourceArn"))
        elif target.startswith("AmazonSQS") and action in _SQS_CONTROL:
            service = "sqs"
            resource = str(doc.get("QueueName") or doc.get("QueueUrl", "").rsplit("/", 1)[-1])
        else:
            return None
    elif "/sns/" in auth and method == "POST":
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
        if not action or action.startswith(("Publish", "List", "Get", "Check")):
            return None
        service = "sns"
        resource = json.dumps({k: v for k, v in sorted(form.items()) if k != "Action"})
    elif method in ("PUT", "DELETE") and "HTTP_X_AMZ_TARGET" not in environ:
        parts = environ.get("PATH_INFO", "").strip("/").split("/", 1)
        if len(parts) != 1 or not parts[0] or "/sqs/" in auth or "/dynamodb/" in auth:
            return None  # an object, not a bucket
        query = sorted(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        service, resource = "s3", parts[0]
        action = f"{method} /{'?' + '&'.join(query) if query else ''}"
    else:
        return None
    return {
        "t": "ctl",
        "service": service,
        "action": action,
        "resource": resource,
        "method": method,
        "path": environ.get("PATH_INFO", "/"),
        "query": environ.get("QUERY_STRING", ""),
        "headers": {
            k.removeprefix("HTTP_").replace("_", "-").title(): environ[k]
            for k in _HEADERS_KEPT
            if k in environ
        },
        "body": base64.b64encode(body).decode(),
    }


# -- the WSGI layer --------------------------------------------------------------------------
class DurableApp:
    """moto's app with bodies streamed to blobs and answers held until their records are
    durable."""

    def __init__(self, app: Any, state: Durable) -> None:
        self.app, self.state = app, state

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        _REQ.need, _REQ.touched, _REQ.garbage, _REQ.pending = {}, set(), [], None
        _REQ.inline, _REQ.after = {}, []
        try:
            control = None
            if is_object_upload(environ):
                try:
                    stream_body(environ, self.state)
                except BadDigest as exc:
                    return _s3_error(start_response, "BadDigest", str(exc))
            elif environ.get("REQUEST_METHOD") in ("PUT", "DELETE", "POST"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                if length <= 1 << 20:  # a control request is small; keep its body to replay it
                    body = environ["wsgi.input"].read(length) if length else b""
                    environ["wsgi.input"] = io.BytesIO(body)
                    control = control_of(environ, body)
                    if control is not None and control["service"] == "s3":
                        environ["CONTENT_LENGTH"] = str(len(body))
            status: list[str] = []

            def capture(code: str, headers: Any, exc_info: Any = None) -> Any:
                status.append(code)
                return start_response(code, headers, exc_info)

            result = self.app(environ, capture)
            if control is not None and status and status[0].startswith("2"):
                # in the list first: a record journaled before a live compaction's switch is
                # then in the list that compaction's snapshot reads
                self.state.controls.append(control)
                self.state.append(control)
            self._record_objects()
            for record in _REQ.after:
                self.state.append(record)
            self.state.commit()
            for blob in _REQ.garbage:
                Path(blob).unlink(missing_ok=True)
            return result
        finally:
            if _REQ.pending is not None:  # streamed but never adopted (the request failed)
                Path(_REQ.pending[0]).unlink(missing_ok=True)
            _REQ.pending, _REQ.lazy = None, False

    def _record_objects(self) -> None:
        if not _REQ.touched:
            return
        s3 = _backend("s3", REGION)
        with _S3_LOCK:
            for bucket_name, name in sorted(_REQ.touched):
                bucket = s3.buckets.get(bucket_name)
                key = bucket.keys.get(name) if bucket is not None else None
                if key is not None and getattr(key, "_viewra_blob", None):
                    record = _s3_key_record(bucket_name, name, key)
                    if key._viewra_blob in _REQ.inline:
                        record["data"] = base64.b64encode(_REQ.inline[key._viewra_blob]).decode()
                    self.state.append(record)
                else:
                    self.state.append({"t": "s3.del", "bucket": bucket_name, "key": name})


def _s3_error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()
    start_response("400 Bad Request", [("Content-Type", "application/xml")])
    return [body]


# -- moto patches ----------------------------------------------------------------------------
def _wrap(cls: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = getattr(cls, name)
    if getattr(original, "_viewra_durable", False):
        return
    wrapped = make(original)
    wrapped._viewra_durable = True  # type: ignore[attr-defined]
    setattr(cls, name, wrapped)


def _patch_fake_key(state: Durable) -> None:
    from moto.s3.models import FakeKey, FakeMultipart, S3Backend
    from moto.s3.responses import S3Response

    value_property = FakeKey.value

    def set_value(self: Any, new_value: bytes) -> None:
        pending, _REQ.pending = _REQ.pending, None
        if pending is not None and not new_value:
            path, size, md5 = pending
        else:
            if isinstance(new_value, str):
                new_value = new_value.encode()
            path, md5 = state.write_blob(bytes(new_value))
            size = len(new_value)
        old = getattr(self, "_value_buffer", None)
        if old is not None:
            old.close()
        self._value_buffer = open(path, "rb")  # noqa: SIM115 - the key's value, open as long as it
        self._viewra_blob = path
        self.contentsize = size
        if self._etag is None:
            self._etag = md5

    def get_value(self: Any) -> Any:
        if _REQ.copying is self:  # its bytes were copied file to file (copy_object below)
            return b""
        if _REQ.lazy and getattr(self, "_viewra_blob", None):
            return FileBody(self._value_buffer, 0, self.contentsize)
        return value_property.fget(self)

    FakeKey.value = property(get_value, set_value)  # type: ignore[assignment,method-assign]

    def dispose_(original: Callable[..., Any]) -> Callable[..., Any]:
        def dispose(self: Any, garbage: bool = False) -> None:
            blob = getattr(self, "_viewra_blob", None)
            if blob and not garbage and not state.replaying and not self.disposed:
                _REQ.garbage.append(blob)  # deleted once the records replacing it are durable
            original(self, garbage)
            self.disposed = True

        return dispose

    _wrap(FakeKey, "dispose", dispose_)

    def complete_(original: Callable[..., Any]) -> Callable[..., Any]:
        def complete(self: Any, body: Any) -> Any:
            pairs = list(body)
            parts = [self.parts.get(pn) for pn, _ in pairs]
            if not pairs or not all(
                p is not None and getattr(p, "_viewra_blob", None) for p in parts
            ):
                return original(self, iter(pairs))
            from moto.s3.exceptions import EntityTooSmall, InvalidPart
            from moto.s3.models import S3_UPLOAD_PART_MIN_SIZE

            md5s = b""
            for i, ((_, etag), part) in enumerate(zip(pairs, parts, strict=True)):
                if part.etag.strip('"') != etag.strip('"'):
                    raise InvalidPart()
                if i < len(parts) - 1 and part.contentsize < S3_UPLOAD_PART_MIN_SIZE:
                    raise EntityTooSmall()
                md5s += bytes.fromhex(part.etag.strip('"'))
            path = state.new_blob()
            size = 0
            with open(path, "wb") as out:
                for part in parts:
                    with open(part._viewra_blob, "rb") as src:
                        shutil.copyfileobj(src, out, CHUNK)
                    size += part.contentsize
                out.flush()
                if state.fsync:
                    os.fsync(out.fileno())
            state.blob_created()
            etag = f"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"
            _REQ.pending = (str(path), size, etag)
            _REQ.garbage.extend(p._viewra_blob for p in self.parts.values())
            return b"", etag, None

        return complete

    _wrap(FakeMultipart, "complete", complete_)

    def touching(position: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            signature = inspect.signature(original)

            def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                bound = signature.bind(self, *args, **kwargs).arguments
                names = list(bound)
                bucket, key = bound[names[1]], bound[names[position]]
                result = original(self, *args, **kwargs)
                _REQ.touched.add((bucket, key))
                return result

            return wrapper

        return make

    def copy_(original: Callable[..., Any]) -> Callable[..., Any]:
        def copy_object(self: Any, src_key: Any, *args: Any, **kwargs: Any) -> Any:
            """The copy's bytes go file to file into a new blob (fsynced), never through memory;
            moto's copy then stores that blob as the new key's value. Small objects keep
            moto's path (their bytes travel in the journal record anyway)."""
            blob = getattr(src_key, "_viewra_blob", None)
            if blob is None or state.replaying or src_key.contentsize <= INLINE_MAX:
                return original(self, src_key, *args, **kwargs)
            path = state.new_blob()
            digest = hashlib.md5()
            with open(blob, "rb") as src, open(path, "wb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                if state.fsync:
                    os.fsync(out.fileno())
            state.blob_created()
            pending = (str(path), src_key.contentsize, digest.hexdigest())
            _REQ.pending, _REQ.copying = pending, src_key
            try:
                return original(self, src_key, *args, **kwargs)
            finally:
                _REQ.copying = None
                if _REQ.pending is pending:  # refused before the new key took it
                    _REQ.pending = None
                    _REQ.garbage.append(str(path))

        return copy_object

    _wrap(S3Backend, "copy_object", copy_)

    def begin_(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_multipart_upload(self: Any, bucket_name: str, *a: Any, **kw: Any) -> Any:
            upload = original(self, bucket_name, *a, **kw)
            state.append(_upload_record(bucket_name, upload))
            return upload

        return create_multipart_upload

    def end_(original: Callable[..., Any]) -> Callable[..., Any]:
        def end(self: Any, bucket_name: str, upload: str, *a: Any, **kw: Any) -> Any:
            result = original(self, bucket_name, upload, *a, **kw)
            bucket = self.get_bucket(bucket_name)
            if upload not in bucket.multiparts:  # completed or aborted: after the object
                _REQ.after.append({"t": "s3.mpu.end", "bucket": bucket_name, "id": upload})
            return result

        return end

    _wrap(S3Backend, "create_multipart_upload", begin_)
    _wrap(S3Backend, "upload_part", lambda original: _journaled_part(state, original))
    _wrap(S3Backend, "upload_part_copy", lambda original: _journaled_part(state, original))
    _wrap(S3Backend, "complete_multipart_upload", end_)
    _wrap(S3Backend, "abort_multipart_upload", end_)
    _wrap(S3Backend, "put_object", touching(2))
    _wrap(S3Backend, "delete_object", touching(2))

    def lazy_(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_object(self: Any) -> Any:
            _REQ.lazy = True
            try:
                return original(self)
            finally:
                _REQ.lazy = False

        return get_object

    _wrap(S3Response, "get_object", lazy_)


def _journaled_part(state: Durable, original: Callable[..., Any]) -> Callable[..., Any]:
    """``upload_part`` or ``upload_part_copy`` journaling the part it stored (its blob file, and
    its bytes when they are small enough to travel in the record)."""

    def journaled_part(
        self: Any, bucket_name: str, upload: str, number: int, *a: Any, **kw: Any
    ) -> Any:
        part = original(self, bucket_name, upload, number, *a, **kw)
        if getattr(part, "_viewra_blob", None):
            record = _part_record(bucket_name, upload, number, part)
            if part._viewra_blob in _REQ.inline:
                record["data"] = base64.b64encode(_REQ.inline[part._viewra_blob]).decode()
            state.append(record)
        return part

    return journaled_part


def _patch_dynamodb(state: Durable) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    from viewra.local.moto_atomic import _LOCK

    def image(backend: Any, table_name: str, key: dict[str, Any]) -> dict[str, Any]:
        table = backend.get_table(table_name)
        hash_value, range_value = backend.get_keys_value(table, key)
        item = table.get_item(hash_value, range_value)
        attrs = item.to_json()["Attributes"] if item is not None else None
        return {"t": "ddb.item", "table": table_name, "key": key, "item": attrs}

    def key_of(backend: Any, table_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
        table = backend.get_table(table_name)
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {n: attrs[n] for n in names if n in attrs}

    def affected(backend: Any, name: str, bound: dict[str, Any]) -> list[tuple[str, Any]]:
        if name == "put_item":
            return [
                (bound["table_name"], key_of(backend, bound["table_name"], bound["item_attrs"]))
            ]
        if name in ("update_item", "delete_item"):
            return [(bound["table_name"], bound["key"])]
        found = []
        for op in bound["transact_items"]:
            (kind, body), *_ = op.items()
            if kind == "Put":
                found.append((body["TableName"], key_of(backend, body["TableName"], body["Item"])))
            elif kind in ("Update", "Delete"):
                found.append((body["TableName"], body["Key"]))
        return found

    def journaled(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            signature = inspect.signature(original)

            def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                with _LOCK:
                    result = original(self, *args, **kwargs)
                    if not state.replaying:
                        bound = signature.bind(self, *args, **kwargs).arguments
                        for table_name, key in affected(self, name, bound):
                            state.append(image(self, table_name, key))
                    return result

            return wrapper

        return make

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        _wrap(DynamoDBBackend, name, journaled(name))


def _patch_sqs(state: Durable) -> None:
    from moto.sqs.models import Queue, SQSBackend

    from viewra.local.moto_sqs_atomic import message_for_handle, was_queued

    def add_(original: Callable[..., Any]) -> Callable[..., Any]:
        def add_message(self: Any, message: Any) -> None:
            original(self, message)
            if was_queued(self, message):
                state.append({"t": "sqs.put", "q": self.name, "m": _pickled(message)})

        return add_message

    _wrap(Queue, "add_message", add_)

    def delete_(original: Callable[..., Any]) -> Callable[..., Any]:
        def delete_message(self: Any, queue_name: str, receipt_handle: str) -> None:
            queue = self.get_queue(queue_name)
            known = message_for_handle(queue, receipt_handle)  # without a walk of the queue
            found = (
                [known.id]
                if known is not None
                else [m.id for m in queue._messages if m.had_receipt_handle(receipt_handle)]
            )
            original(self, queue_name, receipt_handle)
            for message_id in found:
                state.append({"t": "sqs.del", "q": queue_name, "id": message_id})

        return delete_message

    _wrap(SQSBackend, "delete_message", delete_)

    def receive_(original: Callable[..., Any]) -> Callable[..., Any]:
        def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            result = original(self, queue_name, *args, **kwargs)
            if result:  # moto's copies, made after the receive marked each message
                counts = {m.id: [m.approximate_receive_count, m.visible_at] for m in result}
                state.append({"t": "sqs.recv", "q": queue_name, "c": counts}, durable=False)
            return result

        return receive_message

    _wrap(SQSBackend, "receive_message", receive_)

    def purge_(original: Callable[..., Any]) -> Callable[..., Any]:
        def purge_queue(self: Any, queue_name: str) -> None:
            original(self, queue_name)
            state.append({"t": "sqs.purge", "q": queue_name})

        return purge_queue

    _wrap(SQSBackend, "purge_queue", purge_)


def install(
    app: Any, root: Path, fsync: bool = True, compact_bytes: int = COMPACT_BYTES
) -> tuple[DurableApp, dict[str, int]]:
    """Patch moto in this process, replay ``root`` into it; returns the app to serve."""
    state = Durable(root, fsync=fsync, compact_bytes=compact_bytes)
    _patch_fake_key(state)
    _patch_dynamodb(state)
    _patch_sqs(state)
    counts = state.start(app)
    return DurableApp(app, state), counts

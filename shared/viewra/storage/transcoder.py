"""Storage adapters of the transcoder (:mod:`viewra.transcoding`): the job table (PynamoDB,
built per Settings as :mod:`viewra.storage.tables` builds the others), the content bucket's
transcode outputs, the source object, and the SQS visibility heartbeat."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from pynamodb.constants import NONE
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.models import Model

from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.storage.tables import conditional_failed, jobs_model_for
from viewra.transcoding.models import MANIFEST, StoredObject, output_key


def ensure_jobs_table(settings: Settings) -> None:
    """Create the job table if missing (bootstrap does this once the lead wires it in)."""
    model = jobs_model_for(settings)
    if model.exists():
        return
    model.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
    for _ in range(600):  # PynamoDB's own wait sleeps 2 s a round; emulators are ready at once
        if model.describe_table().get("TableStatus") == "ACTIVE":
            return
        time.sleep(0.1)
    raise TimeoutError(f"table {model.Meta.table_name} did not become active")


def _actions(model: Any, fields: dict[str, Any]) -> list[Any]:
    """Update actions for ``fields``: None removes the attribute, anything else sets it."""
    return [
        getattr(model, k).remove() if v is None else getattr(model, k).set(v)
        for k, v in fields.items()
    ]


def _same_plan(model: Any, plan_id: str | None) -> Any:
    """The record runs the plan ``plan_id`` (None: any), so a chunk message left from an
    earlier run of the same hash (cancelled, then asked for again) does not count in this one."""
    return model.h.exists() if plan_id is None else model.plan_id == plan_id


class JobStore:
    """Job records: created once per hash with a conditional write, then moved through their
    lifecycle by conditional updates. Returns raw records; :mod:`viewra.transcoding.jobs` shapes
    them."""

    def __init__(self, settings: Settings) -> None:
        self._model = jobs_model_for(settings)

    @property
    def model(self) -> type[Model]:
        return self._model

    def get(self, h: str) -> Any | None:
        try:
            return self._model.get(h, consistent_read=True)
        except self._model.DoesNotExist:
            return None

    def cancel_requested(self, h: str) -> bool:
        """Whether a running job should stop: cancel asked, or the record is no longer running
        (or gone). Reads two attributes, eventually consistent: a running worker asks every
        second, and a cancel seen a read later is still a prompt one."""
        try:
            record = self._model.get(h, attributes_to_get=["status", "cancel"])
        except self._model.DoesNotExist:
            return True
        return record.status != "running" or bool(record.cancel)

    def create(self, h: str, fields: dict[str, Any]) -> bool:
        """Write the record unless one exists for ``h``; True if this call created it."""
        try:
            self._model(h, **fields).save(condition=self._model.h.does_not_exist())
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def _update(self, h: str, actions: list[Any], condition: Any = None) -> Any | None:
        record = self._model(h)
        try:
            record.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if conditional_failed(exc):
                return None
            raise
        return record

    def _update_blind(self, h: str, actions: list[Any], condition: Any) -> bool:
        """:meth:`_update` without the record back (``ReturnValues=NONE``): whether the condition
        held, sparing the read and parse of the whole job record."""
        m = self._model
        try:
            m._get_connection().update_item(
                m._hash_key_attribute().serialize(h),
                actions=actions,
                condition=condition,
                return_values=NONE,
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def set(self, h: str, fields: dict[str, Any], *, only_if_status: tuple[str, ...] = ()) -> Any:
        """Set ``fields`` (None removes); with ``only_if_status`` the record must be in one of
        those states. Returns the updated record, or None when the condition failed."""
        m = self._model
        actions = _actions(m, fields)
        condition = m.h.exists()
        if only_if_status:
            condition &= m.status.is_in(*only_if_status)
        return self._update(h, actions, condition)

    def touch(
        self,
        h: str,
        fields: dict[str, Any],
        *,
        only_if_status: tuple[str, ...],
        unless_cancelled: bool = False,
    ) -> bool:
        """:meth:`set` without the record back (``ReturnValues=NONE``): True when the record was
        in one of ``only_if_status`` (and, with ``unless_cancelled``, no cancel was asked). For a
        caller that needs only that answer (a playback start of a ready output, a running job's
        progress), it spares reading and parsing the whole job record."""
        m = self._model
        actions = _actions(m, fields)
        condition = m.h.exists() & m.status.is_in(*only_if_status)
        if unless_cancelled:  # (a comparison with a missing attribute is false in DynamoDB)
            condition &= (m.cancel != 1) | m.cancel.does_not_exist()
        return self._update_blind(h, actions, condition)

    def claim(self, h: str, fields: dict[str, Any], *, refuse: tuple[str, ...]) -> Any | None:
        """Start a run: set ``fields`` and count an attempt, unless the record is in one of the
        ``refuse`` states or a cancel was asked."""
        m = self._model
        actions = _actions(m, fields)
        actions.append(m.attempts.add(1))
        condition = m.h.exists() & ~m.status.is_in(*refuse) & (m.cancel != 1)
        return self._update(h, actions, condition)

    # -- fan-out: the plan and the sets chunk workers ADD to ------------------------------------

    def set_plan(self, h: str, plan: dict[str, Any], plan_id: str) -> bool:
        """Store the chunk plan of a running job, unless it has one (a redelivered planner
        message must not reset the chunks done so far); True when this call stored it."""
        m = self._model
        condition = m.status.is_in("running") & m.plan.does_not_exist() & (m.cancel != 1)
        actions = [m.plan.set(plan), m.plan_id.set(plan_id)]
        return self._update(h, actions, condition) is not None

    def start_chunk(self, h: str, chunk: int, plan_id: str | None = None) -> Any | None:
        """Mark ``chunk`` started (ADD to a set) while the job runs (under the plan
        ``plan_id``, when given) and it was not started; the record back (with its plan), or
        None when the condition refused it."""
        m = self._model
        condition = (
            m.status.is_in("running")
            & (m.cancel != 1)
            & _same_plan(m, plan_id)
            & ~m.chunks_started.contains(chunk)
            & ~m.chunks_done.contains(chunk)
        )
        return self._update(h, [m.chunks_started.add({chunk})], condition)

    def restart_chunk(self, h: str, chunk: int, plan_id: str | None = None) -> Any | None:
        """Run ``chunk`` again (a redelivery: its first run died), unless it is done or the job
        no longer runs (under that plan); the record back, or None."""
        m = self._model
        condition = (
            m.status.is_in("running")
            & (m.cancel != 1)
            & _same_plan(m, plan_id)
            & ~m.chunks_done.contains(chunk)
        )
        return self._update(h, [m.chunks_started.add({chunk})], condition)

    def segment_up(self, h: str, segment: int, fields: dict[str, Any] | None = None) -> bool:
        """Count a segment as up (ADD to a set: a repeat counts once); False when the job no
        longer runs or was cancelled."""
        m = self._model
        actions = [m.segments.add({segment}), *_actions(m, fields or {})]
        condition = m.status.is_in("running") & (m.cancel != 1)
        return self._update_blind(h, actions, condition)

    def chunk_done(self, h: str, chunk: int) -> set[int] | None:
        """Count ``chunk`` done (ADD to a set: a redelivered chunk counts once); the set of done
        chunks after it, or None when the job no longer runs."""
        m = self._model
        condition = m.status.is_in("running") & (m.cancel != 1)
        record = self._update(h, [m.chunks_done.add({chunk})], condition)
        return None if record is None else {int(c) for c in record.chunks_done or ()}

    def bump_chunk(self, h: str, chunk: int) -> bool:
        """Note that ``chunk`` was moved ahead, once: True for the first caller only (who sends
        the priority message), False when it was already, or is started or done."""
        m = self._model
        condition = (
            m.status.is_in("running")
            & (m.cancel != 1)
            & ~m.chunks_bumped.contains(chunk)
            & ~m.chunks_started.contains(chunk)
            & ~m.chunks_done.contains(chunk)
        )
        return self._update(h, [m.chunks_bumped.add({chunk})], condition) is not None

    def delete(self, h: str, *, unless_status: tuple[str, ...] = ()) -> bool:
        """Delete the record (absent is fine) unless it is in one of ``unless_status``; False
        when that condition refused it."""
        m = self._model
        condition = ~m.status.is_in(*unless_status) if unless_status else None
        try:
            m(h).delete(condition=condition)
        except DeleteError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def scan_all(self) -> Iterator[Any]:
        """Every record (cache eviction reads access times; not on any request path)."""
        yield from self._model.scan()


class ContentStore:
    """Transcode outputs in the content bucket, under ``content/{h[0:2]}/{h[2:4]}/{h}/``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bucket = settings.content_bucket
        self._s3 = client(settings, "s3")
        self._transfer = TransferConfig(multipart_threshold=64 * 1024 * 1024, use_threads=False)

    def key(self, h: str, name: str) -> str:
        return output_key(h, name)

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def get_bytes(self, key: str) -> bytes | None:
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        try:
            return body.read()
        finally:
            body.close()

    def manifest(self, h: str) -> dict[str, Any] | None:
        data = self.get_bytes(self.key(h, MANIFEST))
        return None if data is None else json.loads(data)

    def has_manifest(self, h: str) -> bool:
        return self.exists(self.key(h, MANIFEST))

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Upload a file: one PutObject below the multipart threshold (segments: the transfer
        manager's futures and callbacks cost more CPU than the request itself), else multipart."""
        size = path.stat().st_size
        if size < self._transfer.multipart_threshold:
            with path.open("rb") as body:
                self._s3.put_object(
                    Bucket=self.bucket, Key=key, Body=body, ContentType=content_type
                )
            return
        self._s3.upload_file(
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer,
        )

    def put_if_absent(self, key: str, data: bytes, content_type: str) -> bool:
        """Create ``key`` only if absent (``If-None-Match: *``); False if it already existed.

        Stores that reject the header (older MinIO, some emulators) fall back to head-then-put,
        which has a window between the two calls: two writers can both write, and the later
        one's bytes stay (the same document either way for a manifest of the same hash).
        """
        try:
            self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, IfNoneMatch="*"
            )
            return True
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
                return False
            if code not in {"NotImplemented", "InvalidArgument", "501"}:
                raise
        if self.exists(key):
            return False
        self.put_bytes(key, data, content_type)
        return True

    def presign(self, key: str, expires: int | None = None) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires or self.settings.presign_expiry_seconds,
        )

    def list_prefix(self, prefix: str) -> Iterator[StoredObject]:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                yield StoredObject(
                    key=o["Key"], size=int(o["Size"]), last_modified=o["LastModified"].isoformat()
                )

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many."""
        keys = [o.key for o in self.list_prefix(prefix)]
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self._s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
            )
        return len(keys)


class SourceStore:
    """Reading the source object: head, presigned GET, bounded download."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._s3 = client(settings, "s3")

    def head(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            r = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return {
            "etag": r["ETag"].strip('"'),
            "size": int(r["ContentLength"]),
            "version_id": r.get("VersionId"),
        }

    def presign(self, bucket: str, key: str, expires: int | None = None) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=expires or self.settings.presign_expiry_seconds,
        )

    def download(self, bucket: str, key: str, etag: str, path: Path) -> None:
        """Download the object pinned to ``etag`` (a replaced object fails the job)."""
        r = self._s3.get_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"')
        body = r["Body"]
        try:
            with path.open("wb") as out:
                for chunk in iter(lambda: body.read(1024 * 1024), b""):
                    out.write(chunk)
        finally:
            body.close()


class VisibilityHeartbeat:
    """Keeps one SQS message invisible while its job runs (``ChangeMessageVisibility``)."""

    def __init__(self, settings: Settings, queue_url: str, receipt_handle: str, seconds: int):
        self._sqs = client(settings, "sqs")
        self.queue_url, self.receipt_handle, self.seconds = queue_url, receipt_handle, seconds

    def __call__(self) -> None:
        self._sqs.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=self.receipt_handle,
            VisibilityTimeout=self.seconds,
        )

    @staticmethod
    @functools.lru_cache(maxsize=32)
    def queue_url_from_arn(settings: Settings, arn: str) -> str:
        """The queue's URL, asked once per process and queue (a round trip per job before)."""
        name = arn.rsplit(":", 1)[-1]
        return client(settings, "sqs").get_queue_url(QueueName=name)["QueueUrl"]

"""S3 (or any S3-compatible store) as Viewra uses it: heads, bounded range reads, listings,
content-addressed writes and presigned URLs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from viewra.common.errors import ObjectChanged
from viewra.common.settings import Settings
from viewra.media.models.items import ObjectHead
from viewra.storage.clients import client

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_CHANGED = {"412", "PreconditionFailed", *_MISSING}


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


class S3RangeSource:
    """A :class:`viewra.media.probe.RangeSource` over one object: every read is a bounded range GET.

    ``IfMatch`` pins the reads to the ETag that was headed (or that the S3 event named), so an
    object replaced mid-probe raises :class:`ObjectChanged` instead of mixing two files' bytes.
    """

    def __init__(self, s3: Any, bucket: str, key: str, size: int, etag: str | None = None) -> None:
        self._s3, self.bucket, self.key, self.size, self._etag = s3, bucket, key, size, etag
        self.requests = 0
        self.bytes_read = 0

    def read_range(self, start: int, length: int) -> bytes:
        if length <= 0 or start >= self.size:
            return b""
        end = min(start + length, self.size) - 1
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.key,
            "Range": f"bytes={start}-{end}",
        }
        if self._etag:
            params["IfMatch"] = self._etag
        try:
            body = self._s3.get_object(**params)["Body"]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _CHANGED:
                raise ObjectChanged(f"{self.key}: {exc}") from exc
            raise
        try:
            data = body.read()
        finally:
            body.close()
        self.requests += 1
        self.bytes_read += len(data)
        return data


class ObjectStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._s3 = client(settings, "s3")

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        try:
            r = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return ObjectHead(
            key=key,
            etag=r["ETag"].strip('"'),
            size=int(r["ContentLength"]),
            version_id=r.get("VersionId"),
        )

    def range_source(self, bucket: str, head: ObjectHead) -> S3RangeSource:
        return S3RangeSource(self._s3, bucket, head.key, head.size, f'"{head.etag}"')

    def list_page(
        self, bucket: str, prefix: str, token: str | None, page_size: int = 1000
    ) -> tuple[list[ObjectHead], str | None]:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
        if token:
            params["ContinuationToken"] = token
        r = self._s3.list_objects_v2(**params)
        heads = [
            ObjectHead(key=o["Key"], etag=o["ETag"].strip('"'), size=int(o["Size"]))
            for o in r.get("Contents", [])
        ]
        return heads, r.get("NextContinuationToken") if r.get("IsTruncated") else None

    def list_folder(self, bucket: str, folder: str) -> list[str]:
        """Keys directly in ``folder`` (not below it), for finding a video's sidecars."""
        keys: list[str] = []
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": folder, "Delimiter": "/"}
        while True:
            r = self._s3.list_objects_v2(**params)
            keys += [o["Key"] for o in r.get("Contents", [])]
            if not r.get("IsTruncated") or len(keys) >= 5000:
                return keys
            params["ContinuationToken"] = r["NextContinuationToken"]

    def read_head(self, bucket: str, key: str, max_bytes: int) -> bytes:
        """At most ``max_bytes`` from the start of an object: one bounded range GET."""
        body = self._s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{max_bytes - 1}")["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def exists(self, bucket: str, key: str) -> bool:
        return self.head(bucket, key) is not None

    def put_content(self, key: str, data: bytes, content_type: str) -> None:
        """Write a content-addressed object; the same bytes always land on the same key."""
        if self.exists(self.settings.content_bucket, key):
            return
        self._s3.put_object(
            Bucket=self.settings.content_bucket, Key=key, Body=data, ContentType=content_type
        )

    def presign_get(self, bucket: str, key: str, expires: int | None = None) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=expires or self.settings.presign_expiry_seconds,
        )

    def check_bucket(self, bucket: str) -> None:
        self._s3.head_bucket(Bucket=bucket)

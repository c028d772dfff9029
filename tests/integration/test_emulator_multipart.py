"""The durable emulator keeps a multipart upload in progress across a kill -9: its parts come
back after the restart (and after the compaction the next start makes), the upload completes
with them, and an aborted or completed upload does not come back."""

from __future__ import annotations

import hashlib
import os

import boto3
import pytest
from botocore.config import Config

from viewra.local.emulator import Emulator

pytestmark = pytest.mark.integration

PART = 5 * 1024 * 1024  # S3's smallest part but the last


def _s3(emulator: Emulator):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
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


def test_an_upload_in_progress_survives_kills_and_completes(tmp_path) -> None:
    state = tmp_path / "state"
    parts = [os.urandom(PART), os.urandom(PART), b"the small last part"]
    emulator = Emulator(state_dir=state).start()
    try:
        s3 = _s3(emulator)
        s3.create_bucket(Bucket="uploads")
        upload = s3.create_multipart_upload(
            Bucket="uploads", Key="movies/big file.mkv", Metadata={"owner": "me"}
        )["UploadId"]
        etags = []
        for n, body in enumerate(parts[:2], 1):
            r = s3.upload_part(
                Bucket="uploads",
                Key="movies/big file.mkv",
                UploadId=upload,
                PartNumber=n,
                Body=body,
            )
            etags.append(r["ETag"])
        gone = s3.create_multipart_upload(Bucket="uploads", Key="aborted.mkv")["UploadId"]
        s3.upload_part(
            Bucket="uploads", Key="aborted.mkv", UploadId=gone, PartNumber=1, Body=b"x" * 100
        )
        s3.abort_multipart_upload(Bucket="uploads", Key="aborted.mkv", UploadId=gone)
    finally:
        _killed(emulator)
    for _ in range(2):  # the first restart replays the journal, the second its compaction
        emulator = Emulator(state_dir=state).start()
        try:
            s3 = _s3(emulator)
            listed = s3.list_multipart_uploads(Bucket="uploads").get("Uploads", [])
            assert [(u["Key"], u["UploadId"]) for u in listed] == [("movies/big file.mkv", upload)]
            found = s3.list_parts(Bucket="uploads", Key="movies/big file.mkv", UploadId=upload)
            assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in found["Parts"]] == [
                (1, etags[0], PART),
                (2, etags[1], PART),
            ]
        finally:
            _killed(emulator)
    with Emulator(state_dir=state) as again:
        s3 = _s3(again)
        r = s3.upload_part(
            Bucket="uploads",
            Key="movies/big file.mkv",
            UploadId=upload,
            PartNumber=3,
            Body=parts[2],
        )
        etags.append(r["ETag"])
        s3.complete_multipart_upload(
            Bucket="uploads",
            Key="movies/big file.mkv",
            UploadId=upload,
            MultipartUpload={
                "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]
            },
        )
        got = s3.get_object(Bucket="uploads", Key="movies/big file.mkv")
        assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(b"".join(parts)).digest()
        assert got["Metadata"] == {"owner": "me"}
        _killed(again)
    with Emulator(state_dir=state) as last:
        s3 = _s3(last)
        assert s3.list_multipart_uploads(Bucket="uploads").get("Uploads", []) == []
        body = s3.get_object(Bucket="uploads", Key="movies/big file.mkv")["Body"].read()
        assert body == b"".join(parts)

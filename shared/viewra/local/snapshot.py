"""Load a state dir written before the durable emulator (``$VIEWRA_STATE_DIR/snapshot``), once.

The runner used to copy both buckets' objects and every table's rows into that folder every 30 s;
the emulator now keeps its own state on disk (:mod:`viewra.local.durable`). A folder of the old
kind is loaded through the ordinary APIs at the first start and set aside. Restored objects may
get new ETags (a multipart upload's ETag depends on its part size), so the restored items are
given the new ETag of their object, and the scan events the restore itself raised are purged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.storage.tables import tables_for


def _bucket_dir(root: Path, bucket: str) -> Path:
    return root / "s3" / bucket


def _blob_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def restore(settings: Settings, root: Path) -> dict[str, int]:
    """Load a snapshot into an empty, bootstrapped stack; returns counts."""
    s3, ddb, sqs = client(settings, "s3"), client(settings, "dynamodb"), client(settings, "sqs")
    if not root.exists():
        return {"objects": 0, "rows": 0}
    new_etags: dict[tuple[str, str], tuple[str, str]] = {}
    objects = rows = 0
    for bucket in (settings.media_bucket, settings.content_bucket):
        folder = _bucket_dir(root, bucket)
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            continue
        for key, meta in json.loads(manifest_path.read_text()).items():
            blob = folder / "blobs" / _blob_name(key)
            if not blob.exists():
                continue
            extra = {"ContentType": meta["content_type"]} if meta.get("content_type") else {}
            with open(blob, "rb") as fh:
                r = s3.put_object(Bucket=bucket, Key=key, Body=fh, **extra)
            new_etags[(bucket, key)] = (meta["etag"], r["ETag"].strip('"'))
            objects += 1
    for model in tables_for(settings).all():
        name = model.Meta.table_name
        path = root / "tables" / f"{name}.json"
        if not path.exists():
            continue
        for item in json.loads(path.read_text()):
            _retag(item, new_etags)
            ddb.put_item(TableName=name, Item=item)
            rows += 1
    url = sqs.get_queue_url(QueueName=settings.scan_queue)["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    return {"objects": objects, "rows": rows}


def _retag(item: dict[str, Any], new_etags: dict[tuple[str, str], tuple[str, str]]) -> None:
    raw = item.get("doc", {}).get("S")  # items keep their document as JSON text
    if not raw:
        return
    doc = json.loads(raw)
    if not isinstance(doc, dict) or "bucket" not in doc or "key" not in doc:
        return
    found = new_etags.get((doc["bucket"], doc["key"]))
    if found and doc.get("etag") == found[0]:
        doc["etag"] = found[1]
        item["etag"] = {"S": found[1]}
        item["doc"] = {"S": json.dumps(doc)}

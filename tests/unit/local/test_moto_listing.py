"""viewra.local.moto_listing: S3 listings of a prefix equal moto's own answers and read only
the keys under the prefix.

Every listing runs with ``VIEWRA_MOTO_VERIFY=1``, which answers it both ways and raises on any
difference; the test also checks each answer against a model of the bucket.
"""

from __future__ import annotations

import random

import boto3
import pytest
from moto import mock_aws
from moto.s3.utils import _VersionedKeyStore

from viewra.local.moto_listing import index_s3_listings

PREFIXES = ("", "a/", "a/b", "a/b/", "b/", "c", "zz/", "é/")


def _list(s3, bucket: str, prefix: str, delimiter: str | None, page: int) -> tuple[list, list]:
    """Every key and common prefix, page by page (continuation tokens)."""
    keys: list[str] = []
    folders: list[str] = []
    params = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page}
    if delimiter:
        params["Delimiter"] = delimiter
    while True:
        r = s3.list_objects_v2(**params)
        keys += [o["Key"] for o in r.get("Contents", [])]
        folders += [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        if not r.get("IsTruncated"):
            return keys, folders
        params["ContinuationToken"] = r["NextContinuationToken"]


def _expected(names: set[str], prefix: str, delimiter: str | None) -> tuple[list, list]:
    keys, folders = [], set()
    for name in sorted(names):
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        if delimiter and delimiter in rest:
            folders.add(prefix + rest.split(delimiter)[0] + delimiter)
        else:
            keys.append(name)
    return keys, sorted(folders)


@pytest.mark.parametrize("versioned", [False, True])
def test_listings_follow_puts_overwrites_and_deletes(monkeypatch, versioned: bool) -> None:
    monkeypatch.setenv("VIEWRA_MOTO_VERIFY", "1")
    index_s3_listings()
    rng = random.Random(5)
    parts = ["a", "b", "c", "é", "zz", "a b"]
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="listing")
        if versioned:
            s3.put_bucket_versioning(
                Bucket="listing", VersioningConfiguration={"Status": "Enabled"}
            )
        names: set[str] = set()
        for step in range(300):
            name = "/".join(rng.choice(parts) for _ in range(rng.randint(1, 3)))
            if rng.random() < 0.3 and names:
                name = rng.choice(sorted(names))
                s3.delete_object(Bucket="listing", Key=name)
                names.discard(name)
            else:
                s3.put_object(Bucket="listing", Key=name, Body=b"x")
                names.add(name)
            if step % 50 == 49:
                for prefix in PREFIXES:
                    for delimiter in (None, "/"):
                        got = _list(s3, "listing", prefix, delimiter, rng.choice([2, 7, 1000]))
                        want = _expected(names, prefix, delimiter)
                        if versioned:  # moto lists a folder of delete markers (so do we:
                            got, want = got[0], want[0]  # VERIFY compares), S3 does not
                        assert got == want, (prefix, delimiter)


def test_a_prefix_listing_reads_only_the_keys_under_it(monkeypatch) -> None:
    index_s3_listings()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="wide")
        for n in range(200):
            s3.put_object(Bucket="wide", Key=f"drop/{n // 10:03d}/clip {n:03d}.mp4", Body=b"x")
        seen: list[str] = []
        getlist = _VersionedKeyStore.getlist

        def counting(self, key, default=None):  # type: ignore[no-untyped-def]
            seen.append(key)
            return getlist(self, key, default)

        def walk(self):  # type: ignore[no-untyped-def]
            raise AssertionError("the listing walked the whole bucket")

        monkeypatch.setattr(_VersionedKeyStore, "getlist", counting)
        monkeypatch.setattr(_VersionedKeyStore, "items", walk)
        r = s3.list_objects_v2(Bucket="wide", Prefix="drop/007/", Delimiter="/")
        assert [o["Key"] for o in r["Contents"]] == [
            f"drop/007/clip {n:03d}.mp4" for n in range(70, 80)
        ]
        assert sorted(set(seen)) == [f"drop/007/clip {n:03d}.mp4" for n in range(70, 80)]

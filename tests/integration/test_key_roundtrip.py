"""Keys round-trip (issue 20): any key S3 accepts is stored by the embedded emulator and catalogued
by the scan byte for byte, whether boto3 or the aws CLI uploaded it.

The emulator used to decode a key twice (cheroot's decoded path, then moto's own unquote), so
``50%25 off.mkv`` was stored as ``50% off.mkv``; the scan decodes the event's key once
(``unquote_plus``, as S3 encodes it). Keys with a ``.``/``..`` segment, as given or after
percent-decoding, are refused by our own key validation on purpose (README, Library rules): a
``%2e%2e`` inside a name decodes to text, not to a segment, and is kept.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

PREFIX_BYTES = 40  # room for the library prefix (``movies-xxxxxxxx/``) in the 1,024-byte key

HOSTILE = [
    "50%25 off %2e%2e.mkv",  # literal percent signs; %2e%2e inside a name
    "100% Pure + Simple.mp4",  # a bare % and a +
    "a+b=c & d.mp4",
    "%41 is not A.mp4",
    "%2F is not a slash.mp4",
    "spaces  twice and trailing .mp4",
    "Amélie (2001)/Amélie.mkv",  # NFC
    unicodedata.normalize("NFD", "Amélie (2001)/Amélie (NFD).mkv"),  # kept as it came, not NFC
    "東京物語 (1953)/東京物語.mp4",
    "emoji 🎬 clip.mp4",
    "question? hash# semicolon; colon: comma,.mp4",
    "quotes 'single' \"double\" `back` [br] {cb} ~tilde.mp4",
    "dots...in...name.mp4",
    "..leading dots.mp4",  # not a segment
    "x" * 1024,  # trimmed below to exactly 1,024 bytes with the prefix
]


def _key(prefix: str, name: str) -> str:
    if set(name) == {"x"}:  # the longest key S3 accepts
        room = 1024 - len(prefix.encode()) - len("/long.mp4")
        return prefix + "x" * room + "/long.mp4"
    return prefix + name


def _aws(stack, *args: str) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).with_name("aws")
    return subprocess.run(
        [str(aws), "--endpoint-url", stack.endpoint, *args],
        check=True,
        env=stack.env
        | {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def _stored(stack, prefix: str) -> set[str]:
    s3 = stack.client("s3")
    found: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix=prefix):
        found |= {o["Key"] for o in page.get("Contents", [])}
    return found


@pytest.fixture(scope="module")
def keys_library(stack):
    return stack.library("movies")


@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: n[:24])
def test_boto3_key_is_stored_and_catalogued_byte_for_byte(
    stack, media_dir, keys_library, name: str
) -> None:
    key = _key(keys_library["prefix"], name)
    assert len(key.encode()) <= 1024
    s3 = stack.client("s3")
    body = media_dir["mp4_faststart"].read_bytes()
    s3.put_object(Bucket=stack.bucket, Key=key, Body=body)
    assert key in _stored(stack, key)
    assert s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == body
    item = stack.item_at(keys_library["id"], key)
    assert item["key"].encode() == key.encode()
    assert item["status"] == "ready", item
    # and the API answers for it by that exact key, once
    assert [i["key"] for i in stack.items(keys_library["id"])].count(key) == 1


@pytest.mark.parametrize(
    "name",
    [
        "50%25 off %2e%2e.mkv",
        "100% Pure + Simple.mp4",
        "東京物語 (1953)/東京物語 CLI.mp4",
        "x" * 1024,
    ],
    ids=lambda n: n[:24],
)
def test_aws_cli_key_is_stored_and_catalogued_byte_for_byte(
    stack, media_dir, keys_library, name: str
) -> None:
    lib = stack.library("movies")  # its own, so the boto3 uploads above are not what is found
    key = _key(lib["prefix"], name)
    _aws(stack, "s3", "cp", str(media_dir["mp4_faststart"]), f"s3://{stack.bucket}/{key}")
    assert _stored(stack, lib["prefix"]) == {key}
    listed = _aws(
        stack, "s3api", "list-objects-v2", "--bucket", stack.bucket, "--prefix", lib["prefix"]
    )
    assert [o["Key"] for o in json.loads(listed.stdout)["Contents"]] == [key]
    item = stack.item_at(lib["id"], key)
    assert item["key"].encode() == key.encode()


# (keys with a literal ``..`` segment are left out: HTTP clients remove dot segments from a URL)
@pytest.mark.parametrize("name", ["up/%2e%2e/escape.mp4", "up/%2E%2E/x.mp4", "%2e/here.mp4"])
def test_path_traversal_segments_are_stored_but_never_catalogued(
    stack, media_dir, name: str
) -> None:
    """S3 accepts them; our key validation refuses a ``.``/``..`` segment, even percent-encoded,
    so nothing downstream can read one as a path (README, Library rules)."""
    lib = stack.library("movies")
    key = lib["prefix"] + name
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=key, Body=media_dir["mp4_faststart"].read_bytes()
    )
    assert key in _stored(stack, lib["prefix"])  # the emulator keeps the key as given
    control = lib["prefix"] + "control (2000).mp4"  # a later, ordinary file is catalogued
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=control, Body=media_dir["mp4_faststart"].read_bytes()
    )
    stack.item_at(lib["id"], control)
    assert [i["key"] for i in stack.items(lib["id"])] == [control]

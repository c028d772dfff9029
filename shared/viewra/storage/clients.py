"""boto3 clients, built in one place from :class:`~viewra.common.settings.Settings`.

Checksums are computed only when an operation requires them: boto3's default (always) sends
headers that several S3-compatible stores reject. Addressing style is configurable because
MinIO and emulators want path-style while AWS prefers virtual-hosted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import boto3
from botocore.config import Config

from viewra.common.settings import Settings
from viewra.storage.botocore_data import share_botocore_data

_lock = threading.Lock()
# A deployment has one Settings, so this holds a handful of clients. It is bounded all the same:
# each client carries its own botocore session and parsed service models (tens of MB), and a
# process that sees many settings (the test suite: one per test) must not keep them all.
_cache: OrderedDict[tuple[Settings, str], Any] = OrderedDict()
_CACHE_SIZE = 16


def _config(settings: Settings, service: str) -> Config:
    extra: dict[str, Any] = {}
    if service == "s3":
        extra["s3"] = {"addressing_style": settings.s3_addressing}
        extra["signature_version"] = "s3v4"
    return Config(
        region_name=settings.region,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=32,
        **extra,
    )


def client(settings: Settings, service: str) -> Any:
    """A shared, thread-safe boto3 client for ``service`` (s3, sqs, dynamodb)."""
    key = (settings, service)
    with _lock:
        found = _cache.get(key)
        if found is None:
            share_botocore_data()
            found = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                endpoint_url=settings.endpoint_for(service),
                config=_config(settings, service),
            )
            _cache[key] = found
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        return found

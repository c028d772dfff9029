"""Enrichment answers kept in DynamoDB, shared by every process and kept across runs.

The in-memory cache lives as long as one process: on Lambda, one warm sandbox. A full rescan of
a library then asks TMDB and MusicBrainz again for every item, and MusicBrainz allows one request
a second (a 2,000-track library is over an hour of asking). This table keeps each answer (and
each "not found") for the client's TTL, for every sandbox and every later rescan.

An entry expires through the table's TTL attribute. DynamoDB deletes expired items lazily (within
days), so a read checks the time as well. The cache only saves requests: a read or write that
fails is logged and treated as a miss, and enrichment goes on asking the service.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from viewra.common.logs import logger

MAX_ENTRY_BYTES = 350_000  # DynamoDB's item limit is 400 KB; a bigger answer is not kept


class DynamoCache:
    """:class:`viewra.media.enrich.cache.Cache` on the enrichment cache table (key → JSON answer,
    expiry)."""

    def __init__(self, model: type[Model], clock: Callable[[], float] = time.time) -> None:
        self._model = model
        self._clock = clock

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            record = self._model.get(key)
        except self._model.DoesNotExist:
            return None
        except (PynamoDBException, BotoCoreError) as exc:
            logger.warning("enrichment cache read failed", extra={"error": str(exc)})
            return None
        expires = record.expires
        if expires is not None and expires.timestamp() <= self._clock():
            return None
        value = record.value
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        if len(json.dumps(value)) > MAX_ENTRY_BYTES:
            logger.info("enrichment answer too big to cache", extra={"key": key})
            return
        expires = datetime.fromtimestamp(self._clock() + ttl, UTC)
        try:
            self._model(key, value=value, expires=expires).save()
        except (PynamoDBException, BotoCoreError) as exc:
            logger.warning("enrichment cache write failed", extra={"error": str(exc)})

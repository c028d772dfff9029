"""SQS as Viewra uses it: sending JSON messages in batches of ten."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from viewra.common.settings import Settings
from viewra.storage.clients import client

BATCH = 10


class QueueSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sqs = client(settings, "sqs")
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def url(self, name: str) -> str:
        with self._lock:
            if name not in self._urls:
                self._urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
            return self._urls[name]

    def send(self, name: str, messages: Iterable[dict[str, Any]]) -> int:
        """Send every message (batches of 10, failed entries retried); return how many."""
        url = self.url(name)
        batch: list[dict[str, Any]] = []
        sent = 0
        for message in messages:
            batch.append(message)
            if len(batch) == BATCH:
                sent += self._send_batch(url, batch)
                batch = []
        if batch:
            sent += self._send_batch(url, batch)
        return sent

    def _send_batch(self, url: str, batch: Sequence[dict[str, Any]], attempts: int = 3) -> int:
        entries = [{"Id": str(i), "MessageBody": json.dumps(m)} for i, m in enumerate(batch)]
        for _ in range(attempts):
            r = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)
            failed = {f["Id"] for f in r.get("Failed", [])}
            if not failed:
                return len(batch)
            entries = [e for e in entries if e["Id"] in failed]
        raise RuntimeError(f"could not send {len(entries)} messages to {url}")

    def depth(self, name: str) -> dict[str, int]:
        """How many messages wait (visible), are being handled (in flight) and are delayed.
        SQS's counts are approximate (eventually consistent, for a minute or so)."""
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attrs = self._sqs.get_queue_attributes(QueueUrl=self.url(name), AttributeNames=names)
        found = attrs.get("Attributes", {})
        visible, in_flight, delayed = (int(found.get(n, 0)) for n in names)
        return {"visible": visible, "in_flight": in_flight, "delayed": delayed}

    def check(self, name: str) -> None:
        self._sqs.get_queue_attributes(QueueUrl=self.url(name), AttributeNames=["QueueArn"])

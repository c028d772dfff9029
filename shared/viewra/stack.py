"""The stack, declared once: buckets, queues and their dead-letter queues, the bucket
notification, and the tables (from the PynamoDB models). The local bootstrap creates exactly this;
the deploy templates are to be produced from, or checked against, the same declaration."""

from __future__ import annotations

from dataclasses import dataclass

from viewra.settings import Settings


@dataclass(frozen=True)
class QueueSpec:
    name: str
    visibility_timeout: int
    max_receive_count: int

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class NotificationSpec:
    bucket: str
    queue: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class StackSpec:
    buckets: tuple[str, ...]
    queues: tuple[QueueSpec, ...]
    notifications: tuple[NotificationSpec, ...]


def stack_for(settings: Settings, *, visibility_timeout: int = 60) -> StackSpec:
    scan = QueueSpec(settings.scan_queue, visibility_timeout, settings.dlq_max_receive_count)
    transcode = QueueSpec(
        settings.transcode_queue, max(visibility_timeout, 300), settings.dlq_max_receive_count
    )
    return StackSpec(
        buckets=(settings.media_bucket, settings.content_bucket),
        queues=(scan, transcode),
        notifications=(
            NotificationSpec(
                settings.media_bucket, scan.name, ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
            ),
        ),
    )

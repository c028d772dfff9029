"""The stack, declared once: buckets, queues and their dead-letter queues, the bucket
notification (with its key filters), topics and their queue subscriptions, and the tables (from
the PynamoDB models in :mod:`viewra.storage.tables`).

Two readers, one declaration:
- :func:`viewra.storage.bootstrap.bootstrap` creates it on an endpoint (embedded emulator,
  LocalStack, MinIO + others, or AWS itself);
- ``infra/`` renders it as the CloudFormation core template (``python -m infra.package``), and
  ``tests/infra`` bootstraps it on in-process moto and compares the two resource by resource.

Extension point (the event bus): a :class:`TopicSpec` with its :class:`SubscriptionSpec` rows. A
new topic, queue or subscription added here reaches both the local stack and the template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from viewra.common.settings import Settings

DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: time to look at what failed
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600  # SQS's default, stated so both sides agree

# Lambda timeouts of the deployed functions (infra/functions.py reads these). A queue's
# visibility timeout must be at least its consumer's timeout (Lambda refuses the event source
# otherwise); AWS recommends six times. The transcode worker also extends visibility while ffmpeg
# runs (VisibilityHeartbeat), so its queue needs only the timeout plus a margin.
FUNCTION_TIMEOUTS = {"api": 30, "scan": 60, "transcode": 900, "decide": 30}

# The event topic's SQS subscribers: (queue setting, SNS filter policy or None for everything).
EVENT_SUBSCRIBERS: tuple[tuple[str, dict[str, list[str]] | None], ...] = (
    ("events_queue", None),  # everything, into the events table (the api function)
    ("enrich_queue", {"type": ["ItemAdded", "ItemUpdated"]}),  # enrichment (the scan function)
)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    visibility_timeout: int
    max_receive_count: int
    retention_seconds: int = QUEUE_RETENTION_SECONDS
    dlq_retention_seconds: int = DLQ_RETENTION_SECONDS

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class NotificationSpec:
    """Bucket events sent to a queue; ``prefix``/``suffix`` are S3 key filter rules ("" = none)."""

    bucket: str
    queue: str
    events: tuple[str, ...]
    prefix: str = ""
    suffix: str = ""

    def filter_rules(self) -> list[dict[str, str]]:
        rules = [("prefix", self.prefix), ("suffix", self.suffix)]
        return [{"Name": name, "Value": value} for name, value in rules if value]


@dataclass(frozen=True)
class SubscriptionSpec:
    """A queue subscribed to a topic. ``filter_policy`` is a JSON document ("" = every message)."""

    queue: str
    raw_delivery: bool = True
    filter_policy: str = ""

    def filter_policy_dict(self) -> dict[str, object] | None:
        return json.loads(self.filter_policy) if self.filter_policy else None


@dataclass(frozen=True)
class TopicSpec:
    name: str
    subscriptions: tuple[SubscriptionSpec, ...] = ()


@dataclass(frozen=True)
class StackSpec:
    buckets: tuple[str, ...]
    queues: tuple[QueueSpec, ...]
    notifications: tuple[NotificationSpec, ...]
    topics: tuple[TopicSpec, ...] = field(default=())

    def queue(self, name: str) -> QueueSpec:
        for q in self.queues:
            if q.name == name:
                return q
        raise KeyError(name)


def stack_for(
    settings: Settings,
    *,
    visibility_timeout: int = 60,
    transcode_visibility_timeout: int | None = None,
    events_visibility_timeout: int | None = None,
    subscriber_visibility_timeout: int | None = None,
) -> StackSpec:
    """The stack for one deployment's names. ``visibility_timeout`` is the scan queue's (the local
    stack makes it short so retries are quick to see); the transcode queue's is at least 300 s."""
    retries = settings.dlq_max_receive_count
    scan = QueueSpec(settings.scan_queue, visibility_timeout, retries)
    transcode = QueueSpec(
        settings.transcode_queue,
        transcode_visibility_timeout or max(visibility_timeout, 300),
        retries,
    )
    queues = [scan, transcode]
    priority = getattr(settings, "transcode_priority_queue", "")
    if priority:  # chunks a waiting player asked for (a seek): the same consumer, taken first
        queues.append(QueueSpec(priority, transcode.visibility_timeout, retries))
    topics: list[TopicSpec] = []
    topic = getattr(settings, "events_topic", "")
    if topic and not topic.startswith("arn:"):  # an ARN: a topic this stack does not own
        subscriptions = []
        for setting, policy in EVENT_SUBSCRIBERS:
            name = getattr(settings, setting, "")
            if not name:
                continue
            visibility = (
                events_visibility_timeout
                if setting == "events_queue"
                else subscriber_visibility_timeout
            )
            queues.append(QueueSpec(name, visibility or visibility_timeout, retries))
            subscriptions.append(
                SubscriptionSpec(
                    name,
                    raw_delivery=True,
                    filter_policy=json.dumps(policy, sort_keys=True) if policy else "",
                )
            )
        topics.append(TopicSpec(topic, tuple(subscriptions)))
    return StackSpec(
        buckets=(settings.media_bucket, settings.content_bucket),
        queues=tuple(queues),
        notifications=(
            NotificationSpec(
                settings.media_bucket, scan.name, ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
            ),
        ),
        topics=tuple(topics),
    )


def deploy_stack(settings: Settings) -> StackSpec:
    """The stack as deployed on AWS: visibility timeouts follow the functions' timeouts."""
    return stack_for(
        settings,
        visibility_timeout=6 * FUNCTION_TIMEOUTS["scan"],
        transcode_visibility_timeout=FUNCTION_TIMEOUTS["transcode"] + 60,
        events_visibility_timeout=6 * FUNCTION_TIMEOUTS["api"],
        subscriber_visibility_timeout=6 * FUNCTION_TIMEOUTS["scan"],  # enrich: the scan function
    )


def queue_policy(queue_arn: object, senders: list[tuple[str, object]], account: object) -> dict:
    """The queue's access policy: each (service, source ARN) sender may SendMessage, from this
    account only. ARNs and account are strings (bootstrap) or CloudFormation intrinsics
    (templates); the document is otherwise the same on both sides."""
    statements = []
    for service, source_arn in senders:
        condition: dict[str, object] = {"ArnEquals": {"aws:SourceArn": source_arn}}
        if service == "s3":  # bucket ARNs carry no account: pin it (confused deputy)
            condition["StringEquals"] = {"aws:SourceAccount": account}
        statements.append(
            {
                "Sid": f"{service}-sends",
                "Effect": "Allow",
                "Principal": {"Service": f"{service}.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": condition,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def queue_senders(spec: StackSpec) -> dict[str, list[tuple[str, str]]]:
    """Queue name → [(service, bucket or topic name)] of what publishes to it."""
    senders: dict[str, list[tuple[str, str]]] = {}
    for note in spec.notifications:
        if ("s3", note.bucket) not in senders.setdefault(note.queue, []):
            senders[note.queue].append(("s3", note.bucket))
    for topic in spec.topics:
        for sub in topic.subscriptions:
            senders.setdefault(sub.queue, []).append(("sns", topic.name))
    return senders

"""The transcoder's context: its limits and the ports it is handed (job records, content and
source objects, a queue, a publisher). Built by :mod:`viewra.bootstrap`; imports no adapter.

The limits read ``transcode_*`` fields of Settings when they exist and fall back to the defaults
here, so this package works before and after those fields are added to the one settings object.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

from viewra.common.events import Publisher
from viewra.common.ports import MessageQueues
from viewra.common.settings import Settings
from viewra.transcoding.command import CommandOptions
from viewra.transcoding.ports import ContentObjects, JobRecords, SourceObjects
from viewra.transcoding.providers import Registry


@dataclass(frozen=True)
class TranscodeLimits:
    max_concurrent_jobs: int = 1  # per worker process
    timeout_seconds: int = 840  # a Lambda's 15 minutes, less a minute to write up
    max_source_bytes: int = 50 * 1024**3
    temp_dir: str | None = None  # None: the system's (Lambda: /tmp)
    temp_max_bytes: int = 8 * 1024**3  # a download larger than this is refused
    input_mode: str = "auto"  # auto: presigned URL unless the job needs a local file; url; download
    # Job-record progress writes once the output is playable, seconds (each is a DynamoDB write
    # and an event); until then, and for the cancel flag, the worker looks every
    # cancel_check_seconds (a cancel stops ffmpeg within about that).
    progress_interval: float = 3.0
    cancel_check_seconds: float = 1.0
    heartbeat_seconds: int = 60  # how often the message's visibility is extended...
    visibility_seconds: int = 300  # ...and to how long
    slot_wait_seconds: float = 5.0  # wait for a free job slot before handing the message back
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    preset: str = "veryfast"
    realtime_input: bool = False  # tests: pace ffmpeg's input at native speed (-re)
    cache_budget_bytes: int = 100 * 1024**3
    # fan-out: an HLS re-encode of a source longer than this is split into chunks of
    # ``chunk_segments`` whole segments, one queue message each (viewra.transcoding.fanout)
    chunk_threshold_seconds: float = 120.0
    chunk_segments: int = 10
    threads: int = 0  # ffmpeg -threads (0: ffmpeg's choice); the local runner sets each share

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TranscodeLimits:
        values: dict[str, Any] = {}
        for f in fields(cls):
            found = getattr(settings, f"transcode_{f.name}", None)
            if found is not None:
                values[f.name] = found
        values.update(overrides)
        return cls(**values)

    def command_options(self) -> CommandOptions:
        return CommandOptions(
            ffmpeg=self.ffmpeg,
            preset=self.preset,
            realtime_input=self.realtime_input,
            threads=self.threads or None,
        )


@dataclass
class Transcoder:
    settings: Settings
    jobs: JobRecords
    content: ContentObjects
    sources: SourceObjects
    queues: MessageQueues
    registry: Registry
    limits: TranscodeLimits
    events: Publisher
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(max(self.limits.max_concurrent_jobs, 1))

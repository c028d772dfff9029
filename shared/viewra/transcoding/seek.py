"""One segment of a transcode, for a player that asks for it by number: at once when it is up,
else (a seek past what a fanned-out job has encoded) its chunk is moved ahead of the others
and the answer waits until the segment is there.

Moving ahead: the first request for a chunk neither started nor done sends a copy of the
chunk's message to the priority queue, which workers poll before the transcode queue (locally)
or which has its own event source (Lambda). The record's ``chunks_bumped`` set, ADDed to under
a condition, makes that happen once however many players ask.
"""

from __future__ import annotations

import re
import time

from viewra.common.errors import Conflict, NotFound
from viewra.transcoding.chunks import ChunkPlan
from viewra.transcoding.context import Transcoder
from viewra.transcoding.jobs import JobStatus, chunk_message

SEGMENT_NAME = re.compile(r"^seg_(\d{5})\.ts$")
POLL_SECONDS = 0.25
# An API Gateway answer must come within 29 s; the player retries after a refusal.
DEFAULT_WAIT_SECONDS = 20.0


class SegmentNotReady(Conflict):
    """The segment's chunk is being encoded and did not finish within the wait: ask again."""

    code = "SegmentNotReady"


def segment_url(
    tc: Transcoder,
    h: str,
    name: str,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> str:
    """A presigned URL of segment ``name`` of ``h``, once it is up."""
    match = SEGMENT_NAME.match(name)
    if match is None:
        raise NotFound(f"no segment {name!r}")
    number = int(match.group(1))
    key = tc.content.key(h, name)
    record = tc.jobs.get(h)
    plan = ChunkPlan.from_dict(record.plan) if record is not None and record.plan else None
    if plan is None:  # a whole job (or a finished one): the segment is there or it is not
        if tc.content.exists(key):
            return tc.content.presign(key)
        raise NotFound(f"no segment {name} for transcode {h}")
    if _is_up(record, number) or record.status == JobStatus.READY.value:
        return tc.content.presign(key)
    chunk = plan.chunk_of(number)
    if chunk is None:
        raise NotFound(f"no segment {name} for transcode {h}: it has {plan.segment_count}")
    if record.status != JobStatus.RUNNING.value:
        raise NotFound(f"transcode {h} is {record.status}: segment {name} will not come")
    if tc.jobs.bump_chunk(h, chunk.index):
        message = chunk_message(h, chunk.index, getattr(record, "plan_id", None))
        tc.queues.send(tc.settings.transcode_priority_queue, [message])
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        record = tc.jobs.get(h)
        if record is None or record.status not in (JobStatus.RUNNING.value, "ready"):
            raise NotFound(f"transcode {h} stopped: segment {name} will not come")
        if _is_up(record, number) or record.status == JobStatus.READY.value:
            return tc.content.presign(key)
    raise SegmentNotReady(f"segment {name} (chunk {chunk.index}) is being encoded; ask again")


def _is_up(record: object, number: int) -> bool:
    return number in {int(n) for n in getattr(record, "segments", None) or ()}

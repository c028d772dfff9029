"""Run a request's independent store calls at the same time.

A playback request writes its session, touches the user's data and publishes an event; none of
them reads what another writes, so making them one after another only adds round trips (each a
few milliseconds on DynamoDB or SNS, more on an emulator). The calls are I/O: threads overlap the
waiting even under the GIL. botocore clients are thread-safe; boto3 sessions are not, and none is
created here.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="viewra-together")


def together(*calls: Callable[[], object]) -> None:
    """Run every call, the first in this thread and the rest in a shared pool; wait for all.

    Every call runs to its end even when another fails, so nothing is left half-done behind the
    caller's back; then the first failure (in argument order) is raised.
    """
    futures = [_POOL.submit(call) for call in calls[1:]]
    errors: list[BaseException] = []
    if calls:
        try:
            calls[0]()
        except BaseException as exc:  # re-raised below, after the others have finished
            errors.append(exc)
    for future in futures:
        exc = future.exception()
        if exc is not None:
            errors.append(exc)
    if errors:
        raise errors[0]

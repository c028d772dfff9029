"""A local stand-in for Lambda's SQS event source mapping.

It long-polls a queue, hands the handler a Lambda-shaped SQS event, and honours the partial
batch response: the messages the handler reports in ``batchItemFailures`` stay on the queue (they
come back after the visibility timeout and, past maxReceiveCount, move to the dead-letter queue);
the rest are deleted. A handler that raises fails the whole batch, as on Lambda. A batching
window (the mapping's ``MaximumBatchingWindowInSeconds``) gathers messages for up to that long
before the invocation, as Lambda does; batch size and window come from the function's own
``@app.on_sqs_message`` so the local stack and the deployed mapping agree.

Idle, each poller waits in long polls of ``IDLE_WAIT_SECONDS``: with one-second polls the local
stack's dozen pollers made a dozen receives a second, about 6 % of a core between the emulator
and the two worker processes while nothing happened. A stop waits for the polls in progress to
end (at most that long; every worker's stop is requested first, so they end together) and a
poller that receives after the stop puts the messages straight back (visibility 0). Not waiting
for them was tried: a poll the queue still holds for a stopped process takes the next message
sent (an S3 event for the next stack on a shared LocalStack) and hides it for the visibility
timeout, so the polls are kept short instead of SQS's longest (20 s).

A batch in hand is kept hidden while its handler runs (the visibility is extended every half
timeout, for at most ``MAX_HIDDEN_SECONDS``, Lambda's longest run). On Lambda a function's timeout
is below its queue's visibility timeout, so a batch never outlives it; here a busy machine (a 10,000
file drop on 2 cores) made batches wait past the 60 s timeout, their messages came back while
still being handled and, counted as received three times, went to the dead-letter queue.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from viewra.common.logs import logger
from viewra.common.settings import Settings
from viewra.storage.clients import client

Handler = Callable[[dict[str, Any], Any], Any]
IDLE_WAIT_SECONDS = 5  # a long poll's length: idle receives, and how long a stop may take
STOP_GRACE_SECONDS = 30  # how much longer a stop waits for a batch being handled
MAX_HIDDEN_SECONDS = 900  # a batch is kept hidden for at most Lambda's longest run


@dataclass
class LambdaContext:
    """The attributes handlers and Powertools read from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def to_lambda_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class QueueWorker:
    """``threads`` pollers on one queue, each invoking ``handler`` like a Lambda invocation."""

    def __init__(
        self,
        settings: Settings,
        queue: str,
        handler: Handler,
        *,
        function_name: str,
        batch_size: int = 10,
        threads: int = 4,
        wait_seconds: int = IDLE_WAIT_SECONDS,
        batch_window: float = 0.0,
        priority_queue: str | None = None,
    ) -> None:
        self.settings, self.queue, self.handler = settings, queue, handler
        # A queue looked at (without waiting) before each receive from ``queue``: chunks a
        # player waits for. The long poll of ``queue`` keeps its length: a chunk is moved ahead
        # only while it waits on ``queue`` (not started), so a worker that could take it is
        # either busy (and looks here before its next take) or gets ``queue``'s message at once.
        self.priority_queue = priority_queue
        self.batch_window = batch_window
        self.function_name, self.batch_size, self.wait_seconds = (
            function_name,
            batch_size,
            wait_seconds,
        )
        self._threads = [
            threading.Thread(target=self._loop, name=f"worker-{queue}-{i}", daemon=True)
            for i in range(threads)
        ]
        self._stop = threading.Event()
        self._priority: tuple[str, str] | None = None
        self._visibility: dict[str, int] = {}  # by queue URL: how long a batch stays hidden
        self.invocations = 0
        self.failures = 0

    def start(self) -> QueueWorker:
        # the client when it starts, not when it is described: building a worker touches no AWS
        self._sqs = client(self.settings, "sqs")
        self._url = self._sqs.get_queue_url(QueueName=self.queue)["QueueUrl"]
        self._arn = self._queue_attributes(self._url)
        if self.priority_queue:
            url = self._sqs.get_queue_url(QueueName=self.priority_queue)["QueueUrl"]
            self._priority = (url, self._queue_attributes(url))
        for t in self._threads:
            t.start()
        return self

    def request_stop(self) -> None:
        """Stop polling, without waiting (see :meth:`stop`)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop polling and wait for the polls in progress (what they still bring goes straight
        back) and the batches in hand."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.wait_seconds + STOP_GRACE_SECONDS)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():  # the emulator went away under a poll while stopping
                    return
                logger.exception("worker poll failed", extra={"queue": self.queue})
                self._stop.wait(1.0)

    def _release(self, messages: list[dict[str, Any]], url: str | None = None) -> None:
        """Put received messages back at once (visibility 0), for whoever polls next."""
        self._set_visibility(messages, url or self._url, 0)

    def _set_visibility(self, messages: list[dict[str, Any]], url: str, seconds: int) -> None:
        self._sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": seconds}
                for i, m in enumerate(messages)
            ],
        )

    def _queue_attributes(self, url: str) -> str:
        """The queue's ARN (for the events); its visibility timeout is kept for the batches."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn", "VisibilityTimeout"]
        )["Attributes"]
        self._visibility[url] = int(attributes.get("VisibilityTimeout", 30))
        return str(attributes["QueueArn"])

    def _keep_hidden(
        self, messages: list[dict[str, Any]], url: str, handled: threading.Event
    ) -> None:
        """Extend the batch's visibility every half timeout until it is handled (or for at most
        MAX_HIDDEN_SECONDS, after which it comes back as after a Lambda timeout)."""
        visibility = self._visibility[url]
        period = max(0.5, visibility / 2)
        deadline = time.monotonic() + MAX_HIDDEN_SECONDS
        while not handled.wait(period) and time.monotonic() < deadline:
            try:
                self._set_visibility(messages, url, visibility)
            except Exception:  # the emulator going away under a stop; the batch ends anyway
                logger.warning("could not extend a batch's visibility", extra={"queue": self.queue})

    def _receive(
        self, count: int, wait_seconds: int, url: str | None = None
    ) -> list[dict[str, Any]]:
        r = self._sqs.receive_message(
            QueueUrl=url or self._url,
            MaxNumberOfMessages=min(count, 10),  # SQS's most per call
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(r.get("Messages", []))

    def _gather(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Fill a partial batch with what arrives within the batching window of its first one."""
        deadline = time.monotonic() + self.batch_window
        while len(messages) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.wait(remaining):
                break
            more = self._receive(self.batch_size - len(messages), 0)
            messages += more
            if not more:
                break
        return messages

    def poll_once(self) -> int:
        """Receive one batch (from the priority queue first, if any) and invoke the handler;
        return how many messages were received."""
        url, arn = self._url, self._arn
        messages: list[dict[str, Any]] = []
        if self._priority is not None:
            messages = self._receive(self.batch_size, 0, self._priority[0])
            if messages:
                url, arn = self._priority
        if not messages:
            messages = self._receive(self.batch_size, self.wait_seconds)
        if not messages:
            return 0
        if self._stop.is_set():  # stopped during the poll: not ours to handle any more
            self._release(messages, url)
            return 0
        if self.batch_window > 0 and len(messages) < self.batch_size and url == self._url:
            messages = self._gather(messages)
        event = to_lambda_event(messages, arn, self.settings.region)
        self.invocations += 1
        handled = threading.Event()
        keeper = threading.Thread(
            target=self._keep_hidden, args=(messages, url, handled), daemon=True, name="keep-hidden"
        )
        keeper.start()
        try:
            result = self.handler(event, LambdaContext(function_name=self.function_name))
        except Exception:
            logger.exception("handler failed the whole batch", extra={"queue": self.queue})
            self.failures += len(messages)
            return len(messages)
        finally:
            handled.set()
            keeper.join()
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        self.failures += len(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(messages)


def queue_workers(settings: Settings, functions: list[str]) -> list[QueueWorker]:
    """The local stand-ins for the queue-fed functions named (not started).

    ``scan`` (the scan queue, ``VIEWRA_WORKER_THREADS`` at a time), ``transcode`` (one job per
    invocation, ``VIEWRA_TRANSCODE_MAX_CONCURRENT_JOBS`` at a time; the runner keeps it),
    ``enrich`` (the enrichment queue, one at a time: the services' rate limits) and ``events``
    (the api function's subscription that fills ``GET /events``); the last two only where there
    is an events topic.
    """
    # name: (queue, function, its handler, the invocation's function name, threads)
    specs = {
        "scan": (settings.scan_queue, "scan", "handle_scan_queue", "scan", settings.worker_threads),
        "transcode": (
            settings.transcode_queue,
            "transcode",
            "handle_transcode_queue",
            "transcode",
            settings.transcode_max_concurrent_jobs,
        ),
        "enrich": (settings.enrich_queue, "scan", "handle_enrich_queue", "enrich", 1),
        "events": (settings.events_queue, "api", "handle_events_queue", "api-events", 1),
    }
    workers = []
    for name in functions:
        if name in ("enrich", "events") and not settings.events_topic:
            continue
        queue, function, handler, function_name, threads = specs[name]
        worker = function_worker(settings, queue, function, handler, function_name, threads)
        if name == "transcode":  # one poller takes both queues, the priority one first
            worker.priority_queue = settings.transcode_priority_queue or None
        workers.append(worker)
    return workers


def function_worker(
    settings: Settings, queue: str, function: str, handler: str, function_name: str, threads: int
) -> QueueWorker:
    """A worker for one of a function's ``@app.on_sqs_message`` handlers, with that
    registration's batch size and batching window."""
    from viewra.local.functions import load_function

    module = load_function(function)
    config = next(s for s in module.app.event_sources if s.name == handler)
    return QueueWorker(
        settings,
        queue,
        getattr(module, handler),
        function_name=function_name,
        threads=threads,
        batch_size=config.batch_size,
        batch_window=float(config.maximum_batching_window_in_seconds or 0),
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m viewra.local.worker scan [events enrich]``: queue workers in their own process.

    The local runner starts these beside itself: on Lambda every concurrent invocation is its own
    sandbox, and in one Python process the scan's CPU work (MediaInfo's parse, guessit,
    botocore) and the API's requests share one GIL. The environment (endpoints, names) is the
    runner's. SIGTERM stops polling and lets the batches in hand finish.
    """
    import argparse
    import signal

    from viewra.common.settings import get_settings

    parser = argparse.ArgumentParser(prog="viewra-worker")
    parser.add_argument("functions", nargs="+", choices=["scan", "events", "enrich", "transcode"])
    args = parser.parse_args(argv)
    from viewra.local.heap import settle

    workers = [w.start() for w in queue_workers(get_settings(), args.functions)]
    settle()  # start-up's objects out of the GC's full passes (viewra.local.heap)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # a wait with a timeout: a signal may land on a worker thread, and the main thread only runs
    # Python's handler when it wakes (an untimed wait here never stopped on SIGTERM)
    while not stop.wait(0.5):
        pass
    for worker in workers:  # all polls end together
        worker.request_stop()
    for worker in workers:
        worker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Counters and timings, recorded through one facade every module calls (imports no storage).

Two sinks, chosen once per process from the settings (``VIEWRA_METRICS_SINK``):
- ``emf`` (the default on Lambda): each record is one CloudWatch Embedded Metric Format line
  through aws-lambda-powertools' ``single_metric``, its labels as dimensions; CloudWatch turns
  the log line into a metric, so nothing is flushed at the end of an invocation and a crashed
  invocation loses only what it had not recorded yet.
- ``prometheus`` (the default elsewhere): a prometheus_client registry, read back as Prometheus
  text by :func:`exposition` (the API's ``GET /metrics``). The local stack is several processes
  (the API with the transcode workers, the scan/enrich/events worker processes), so
  ``make run`` sets ``PROMETHEUS_MULTIPROC_DIR`` under the state dir: every process writes its
  values into its own mmapped file there and :func:`exposition` sums them
  (prometheus_client's multiprocess mode). Without that directory the registry is this process's.

Every metric is declared once in :data:`METRICS` (kind, labels, help), so both sinks, the
docs (docs/metrics.md) and the tests agree on names. Recording never raises: a metric that
cannot be written is logged once and dropped, never the request's failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from viewra.common.settings import Settings, get_settings

COUNTER = "counter"
TIMING = "timing"  # seconds: a Prometheus histogram, an EMF value in Seconds
NAMESPACE = "Viewra"  # CloudWatch namespace, and the Prometheus names' prefix (viewra_)


@dataclass(frozen=True)
class MetricSpec:
    kind: str
    labels: tuple[str, ...]
    help: str
    unit: str = "Count"  # CloudWatch unit of a counter: Count or Bytes


METRICS: dict[str, MetricSpec] = {
    "items_scanned": MetricSpec(
        COUNTER, ("result",), "Items the scan wrote: catalogued (result=ready) or failed"
    ),
    "probe_bytes": MetricSpec(COUNTER, (), "Bytes the probes fetched from the store", "Bytes"),
    "artwork_bytes": MetricSpec(
        COUNTER, (), "Bytes of embedded covers fetched after the probe skipped them", "Bytes"
    ),
    "probe_seconds": MetricSpec(TIMING, ("result",), "Time of one probe (ranged reads + parse)"),
    "decisions": MetricSpec(
        COUNTER, ("method",), "Playback decisions by method (DirectPlay, DirectStream, Transcode)"
    ),
    "transcode_jobs": MetricSpec(
        COUNTER,
        ("state",),
        "Transcode jobs entering a state (queued, running, ready, failed, cancelled)",
    ),
    "transcode_seconds": MetricSpec(TIMING, ("state",), "Run time of a transcode job, by outcome"),
    "queue_message_age_seconds": MetricSpec(
        TIMING, ("queue",), "Age of a message (since it was sent) when a handler got it"
    ),
    "api_request_seconds": MetricSpec(
        TIMING, ("route", "method", "status"), "API requests by route template, method and status"
    ),
}

# seconds: API answers (ms) to queue waits and transcodes (minutes, hours)
BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
    3600.0, float("inf"),
)  # fmt: skip


def sink_for(settings: Settings) -> str:
    """``emf``, ``prometheus`` or ``off``: the setting, or by where this runs (``auto``)."""
    chosen = settings.metrics_sink.strip().lower()
    if chosen in {"emf", "prometheus", "off"}:
        return chosen
    return "emf" if settings.lambda_function_name else "prometheus"


class _Prometheus:
    """The metrics as prometheus_client objects, in a registry of their own."""

    def __init__(self, multiprocess_dir: str) -> None:
        import prometheus_client as prom  # here: it reads PROMETHEUS_MULTIPROC_DIR at import

        self.multiprocess_dir = multiprocess_dir
        self.registry = prom.CollectorRegistry(auto_describe=True)
        self.metrics: dict[str, Any] = {}
        for name, spec in METRICS.items():
            full = f"{NAMESPACE.lower()}_{name}"
            if spec.kind == COUNTER:
                metric = prom.Counter(full, spec.help, spec.labels, registry=self.registry)
            else:
                metric = prom.Histogram(
                    full, spec.help, spec.labels, registry=self.registry, buckets=BUCKETS
                )
            self.metrics[name] = metric

    def record(self, name: str, value: float, labels: dict[str, str]) -> None:
        metric = self.metrics[name]
        target = metric.labels(**labels) if labels else metric
        if METRICS[name].kind == COUNTER:
            target.inc(value)
        else:
            target.observe(value)

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=self.multiprocess_dir)
        return generate_latest(merged)


class _Emf:
    """One EMF line per record (Powertools' single_metric), labels as dimensions."""

    def __init__(self, service: str) -> None:
        self.service = service

    def record(self, name: str, value: float, labels: dict[str, str]) -> None:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        spec = METRICS[name]
        unit = MetricUnit.Seconds if spec.kind == TIMING else MetricUnit[spec.unit]
        metric_name = "".join(part.capitalize() for part in name.split("_"))  # ItemsScanned
        with single_metric(
            name=metric_name,
            unit=unit,
            value=value,
            namespace=NAMESPACE,
            default_dimensions={"service": self.service},
        ) as metric:
            for key, label in labels.items():
                metric.add_dimension(name=key, value=label)

    def exposition(self) -> bytes:
        return b""  # on AWS, CloudWatch holds them


class _Off:
    def record(self, name: str, value: float, labels: dict[str, str]) -> None:
        return

    def exposition(self) -> bytes:
        return b""


_sink: Any = None
_lock = threading.Lock()
_complained: set[str] = set()


def _current() -> Any:
    global _sink
    if _sink is None:
        with _lock:
            if _sink is None:
                settings = get_settings()
                kind = sink_for(settings)
                if kind == "emf":
                    _sink = _Emf(settings.service_name)
                elif kind == "prometheus":
                    _sink = _Prometheus(settings.metrics_dir)
                else:
                    _sink = _Off()
    return _sink


def reset() -> None:
    """Choose the sink again from the settings at the next record (tests)."""
    global _sink
    with _lock:
        _sink = None


def _record(name: str, value: float, labels: dict[str, Any]) -> None:
    spec = METRICS[name]  # an undeclared name is a programming error: KeyError, in tests
    clean = {key: str(labels.get(key, "")) for key in spec.labels}
    try:
        _current().record(name, value, clean)
    except Exception as exc:  # a metric is never worth a failed request
        if name not in _complained:
            _complained.add(name)
            from viewra.common.logs import logger

            logger.warning("metric not recorded", extra={"metric": name, "error": repr(exc)})


def count(name: str, value: float = 1, **labels: Any) -> None:
    """Add ``value`` to the counter ``name`` (labels as declared in :data:`METRICS`)."""
    _record(name, value, labels)


def observe(name: str, seconds: float, **labels: Any) -> None:
    """Record one timing of ``name``, in seconds."""
    _record(name, max(0.0, seconds), labels)


@contextmanager
def timed(name: str, **labels: Any) -> Iterator[dict[str, Any]]:
    """Time the block into ``name``; the block may set or change labels in the yielded dict
    (an outcome known only at the end), and a block that raises is still timed."""
    found = dict(labels)
    started = time.perf_counter()
    try:
        yield found
    finally:
        observe(name, time.perf_counter() - started, **found)


def exposition() -> bytes:
    """Every metric in Prometheus text format (all the local stack's processes), or nothing
    where the sink is CloudWatch."""
    return _current().exposition()


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

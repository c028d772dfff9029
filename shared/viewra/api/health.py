"""Health: can this deployment reach each bucket, table and queue it needs, and how deep is
each queue and its dead-letter queue?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from viewra.common.parallel_calls import together
from viewra.common.stack import stack_for

if TYPE_CHECKING:
    from viewra.bootstrap import Services


def check_health(services: Services) -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    s = services.settings
    for bucket in (s.media_bucket, s.content_bucket):
        checks[f"bucket:{bucket}"] = _run(lambda b=bucket: services.objects.check_bucket(b))
    for model in services.tables.all():
        name = model.Meta.table_name
        checks[f"table:{name}"] = _run(lambda m=model: _table(m))
    queues = queue_depths(services)
    for name, depth in queues.items():
        checks[f"queue:{name}"] = depth.get("error", "ok")
    ok = all(v == "ok" for v in checks.values())
    return ok, {"status": "ok" if ok else "degraded", "checks": checks, "queues": queues}


def queue_depths(services: Services) -> dict[str, dict[str, Any]]:
    """Each queue of the stack: messages waiting (``visible``), being handled (``in_flight``),
    delayed, and its dead-letter queue's count (``dead_letters``: what failed past
    maxReceiveCount and waits for someone to look). Read at once, one thread per queue.
    A queue that cannot be read has an ``error`` instead."""
    specs = stack_for(services.settings).queues
    found: dict[str, dict[str, Any]] = {spec.name: {} for spec in specs}

    def read(name: str, dlq: str) -> None:
        try:
            depth: dict[str, Any] = dict(services.queues.depth(name))
            dead = services.queues.depth(dlq)
            depth["dead_letters"] = dead["visible"] + dead["in_flight"] + dead["delayed"]
            depth["dlq"] = dlq
        except Exception as exc:  # what health reports, never raises
            depth = {"error": f"error: {type(exc).__name__}: {exc}"[:300]}
        found[name] = depth

    together(*[lambda q=spec.name, d=spec.dlq_name: read(q, d) for spec in specs])
    return found


def _table(model: Any) -> None:
    if not model.exists():
        raise LookupError("table does not exist")


def _run(check: Any) -> str:
    try:
        check()
    except Exception as exc:  # any failure is what health reports, never raises
        return f"error: {type(exc).__name__}: {exc}"[:300]
    return "ok"

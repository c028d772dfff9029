"""Health: can this deployment reach each bucket, table and queue it needs?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    for queue in (s.scan_queue, s.transcode_queue):
        checks[f"queue:{queue}"] = _run(lambda q=queue: services.queues.check(q))
    ok = all(v == "ok" for v in checks.values())
    return ok, {"status": "ok" if ok else "degraded", "checks": checks}


def _table(model: Any) -> None:
    if not model.exists():
        raise LookupError("table does not exist")


def _run(check: Any) -> str:
    try:
        check()
    except Exception as exc:  # any failure is what health reports, never raises
        return f"error: {type(exc).__name__}: {exc}"[:300]
    return "ok"

"""``make run``: the embedded emulator, the bootstrap, the API and the queue workers, together.

Ctrl-C (or SIGTERM) stops everything this started. The data needs no last act: the emulator
answers a write only once it is on disk (:mod:`viewra.local.durable`), in ``$VIEWRA_STATE_DIR/
emulator``, so a ``kill -9`` of every process loses nothing that was acknowledged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from viewra.local.emulator import Emulator


def _configure_environment(endpoint: str) -> None:
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "viewra-local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "viewra-local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from viewra.common.settings import get_settings

    get_settings.cache_clear()


def _signing_key(state: Path) -> None:
    """Access tokens outlive a restart: without VIEWRA_AUTH_SIGNING_KEY, a random key is made
    once and kept in the state dir (0600), and every process of the stack reads it."""
    if os.environ.get("VIEWRA_AUTH_SIGNING_KEY"):
        return
    path = state / "signing-key"
    if not path.exists():
        import secrets

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    os.environ["VIEWRA_AUTH_SIGNING_KEY"] = path.read_text().strip()


def _metrics_dir(state: Path) -> None:
    """Every process of the stack (this one, the worker processes it starts) writes its metrics
    into its own file under ``state/metrics`` and ``GET /metrics`` sums them (prometheus_client's
    multiprocess mode, which reads the variable when it is imported: hence before any import of
    the app). Counters start again at zero with each start, as a restarted exporter's do."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return  # the operator's own directory: theirs to empty
    path = state / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    from viewra.common.settings import get_settings

    get_settings.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="viewra-dev", description=__doc__)
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="keep nothing: the emulator's objects in a scratch directory emptied at start, no"
        " journal, no fsync (tests and benchmarks)",
    )
    parser.add_argument(
        "--ready-json",
        action="store_true",
        help="print one JSON line with the endpoints once ready (for tests)",
    )
    parser.add_argument(
        "--external-endpoints",
        action="store_true",
        help="start no emulator: use the configured AWS_ENDPOINT_URL(_S3/_SQS/_DYNAMODB/_SNS)"
        " (LocalStack, MinIO, or a moto_server started elsewhere)",
    )
    args = parser.parse_args(argv)

    from viewra.common.settings import Settings

    boot = Settings.from_env()
    state = Path(boot.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    _signing_key(state)
    _metrics_dir(state)
    emulator = None
    if not args.external_endpoints:
        data = state / ("emulator-scratch" if args.no_snapshot else "emulator")
        if args.no_snapshot:
            shutil.rmtree(data, ignore_errors=True)
        emulator = Emulator(
            port=boot.emulator_port,
            log_path=state / "emulator.log",
            state_dir=data,
            fsync=not args.no_snapshot,
            compact_bytes=boot.emulator_compact_bytes,
        ).start(timeout=300)  # a large state is replayed before the first answer
    stop = threading.Event()
    workers: list = []
    children: list[subprocess.Popen[bytes]] = []
    api = None
    try:
        if emulator is not None:
            _configure_environment(emulator.url)
        from viewra.common.settings import get_settings
        from viewra.local import heap, snapshot
        from viewra.local.apiserver import ApiServer
        from viewra.local.worker import queue_workers
        from viewra.storage.bootstrap import bootstrap, missing_indexes

        settings = get_settings()
        upgraded = missing_indexes(settings)
        bootstrap(settings, visibility_timeout=settings.queue_visibility_timeout)
        from viewra.local.reindex import reindex, rows_stale

        if upgraded or rows_stale(settings):
            # a state dir from an earlier version: its items get the new indexes' keys and the
            # search rows of this version's rules (and the counts) once, as `viewra reindex`
            # would (a new state dir: a reindex of nothing, which marks its rows current)
            items, rows = reindex(settings)
            why = f"new indexes {', '.join(upgraded)}" if upgraded else "older search rows"
            if upgraded or items:
                print(f"{why}: reindexed {items} items ({rows} search rows)", file=sys.stderr)
        old_snapshot = state / "snapshot"
        if emulator is not None and not args.no_snapshot and old_snapshot.is_dir():
            # a state dir from before the durable emulator: load its copy once, then set it aside
            restored = snapshot.restore(settings, old_snapshot)
            old_snapshot.rename(state / "snapshot.restored")
            print(
                f"restored {restored['objects']} objects and {restored['rows']} rows"
                f" from {old_snapshot} (now {state / 'snapshot.restored'})",
                file=sys.stderr,
            )
        # Queue workers in processes of their own, as Lambda runs each invocation in its own
        # sandbox: here one process's Python work (the scan's MediaInfo and guessit, botocore)
        # shares one GIL, and the API's requests would wait behind it. The first extra process
        # also takes the event subscribers; with VIEWRA_SCAN_PROCESSES=1 everything stays here.
        extra = max(settings.scan_processes, 1) - 1
        here = ["scan"] + ([] if extra else ["enrich", "events"])
        groups = [["scan", "enrich", "events"]] + [["scan"]] * (extra - 1) if extra else []
        children += [
            # own sessions, like the emulator's: the runner stops them, in order, on Ctrl-C
            subprocess.Popen(
                [sys.executable, "-m", "viewra.local.worker", *group], start_new_session=True
            )
            for group in groups
        ]
        # Transcode workers: processes of their own (a chunked job's chunks run side by side,
        # as Lambda runs them), each ffmpeg with its share of the cores
        count, threads = transcode_worker_shares(settings.transcode_workers, os.cpu_count())
        env = {**os.environ, "VIEWRA_TRANSCODE_THREADS": str(settings.transcode_threads or threads)}
        children += [
            subprocess.Popen(
                [sys.executable, "-m", "viewra.local.worker", "transcode"],
                start_new_session=True,
                env=env,
            )
            for _ in range(count)
        ]
        workers += [w.start() for w in queue_workers(settings, here)]
        api = ApiServer(port=settings.api_port).start()
        heap.settle()  # start-up's objects out of the GC's full passes (viewra.local.heap)
        endpoints = {
            svc: settings.endpoint_for(svc) or "" for svc in ("s3", "sqs", "dynamodb", "sns")
        }
        from viewra.bootstrap import get_services

        has_users = get_services().account_store.has_users()
        _announce(settings, endpoints, api.url, args.ready_json, has_users)

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        # short waits: Python runs a signal's handler in the main thread only when it wakes
        while not stop.wait(0.5):
            pass
        print("stopping…", file=sys.stderr)
        for child in children:
            child.terminate()
        for w in workers:  # all polls end together
            w.request_stop()
        for w in workers:
            w.stop()
        for child in children:
            try:
                child.wait(timeout=40)
            except subprocess.TimeoutExpired:
                child.kill()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        if api is not None:
            api.stop()
        if emulator is not None:
            emulator.stop()
    return 0


def transcode_worker_shares(configured: int, cores: int | None) -> tuple[int, int]:
    """(worker processes, ffmpeg threads each): ``VIEWRA_TRANSCODE_WORKERS``, else one per two
    cores (at least one); the cores shared out evenly, at least one thread each."""
    cores = max(cores or 1, 1)
    count = configured if configured > 0 else max(1, cores // 2)
    return count, max(1, cores // count)


def first_admin_hint(endpoint: str) -> str:
    """How to make the first administrator (printed while no user exists)."""
    return f"""No user exists yet. Create the first administrator (the password is asked for):
  AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \\
    .venv/bin/viewra users create --admin NAME
then log in (the token is kept in ~/.config/viewra, mode 0600):
  .venv/bin/viewra login --user NAME
"""


def _announce(
    settings: object, endpoints: dict[str, str], api_url: str, as_json: bool, has_users: bool
) -> None:
    s = settings
    endpoint = endpoints["s3"]
    if as_json:
        ready = {
            "endpoint": endpoint,
            "endpoints": endpoints,
            "api": api_url,
            "bucket": s.media_bucket,  # type: ignore[attr-defined]
            "has_users": has_users,
        }
        print(json.dumps(ready), flush=True)
        return
    bucket = s.media_bucket  # type: ignore[attr-defined]
    state = s.state_dir  # type: ignore[attr-defined]
    print(
        f"""
Viewra is running.
  API         {api_url}        (try: curl {api_url}/health)
  emulator    {endpoint}       (S3, SQS, DynamoDB)
  bucket      s3://{bucket}/
{"" if has_users else chr(10) + first_admin_hint(endpoint)}
Create a library, then drop files into its prefix:
  .venv/bin/viewra libraries add Movies movies/ --kind movies
  .venv/bin/aws --endpoint-url {endpoint} s3 cp film.mkv s3://{bucket}/movies/
  .venv/bin/viewra items

Ctrl-C stops everything; the library is kept in {state}/emulator (rm -rf {state}: start over).
""",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())

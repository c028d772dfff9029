"""Load: N concurrent clients against the running local stack for a bounded time.

    .venv/bin/python bench/load.py                         # 50 then 200 clients, 45 s each
    .venv/bin/python bench/load.py --clients 50 --seconds 30
    .venv/bin/python bench/load.py --clients 50,200 --seconds 60 --json

What runs: ``python -m viewra.local.run --ready-json --no-snapshot`` as a subprocess (its own
free ports, a temporary state dir; ``bench/_common.launch``), stopped at the end. A library of
``--items`` copies of one 300 s MP4 (64x36 at 1 fps, h264 + AAC: kilobytes, and Chrome plays it
directly) is catalogued first, and ``--users`` regular users are made and logged in (access
tokens, as the web app holds them).

Each client is a thread with its own keep-alive connection (``requests.Session``), doing one of
three things until the time is up (the mix: 70 % players, 20 % browsers, 10 % followers):
- player: ``POST /items/{id}/playback``, then ``POST /sessions/{id}/progress`` every "10 s" of
  the film compressed into ``--tick`` seconds (0.25 s), then ``POST /sessions/{id}/stop``. Half
  the sessions resume at 150 to 240 s and play to 95 % (a completed play: the play count
  moves), half start at 0 and stop at a random point below 85 % (it does not);
- browser: ``GET /items`` of the library, sorted by title, year or date added, either order,
  with a short pause between pages;
- follower: ``GET /events?wait=5`` long polls (as an administrator: the route is theirs),
  following the cursor.
A player that is told the time is up still stops its session, so every session is finished.

Then the lost updates: every session is read back (``GET /sessions/{id}``) and must be stopped
at the position its client sent last, and each user's play count of each item
(``GET /users/{id}/history``) must have moved by exactly the completed plays the clients made.

The table: per route, requests, throughput, p50/p95/p99 (nearest rank), 4xx, 5xx; and the
connection errors (refused, reset, timed out: the client's timeout is 60 s), lost updates and
checks; then the ERROR lines the stack logged meanwhile. Acceptance (issue 20): 0 connection
errors, 0 5xx and 0 lost updates at 50 and 200 clients.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

import requests  # noqa: E402

from bench._common import launch, percentile, step  # noqa: E402  (also the stack's credentials)

DURATION = 300  # seconds of the film
STEP = 10  # media seconds between progress reports
TIMEOUT = 60  # a client's patience for one answer
ARGON2_CHEAP = {  # users are made for the bench: argon2 at its cheapest, as the test suite's
    "VIEWRA_AUTH_ARGON2_TIME_COST": "1",
    "VIEWRA_AUTH_ARGON2_MEMORY_KIB": "64",
    "VIEWRA_AUTH_ARGON2_PARALLELISM": "1",
    "VIEWRA_AUTH_ACCESS_TTL_SECONDS": "7200",
}


def make_film(workdir: Path) -> Path:
    """The film every item is a copy of (made once, kept under ``workdir``)."""
    path = workdir / f"film-{DURATION}s.mp4"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"color=c=navy:s=64x36:r=1:d={DURATION}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=8000:duration={DURATION}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "8k", "-ac", "1", "-movflags", "+faststart", str(path)],
        check=True, timeout=300,
    )  # fmt: skip
    return path


@dataclass
class Record:
    route: str
    status: int  # 0: no answer (connection error)
    seconds: float
    error: str = ""


@dataclass
class Results:
    records: list[Record] = field(default_factory=list)
    sessions: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # id: user, item, pos
    plays: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


class Client:
    """One client's connection; every call is timed and recorded, never raises."""

    def __init__(self, api: str, token: str, results: Results) -> None:
        self.api, self.results = api, results
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, route: str, path: str, **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            r = self.http.request(method, self.api + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            self.results.add(
                Record(route, 0, time.perf_counter() - started, type(exc).__name__ + f": {exc}")
            )
            return None
        self.results.add(Record(route, r.status_code, time.perf_counter() - started))
        return r


def player(client: Client, user: str, items: list[str], until: float, tick: float) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        item = rng.choice(items)
        complete = rng.random() < 0.5
        # completed: resumed at 150 to 240 s, reports every 10 s up to 280 of 300 s, stop at
        # 285 (past 90 %: a play); else from the start to a stop below 85 %, no report past it
        start = rng.randrange(15, 25) * STEP if complete else 0
        end = 0.95 * DURATION if complete else rng.randrange(0, 25) * STEP + 3
        r = client.call(
            "POST", "POST /items/{item_id}/playback", f"/items/{item}/playback",
            json={"profile": "chrome", "start_position": start},
        )  # fmt: skip
        if r is None or r.status_code != 201:
            time.sleep(tick)
            continue
        session = r.json()["id"]
        position = float(start)
        sent = 0.0
        while position + STEP < end and time.monotonic() < until:
            time.sleep(tick)
            position += STEP
            r = client.call(
                "POST", "POST /sessions/{session_id}/progress", f"/sessions/{session}/progress",
                json={"position": position},
            )  # fmt: skip
            if r is not None and r.status_code == 200:
                sent = position
        stop_at = end if position + STEP >= end else position + 1  # cut short by the clock
        r = client.call(
            "POST", "POST /sessions/{session_id}/stop", f"/sessions/{session}/stop",
            json={"position": stop_at},
        )  # fmt: skip
        with client.results.lock:
            if r is not None and r.status_code == 200:
                client.results.sessions[session] = (user, item, stop_at)
                if stop_at >= 0.9 * DURATION or sent >= 0.9 * DURATION:
                    client.results.plays[(user, item)] += 1
            else:  # not known to have stopped: not checked (its error is in the table)
                client.results.sessions.pop(session, None)


def browser(client: Client, library: str, until: float) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        sort = rng.choice(["title", "year", "added"])
        order = rng.choice(["asc", "desc"])
        client.call(
            "GET", "GET /items", "/items",
            params={"library": library, "sort": sort, "order": order, "limit": 50},
        )  # fmt: skip
        time.sleep(rng.uniform(0.05, 0.3))


def follower(client: Client, until: float) -> None:
    cursor = None
    while time.monotonic() < until:
        params: dict[str, Any] = {"wait": 5, "limit": 100}
        if cursor:
            params["after"] = cursor
        r = client.call("GET", "GET /events", "/events", params=params)
        if r is not None and r.status_code == 200:
            cursor = r.json().get("cursor") or cursor
        else:
            time.sleep(0.5)


def play_counts(api: str, tokens: dict[str, str], user_ids: dict[str, str]) -> dict:
    counts: dict[tuple[str, str], int] = {}
    for name, token in tokens.items():
        r = requests.get(
            f"{api}/users/{user_ids[name]}/history",
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        r.raise_for_status()
        for row in r.json()["items"]:
            counts[(name, row["item"]["id"])] = int(row["user_data"]["play_count"])
    return counts


def run_phase(
    api: str,
    clients: int,
    seconds: float,
    tick: float,
    library: str,
    items: list[str],
    tokens: dict[str, str],
    user_ids: dict[str, str],
    admin_token: str,
) -> dict[str, Any]:
    results = Results()
    before = play_counts(api, tokens, user_ids)
    names = sorted(tokens)
    started = time.monotonic()
    until = started + seconds
    threads = []
    for i in range(clients):
        role = i % 10
        if role < 7:
            user = names[i % len(names)]
            c = Client(api, tokens[user], results)
            target, args = player, (c, user, items, until, tick)
        elif role < 9:
            c = Client(api, tokens[names[i % len(names)]], results)
            target, args = browser, (c, library, until)
        else:
            c = Client(api, admin_token, results)
            target, args = follower, (c, until)
        threads.append(threading.Thread(target=target, args=args, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    # the lost updates: every stopped session where its client left it, every play counted
    checker = Client(api, admin_token, Results())

    def check(item: tuple[str, tuple[str, str, float]]) -> str | None:
        session_id, (_user, _item, position) = item
        r = checker.call("GET", "check", f"/sessions/{session_id}")
        if r is None or r.status_code != 200:
            return f"{session_id}: {r.status_code if r is not None else 'no answer'}"
        got = r.json()
        if got["state"] != "stopped" or abs(float(got["position"]) - position) > 1e-6:
            return f"{session_id}: {got['state']} at {got['position']}, sent stop at {position}"
        return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        session_faults = [f for f in pool.map(check, results.sessions.items()) if f]
    after = play_counts(api, tokens, user_ids)
    count_faults = []
    for key in set(after) | set(results.plays):
        moved = after.get(key, 0) - before.get(key, 0)
        if moved != results.plays.get(key, 0):
            count_faults.append(f"{key}: play count moved {moved}, clients completed "
                                f"{results.plays.get(key, 0)}")  # fmt: skip
    by_route: dict[str, list[Record]] = collections.defaultdict(list)
    for rec in results.records:
        by_route[rec.route].append(rec)
    routes = {}
    for route, recs in sorted(by_route.items()):
        answered = [r.seconds * 1000 for r in recs if r.status]
        routes[route] = {
            "requests": len(recs),
            "per_second": len(recs) / elapsed,
            "p50_ms": percentile(answered, 50),
            "p95_ms": percentile(answered, 95),
            "p99_ms": percentile(answered, 99),
            "max_ms": max(answered, default=float("nan")),
            "4xx": sum(1 for r in recs if 400 <= r.status < 500),
            "5xx": sum(1 for r in recs if r.status >= 500),
            "connection_errors": sum(1 for r in recs if r.status == 0),
        }
    errors = collections.Counter(r.error.split(":")[0] for r in results.records if r.status == 0)
    statuses = collections.Counter(r.status for r in results.records if r.status >= 400)
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(results.records),
        "per_second": len(results.records) / elapsed,
        "routes": routes,
        "connection_errors": sum(v["connection_errors"] for v in routes.values()),
        "connection_error_kinds": dict(errors),
        "error_statuses": {str(k): v for k, v in statuses.items()},
        "5xx": sum(v["5xx"] for v in routes.values()),
        "sessions_checked": len(results.sessions),
        "plays_completed": sum(results.plays.values()),
        "lost_updates": len(session_faults) + len(count_faults),
        "lost_update_examples": (session_faults + count_faults)[:10],
    }


def render(phases: list[dict[str, Any]]) -> str:
    lines = []
    for p in phases:
        ok = p["connection_errors"] == 0 and p["5xx"] == 0 and p["lost_updates"] == 0
        lines += [
            "",
            f"### {p['clients']} clients, {p['seconds']:.0f} s: {p['requests']} requests, "
            f"{p['per_second']:.1f}/s {'✓' if ok else '✗'}",
            "",
            "| route | requests | /s | p50 ms | p95 ms | p99 ms | max ms | 4xx | 5xx | conn. err |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for route, r in p["routes"].items():
            lines.append(
                f"| {route} | {r['requests']} | {r['per_second']:.1f} | {r['p50_ms']:.0f} | "
                f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['4xx']} | "
                f"{r['5xx']} | {r['connection_errors']} |"
            )
        lines += [
            "",
            f"connection errors: {p['connection_errors']} {p['connection_error_kinds'] or ''}  "
            f"5xx: {p['5xx']}  error statuses: {p['error_statuses'] or 'none'}",
            f"lost updates: {p['lost_updates']} (sessions checked: {p['sessions_checked']}, "
            f"completed plays: {p['plays_completed']})",
        ]
        lines += [f"  {x}" for x in p["lost_update_examples"]]
        if "cpu_cores" in p:
            busy = ", ".join(f"{k} {v:.2f}" for k, v in p["cpu_cores"].items())
            lines.append(f"CPU (cores busy): {busy}")
    return "\n".join(lines)


def stack_errors(log: Path) -> list[str]:
    """The stack's ERROR/CRITICAL log lines (JSON lines on its stdout, saved by the bench)."""
    found = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") in {"ERROR", "CRITICAL"}:
            found.append(f"{record.get('message')}: {str(record.get('exception', ''))[-200:]}")
    return found


def setup(running: Any, film: Path, items: int, users: int) -> dict[str, Any]:
    stack = running.stack
    lib = stack.library("movies")
    s3 = stack.client("s3")
    body = film.read_bytes()
    keys = [f"{lib['prefix']}Film {i:03d} ({1950 + i}).mp4" for i in range(items)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=stack.bucket, Key=k, Body=body), keys))
    ready = stack.wait_for(
        lambda: (found := stack.items(lib["id"], "ready")) and len(found) == items and found,
        300,
        f"{items} items catalogued",
        interval=1,
    )
    tokens, user_ids = {}, {}
    for i in range(users):
        name = f"viewer{i}-{uuid.uuid4().hex[:6]}"
        password = uuid.uuid4().hex
        r = stack.post("/users", {"name": name, "password": password})
        r.raise_for_status()
        user_ids[name] = r.json()["id"]
        tokens[name] = stack.login(name, password)["access_token"]
        grant = requests.put(
            f"{stack.api}/users/{user_ids[name]}/libraries",
            json={"libraries": [lib["id"]]},
            headers=stack.headers,
            timeout=TIMEOUT,
        )
        grant.raise_for_status()
    admin_token = stack.login(*stack.admin)["access_token"]
    return {
        "library": lib["id"],
        "items": [i["id"] for i in ready],
        "tokens": tokens,
        "user_ids": user_ids,
        "admin_token": admin_token,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="50,200", help="client counts, one phase each")
    parser.add_argument("--seconds", type=float, default=45.0, help="length of each phase")
    parser.add_argument("--tick", type=float, default=0.25, help="real seconds per 10 s played")
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/viewra-bench"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    film = make_film(args.workdir)
    with tempfile.TemporaryDirectory(prefix="viewra-load-") as tmp:
        step("starting the stack")
        running = launch(Path(tmp), env_extra=ARGON2_CHEAP)
        try:
            step(f"cataloguing {args.items} items, making {args.users} users")
            ctx = setup(running, film, args.items, args.users)
            phases = []
            for n in counts:
                step(f"{n} clients for {args.seconds:.0f} s")
                cpu_before, clock = running.cpu(), time.monotonic()
                phase = run_phase(
                    running.stack.api,
                    n,
                    args.seconds,
                    args.tick,
                    ctx["library"],
                    ctx["items"],
                    ctx["tokens"],
                    ctx["user_ids"],
                    ctx["admin_token"],
                )
                wall = time.monotonic() - clock
                cpu_after = running.cpu()
                # share of one core per process over the phase (its checks included): what
                # bounds the throughput on this machine
                phase["cpu_cores"] = {
                    name: (cpu_after[name] - cpu_before[name]) / wall for name in cpu_after
                }
                phases.append(phase)
        finally:
            running.stop()
        logged = stack_errors(Path(tmp) / "stack.log")
    print(render(phases))
    print(f"\nERROR lines the stack logged: {len(logged)}")
    for line in logged[:5]:
        print(f"  {line[:300]}")
    if args.json:
        print(json.dumps(phases, indent=2, default=str))
    failed = any(p["connection_errors"] or p["5xx"] or p["lost_updates"] for p in phases)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

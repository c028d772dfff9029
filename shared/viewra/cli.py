"""``viewra``: the command line, a client of the HTTP API (it never touches AWS directly)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import requests
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from viewra.settings import Settings

console = Console()


class ApiError(Exception):
    pass


class Client:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self.http.request(method, self.base + path, timeout=30, **kwargs)
        except requests.ConnectionError as exc:
            raise ApiError(f"cannot reach the API at {self.base} (is `make run` running?)") from exc
        if r.status_code == 204:
            return None
        body = r.json() if r.content else None
        if r.status_code >= 400:
            err = (body or {}).get("error", {})
            raise ApiError(f"{r.status_code} {err.get('code', '')}: {err.get('message', r.text)}")
        return body

    def library(self, ref: str) -> dict[str, Any]:
        """A library by id or (case-insensitive) name."""
        for lib in self.call("GET", "/libraries")["libraries"]:
            if ref in (lib["id"],) or lib["name"].casefold() == ref.casefold():
                return lib
        raise ApiError(f"no library {ref!r}")


def _libraries_add(c: Client, a: argparse.Namespace) -> None:
    r = c.call("POST", "/libraries", json={"name": a.name, "prefix": a.prefix, "kind": a.kind})
    lib = r["library"]
    console.print(
        f"library [bold]{lib['name']}[/] ({lib['id']}) on {lib['prefix']}; "
        f"scan {r['scan']['id']} started"
    )


def _libraries_list(c: Client, a: argparse.Namespace) -> None:
    t = Table("id", "name", "prefix", "kind")
    for lib in c.call("GET", "/libraries")["libraries"]:
        t.add_row(lib["id"], lib["name"], lib["prefix"], lib["kind"])
    console.print(t)


def wait_for_scan(c: Client, scan_id: str, timeout: float, interval: float = 0.5) -> dict[str, Any]:
    """Poll the scan, showing a live bar of queued/done/skipped/failed, until it completes."""
    deadline = time.monotonic() + timeout
    with Progress(
        TextColumn("[bold]scan[/] {task.fields[id]}"),
        BarColumn(),
        TextColumn(
            "{task.completed}/{task.total} · queued {task.fields[queued]} · "
            "done {task.fields[done]} · skipped {task.fields[skipped]} · "
            "failed {task.fields[failed]} · {task.fields[status]}"
        ),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(
            "scan", total=None, id=scan_id, queued=0, done=0, skipped=0, failed=0, status="listing"
        )
        while True:
            scan = c.call("GET", f"/scans/{scan_id}")
            processed = scan["done"] + scan["skipped"] + scan["failed"]
            progress.update(
                task,
                total=max(scan["total"], 1),
                completed=processed,
                **{k: scan[k] for k in ("queued", "done", "skipped", "failed", "status")},
            )
            if scan["status"] == "completed":
                return scan
            if time.monotonic() > deadline:
                raise ApiError(f"scan {scan_id} not completed after {timeout:.0f}s")
            time.sleep(interval)


def _scan(c: Client, a: argparse.Namespace) -> None:
    lib = c.library(a.library)
    scan = c.call("POST", f"/libraries/{lib['id']}/scan")
    if a.wait:
        scan = wait_for_scan(c, scan["id"], a.timeout)
        console.print(
            f"scan {scan['id']} completed: {scan['done']} done, {scan['skipped']} skipped, "
            f"{scan['failed']} failed"
        )
    else:
        console.print(f"scan {scan['id']} queued")


def _fmt_duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _items(c: Client, a: argparse.Namespace) -> None:
    params = {
        k: v
        for k, v in {
            "q": a.query,
            "type": a.type,
            "genre": a.genre,
            "status": a.status,
            "sort": a.sort,
            "limit": a.limit,
        }.items()
        if v is not None
    }
    if a.library:
        params["library"] = c.library(a.library)["id"]
    page = c.call("GET", "/items", params=params)
    t = Table("id", "kind", "title", "year", "detail", "video", "audio", "duration", "status")
    for it in page["items"]:
        video = next((s for s in it["streams"] if s["type"] == "video"), None)
        audio = next((s for s in it["streams"] if s["type"] == "audio"), None)
        detail = ""
        if it["kind"] == "episode":
            season, episode = it.get("season") or 0, it.get("episode") or 0
            detail = f"{it.get('series') or ''} S{season:02d}E{episode:02d}"
        elif it["kind"] == "track":
            detail = " - ".join(x for x in (it.get("artist"), it.get("album")) if x)
        vtxt = f"{video['codec']} {video.get('width')}x{video.get('height')}" if video else ""
        t.add_row(
            it["id"],
            it["kind"],
            it.get("title") or "",
            str(it.get("year") or ""),
            detail,
            vtxt,
            audio["codec"] if audio else "",
            _fmt_duration(it.get("duration")),
            it["status"]
            if it["status"] == "ready"
            else f"{it['status']}: {it.get('failure_reason')}",
        )
    console.print(t)
    if page.get("cursor"):
        console.print(f"more: --cursor {page['cursor']}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="viewra", description="Viewra media library, from the shell")
    p.add_argument("--api", default=None, help="API base URL (default $VIEWRA_API_URL)")
    sub = p.add_subparsers(dest="command", required=True)

    libs = sub.add_parser("libraries", help="manage libraries").add_subparsers(
        dest="action", required=True
    )
    add = libs.add_parser("add", help="create a library over a bucket prefix")
    add.add_argument("name")
    add.add_argument("prefix")
    add.add_argument("--kind", default="mixed", choices=["movies", "shows", "music", "mixed"])
    add.set_defaults(func=_libraries_add)
    libs.add_parser("list", help="list libraries").set_defaults(func=_libraries_list)

    scan = sub.add_parser("scan", help="rescan a library")
    scan.add_argument("library", help="library id or name")
    scan.add_argument("--wait", action="store_true", help="show progress until the scan completes")
    scan.add_argument("--timeout", type=float, default=3600)
    scan.set_defaults(func=_scan)

    items = sub.add_parser("items", help="list items")
    items.add_argument("--query", "-q")
    items.add_argument("--library")
    items.add_argument("--type", choices=["movie", "episode", "track", "video", "unknown"])
    items.add_argument("--genre")
    items.add_argument("--status", choices=["ready", "failed", "all"])
    items.add_argument("--sort", choices=["title", "added", "year"])
    items.add_argument("--limit", type=int, default=50)
    items.set_defaults(func=_items)

    dev = sub.add_parser("dev", help="run the local stack (what `make run` does)")
    dev.set_defaults(func=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args, rest = build_parser().parse_known_args(argv)
    if args.command == "dev":
        from viewra.local.run import main as run_main

        return run_main(rest)
    if rest:
        build_parser().error(f"unrecognized arguments: {' '.join(rest)}")
    client = Client(args.api or Settings.from_env().api_url)
    try:
        args.func(client, args)
    except ApiError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``viewra``: the command line, a client of the HTTP API (it never touches AWS directly, but
for ``viewra users create``, which makes the first administrator before anyone can log in).

Credentials: ``VIEWRA_API_KEY``, else the tokens ``viewra login`` kept (refreshed when the access
token has expired)."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
import time
from typing import Any

import requests
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from viewra import credentials
from viewra.common.identifiers import PATH_PARAMETERS
from viewra.common.settings import Settings

console = Console()


class ApiError(Exception):
    pass


class Client:
    def __init__(self, base_url: str, settings: Settings | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.settings = settings or Settings(api_url=self.base)

    def _authorization(self) -> dict[str, str]:
        if self.settings.api_key:
            return {"Authorization": f"Bearer {self.settings.api_key}"}
        kept = credentials.load(self.settings)
        return {"Authorization": f"Bearer {kept['access_token']}"} if kept else {}

    def _refresh(self) -> bool:
        """New tokens for the kept refresh token (it is used up: rotation); False if none."""
        kept = credentials.load(self.settings)
        if self.settings.api_key or not kept:
            return False
        r = self.http.post(
            self.base + "/auth/refresh", json={"refresh_token": kept["refresh_token"]}, timeout=30
        )
        if r.status_code != 200:
            return False
        credentials.save(self.settings, r.json())
        return True

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self._send(method, path, **kwargs)
            if r.status_code == 401 and self._refresh():
                r = self._send(method, path, **kwargs)
        except requests.ConnectionError as exc:
            raise ApiError(f"cannot reach the API at {self.base} (is `make run` running?)") from exc
        if r.status_code == 401 and not self.settings.api_key:
            body = r.json() if r.content else {}
            message = (body.get("error") or {}).get("message", "")
            raise ApiError(f"401: {message} (log in with `viewra login` or set VIEWRA_API_KEY)")
        if r.status_code == 204:
            return None
        body = r.json() if r.content else None
        if r.status_code >= 400:
            err = (body or {}).get("error", {})
            raise ApiError(f"{r.status_code} {err.get('code', '')}: {err.get('message', r.text)}")
        return body

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self._authorization(), **kwargs.pop("headers", {})}
        return self.http.request(method, self.base + path, timeout=30, headers=headers, **kwargs)

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


ITEM_ID = PATH_PARAMETERS["item_id"]


def find_item(c: Client, ref: str) -> dict[str, Any]:
    """An item by id, else the one item whose title matches ``ref`` (a title with spaces is no
    id: the API would refuse it as a malformed path, so it is searched for at once)."""
    if ITEM_ID.matches(ref):
        try:
            return c.call("GET", f"/items/{ref}")
        except ApiError as exc:
            if not str(exc).startswith("404"):
                raise
    found = c.call("GET", "/items", params={"q": ref, "limit": 10})["items"]
    exact = [i for i in found if (i.get("title") or "").casefold() == ref.casefold()]
    matches = exact or found
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ApiError(f"no item {ref!r}")
    names = ", ".join(f"{i['title']} ({i['id']})" for i in matches[:5])
    raise ApiError(f"{ref!r} matches several items: {names}")


def _play(c: Client, a: argparse.Namespace) -> None:
    item = find_item(c, a.item)
    body: dict[str, Any] = {"profile": a.profile}
    for name in ("max_streaming_bitrate", "audio_stream_index", "subtitle_stream_index"):
        if getattr(a, name) is not None:
            body[name] = getattr(a, name)
    s = c.call("POST", f"/items/{item['id']}/playback", json=body)
    d = s["decision"]
    console.print(
        f"[bold]{item.get('title') or item['key']}[/] on {d.get('profile_name') or a.profile}: "
        f"[bold]{d['method']}[/]"
    )
    console.print(f"reasons: {', '.join(d['reasons']) or 'none'}")
    console.print(
        f"streams: video {d.get('video_stream_index')}, audio {d.get('audio_stream_index')}, "
        f"subtitle {d.get('subtitle_stream_index')} ({d.get('subtitle_delivery') or '-'})"
    )
    if d.get("target"):
        t = d["target"]
        console.print(
            f"target: {t.get('container')}/{t.get('protocol')} video {t.get('video_codec')} "
            f"audio {t.get('audio_codec')} max {t.get('max_width')}x{t.get('max_height')} "
            f"{t.get('video_bitrate')} b/s"
        )
    console.print(f"session: {s['id']} ({s['status']})")
    # not through rich: a URL must stay on one line to be copied
    print(f"url: {s['url']}" if s.get("url") else "url: none yet", flush=True)


def wait_for_job(c: Client, h: str, timeout: float, interval: float = 0.5) -> dict[str, Any]:
    """Poll the job record, drawing percent, fps, speed and ETA, until it ends."""
    deadline = time.monotonic() + timeout
    with Progress(
        TextColumn("[bold]transcode[/] {task.fields[h]}"),
        BarColumn(),
        TextColumn(
            "{task.percentage:>5.1f}% · {task.fields[fps]} fps · "
            "{task.fields[speed]}x · ETA {task.fields[eta]} · {task.fields[status]}"
        ),
        console=console,
    ) as progress:
        task = progress.add_task(
            "job", total=100, h=h[:12], fps="-", speed="-", eta="-", status="queued"
        )
        while True:
            job = c.call("GET", f"/transcodes/{h}")
            done = job["status"] == "ready"
            progress.update(
                task,
                completed=100 if done else (job.get("progress") or 0),
                fps=f"{job['fps']:.0f}" if job.get("fps") else "-",
                speed=f"{job['speed']:.2f}" if job.get("speed") else "-",
                eta=f"{job['eta_seconds']:.0f}s" if job.get("eta_seconds") else "-",
                status=job["status"],
            )
            if job["status"] in {"ready", "failed", "cancelled"}:
                return job
            if time.monotonic() > deadline:
                raise ApiError(f"transcode {h} not finished after {timeout:.0f}s")
            time.sleep(interval)


def _transcode(c: Client, a: argparse.Namespace) -> None:
    """Prepare the version a device profile needs (direct play off, so a job is made)."""
    item = find_item(c, a.item)
    s = c.call(
        "POST",
        f"/items/{item['id']}/playback",
        json={"profile": a.profile, "allow_direct_play": False},
    )
    if not s.get("transcode_id"):
        raise ApiError(f"{s['method']}: nothing to transcode")
    console.print(f"{s['method']} ({', '.join(s['decision']['reasons'])}) -> {s['transcode_id']}")
    if a.wait:
        job = wait_for_job(c, s["transcode_id"], a.timeout)
        if job["status"] != "ready":
            raise ApiError(f"transcode {job['status']}: {job.get('error') or ''}")
    print(f"url: {s['url']}", flush=True)


def read_password(prompt: str = "password: ", confirm: bool = True) -> str:
    """Asked twice at a terminal; else the first line of stdin. Never a default."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != first:
            raise ApiError("the two passwords differ")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ApiError("no password on stdin")
    return line


def _users_create(c: Client, a: argparse.Namespace) -> None:
    """Straight into the accounts table (the first admin cannot log in to create itself), with
    the settings' AWS endpoints and names, as the API would."""
    from viewra.accounts.models import UserCreate
    from viewra.bootstrap import get_services
    from viewra.common.errors import ViewraError
    from viewra.common.http_answers import validation_message

    try:
        request = UserCreate(name=a.name, password=read_password(), admin=a.admin)
    except ValueError as exc:
        raise ApiError(validation_message(exc) if hasattr(exc, "errors") else str(exc)) from exc
    try:
        user = get_services().accounts.create_user(request)
    except ViewraError as exc:
        raise ApiError(f"{exc.code}: {exc.message}") from exc
    console.print(f"user [bold]{user.id}[/] created ({user.role.value})")


def _users_list(c: Client, a: argparse.Namespace) -> None:
    t = Table("id", "role", "created")
    for user in c.call("GET", "/users")["users"]:
        t.add_row(user["id"], user["role"], user["created_at"])
    console.print(t)


def _grant(c: Client, a: argparse.Namespace) -> None:
    ids = [c.library(ref)["id"] for ref in a.libraries]
    r = c.call("PUT", f"/users/{a.name}/libraries", json={"libraries": ids})
    console.print(f"{a.name} may see: {', '.join(r['libraries']) or 'nothing'}")


def _login(c: Client, a: argparse.Namespace) -> None:
    name = a.user or input("user: ")
    password = read_password(confirm=False)
    r = c.http.post(
        c.base + "/auth/login", json={"username": name, "password": password}, timeout=30
    )
    if r.status_code != 200:
        err = (r.json() if r.content else {}).get("error", {})
        raise ApiError(f"{r.status_code} {err.get('code', '')}: {err.get('message', r.text)}")
    where = credentials.save(c.settings, r.json())
    console.print(f"logged in as [bold]{r.json()['user']['id']}[/] (token kept in {where})")


def _logout(c: Client, a: argparse.Namespace) -> None:
    if credentials.load(c.settings):
        try:
            c.call("POST", "/auth/logout")
        finally:
            credentials.forget(c.settings)
    console.print("logged out")


def _api_key(c: Client, a: argparse.Namespace) -> None:
    r = c.call("POST", "/me/api-keys", json={"name": a.name})
    console.print(f"API key {r['id']} ({r['name']}); shown this once, keep it:")
    print(r["key"], flush=True)


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

    play = sub.add_parser("play", help="ask how an item plays on a device profile")
    play.add_argument("item", help="item id or title")
    play.add_argument("--profile", default="chrome", help="built-in profile (see GET /profiles)")
    play.add_argument("--max-streaming-bitrate", dest="max_streaming_bitrate", type=int)
    play.add_argument("--audio", dest="audio_stream_index", type=int)
    play.add_argument("--subtitle", dest="subtitle_stream_index", type=int)
    play.set_defaults(func=_play)

    tx = sub.add_parser("transcode", help="prepare an item for a device profile")
    tx.add_argument("item", help="item id or title")
    tx.add_argument("--profile", default="chrome")
    tx.add_argument("--wait", action="store_true", help="live progress until the job ends")
    tx.add_argument("--timeout", type=float, default=3600)
    tx.set_defaults(func=_transcode)

    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True
    )
    create = users.add_parser(
        "create", help="create a user (password prompted, or the first line of stdin)"
    )
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="an administrator")
    create.set_defaults(func=_users_create)
    users.add_parser("list", help="list users (admins)").set_defaults(func=_users_list)
    grant = users.add_parser("grant", help="the libraries a user may see (replaces the list)")
    grant.add_argument("name")
    grant.add_argument("libraries", nargs="*", help="library ids or names")
    grant.set_defaults(func=_grant)

    login = sub.add_parser("login", help="log in and keep the token (0600, user config dir)")
    login.add_argument("--user", "-u")
    login.set_defaults(func=_login)
    sub.add_parser("logout", help="revoke every token and forget the kept one").set_defaults(
        func=_logout
    )
    key = sub.add_parser("api-key", help="create an API key for scripts (VIEWRA_API_KEY)")
    key.add_argument("name")
    key.set_defaults(func=_api_key)

    dev = sub.add_parser("dev", help="run the local stack (what `make run` does)")
    dev.set_defaults(func=None)
    sub.add_parser(
        "reindex",
        help="rebuild the search index and the counts from the items (talks to the store "
        "directly, with the deployment's settings; run it while nothing writes)",
    ).set_defaults(func=None)
    return p


def reindex() -> int:
    from viewra.local.reindex import reindex as rebuild

    items, rows = rebuild()
    console.print(f"reindexed {items} items: {rows} search rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    args, rest = build_parser().parse_known_args(argv)
    if args.command == "dev":
        from viewra.local.run import main as run_main

        return run_main(rest)
    if args.command == "reindex":
        return reindex()
    if rest:
        build_parser().error(f"unrecognized arguments: {' '.join(rest)}")
    settings = Settings.from_env()
    if args.api:
        settings = dataclasses.replace(settings, api_url=args.api)
    client = Client(settings.api_url, settings)
    try:
        args.func(client, args)
    except ApiError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

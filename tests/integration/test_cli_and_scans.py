"""The viewra CLI against the running stack, library scans over existing objects, and data that
survives a restart of the stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from tests.integration.conftest import TEST_ENV, start_test_stack
from viewra.local.emulator import free_port
from viewra.local.launch import start_stack

pytestmark = pytest.mark.integration
VIEWRA = str(Path(sys.executable).with_name("viewra"))


def cli(stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIEWRA, "--api", stack.api, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=stack.env | {"COLUMNS": "200"},
    )


def test_cli_adds_a_library_over_existing_files_and_scans_with_progress(stack, media_dir) -> None:
    name = f"shows-{uuid.uuid4().hex[:6]}"
    s3 = stack.client("s3")
    keys = [f"{name}/Show/Season 01/Show.S01E{n:02d}.mp4" for n in range(1, 16)]
    for key in keys:
        s3.put_object(Bucket=stack.bucket, Key=key, Body=media_dir["mp4_faststart"].read_bytes())
    s3.put_object(
        Bucket=stack.bucket, Key=f"{name}/Show/junk.mp4", Body=media_dir["random"].read_bytes()
    )

    added = cli(stack, "libraries", "add", name, f"{name}/", "--kind", "shows")
    assert added.returncode == 0, added.stdout + added.stderr
    assert name in added.stdout and "scan" in added.stdout
    lib_id = stack.get("/libraries").json()["libraries"]
    lib_id = next(x["id"] for x in lib_id if x["name"] == name)
    stack.wait_for(lambda: len(stack.items(lib_id)) == 16, 120, "the first scan")

    scanned = cli(stack, "scan", name, "--wait", "--timeout", "120")
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    # everything was catalogued already (by the events or the first scan): a rescan skips all 16
    assert "completed: 0 done, 16 skipped, 0 failed" in scanned.stdout
    assert "queued" in scanned.stdout  # the progress line was drawn

    listed = cli(stack, "items", "--library", name, "--limit", "100")
    assert listed.returncode == 0, listed.stderr
    for n in range(1, 16):
        assert f"Show S01E{n:02d}" in listed.stdout
    failed = cli(stack, "items", "--library", name, "--status", "failed")
    assert "failed:" in failed.stdout and "junk.mp4" in failed.stdout

    found = cli(
        stack, "items", "--query", "show", "--library", name, "--type", "episode", "--limit", "3"
    )
    assert found.stdout.count("Show S01E") == 3 and "--cursor" in found.stdout


def test_first_scan_of_a_new_library_counts_every_object(stack, media_dir) -> None:
    name = f"movies-{uuid.uuid4().hex[:6]}"
    s3 = stack.client("s3")
    for n in range(12):
        s3.put_object(
            Bucket=stack.bucket,
            Key=f"{name}/Film {n} ({2000 + n}).mp4",
            Body=media_dir["mp4_faststart"].read_bytes(),
        )
    # these objects' events arrive before the library exists and are ignored; a store that
    # delivers them late (S3 may, LocalStack does) lets some be catalogued once it exists, and
    # the scan then skips those: either way every object is counted exactly once
    r = stack.post("/libraries", {"name": name, "prefix": f"{name}/", "kind": "movies"})
    scan = r.json()["scan"]
    done = stack.wait_for(
        lambda: (s := stack.get(f"/scans/{scan['id']}").json())["status"] == "completed" and s,
        120,
        "the scan",
    )
    assert (done["total"], done["done"] + done["skipped"], done["failed"], done["queued"]) == (
        12,
        12,
        0,
        0,
    )
    years = sorted(i["year"] for i in stack.items(r.json()["library"]["id"]))
    assert years == list(range(2000, 2012))


def test_unknown_command_and_unreachable_api_fail_clearly(stack) -> None:
    r = subprocess.run(
        [VIEWRA, "--api", "http://127.0.0.1:9", "items"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1 and "cannot reach the API" in r.stdout
    r = cli(stack, "scan", "no-such-library")
    assert r.returncode == 1 and "no library" in r.stdout


def test_library_survives_a_restart(tmp_path, media_dir) -> None:
    first = start_test_stack(tmp_path)
    try:
        lib = first.library("movies")
        key = lib["prefix"] + "Stalker.1979.mp4"
        first.client("s3").put_object(
            Bucket=first.bucket, Key=key, Body=media_dir["mp4_moov_end"].read_bytes()
        )
        before = first.item_at(lib["id"], key)
    finally:
        first.stop()
    second = start_test_stack(tmp_path)
    second.headers = first.headers  # the admin and its API key came back with the snapshot
    try:
        assert [x["id"] for x in second.get("/libraries").json()["libraries"]] == [lib["id"]]
        after = second.item_at(lib["id"], key, timeout=5)
        assert (after["id"], after["title"], after["added_at"]) == (
            before["id"],
            "Stalker",
            before["added_at"],
        )
        body = second.client("s3").get_object(Bucket=second.bucket, Key=key)["Body"].read()
        assert body == media_dir["mp4_moov_end"].read_bytes()
        # a rescan after the restart skips it: the catalogue matches the restored object
        scan = second.post(f"/libraries/{lib['id']}/scan").json()
        done = second.wait_for(
            lambda: (s := second.get(f"/scans/{scan['id']}").json())["status"] == "completed" and s,
            60,
            "the rescan",
        )
        assert (done["skipped"], done["done"]) == (1, 0)
    finally:
        second.stop()


def _children(pid: int) -> dict[int, str]:
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        found[int(child)] = cmdline
    return found


def test_extra_scan_processes_poll_and_stop_with_the_stack(tmp_path, media_dir) -> None:
    running = start_stack(
        tmp_path, "--no-snapshot", env_extra={**TEST_ENV, "VIEWRA_SCAN_PROCESSES": "3"}
    )
    try:
        scanners = [
            pid
            for pid, cmd in _children(running.process.pid).items()
            if "viewra.local.worker scan" in cmd
        ]
        assert len(scanners) == 2  # the runner itself is the third
        lib = running.library("movies")
        for i in range(12):  # enough messages for every process to take some
            running.client("s3").put_object(
                Bucket=running.bucket,
                Key=f"{lib['prefix']}Clip {i:02d} (2020).mp4",
                Body=media_dir["mp4_faststart"].read_bytes(),
            )
        running.wait_for(lambda: len(running.items(lib["id"])) == 12, 90, "12 items")
    finally:
        running.stop()
    for pid in scanners:
        assert (
            not os.path.exists(f"/proc/{pid}")
            or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # exited, not yet reaped
        )


def test_ctrl_c_stops_everything_and_keeps_the_data(tmp_path) -> None:
    """A terminal's Ctrl-C signals the whole process group: no process of the stack may be left
    behind, and what was stored is there at the next start."""
    env = {
        **os.environ,
        # the suite's queue settings: under make test-localstack this runner's bootstrap reaches
        # the shared LocalStack queues, and the default visibility timeout it would set there
        # kept the session stack's poison message out of the DLQ for minutes
        **TEST_ENV,
        "VIEWRA_EMULATOR_PORT": str(free_port()),
        "VIEWRA_API_PORT": str(free_port()),
        "VIEWRA_STATE_DIR": str(tmp_path),
        "VIEWRA_LOG_LEVEL": "WARNING",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    runner = subprocess.Popen(
        [sys.executable, "-m", "viewra.local.run", "--ready-json"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal of its own, so the group signal reaches only it
    )
    try:
        ready = json.loads(runner.stdout.readline())
        stack_pids = list(_children(runner.pid))
        assert len(stack_pids) >= 2  # the emulator and a worker process
        s3 = boto3.client(
            "s3",
            endpoint_url=ready["endpoint"],
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        s3.put_object(Bucket=ready["bucket"], Key="notes/kept.txt", Body=b"kept at Ctrl-C")
        os.killpg(runner.pid, signal.SIGINT)
        assert runner.wait(timeout=60) == 0
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    again = start_stack(tmp_path, env_extra=TEST_ENV)
    try:
        body = again.client("s3").get_object(Bucket=again.bucket, Key="notes/kept.txt")["Body"]
        assert body.read() == b"kept at Ctrl-C"
    finally:
        again.stop()
    for pid in stack_pids:
        assert (
            not os.path.exists(f"/proc/{pid}")
            or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
        )

"""Embedded text subtitles pulled out of a video as WebVTT, on the transcode workers.

Extracting a subtitle stream means reading the whole file (its packets are spread through it),
which can take minutes for a film: too long for an API request, and the api function has no
ffmpeg on Lambda. The API asks for it with a message on the transcode queue
(:func:`viewra.transcoding.models.subtitle_message`) and waits a little; a worker extracts every
stream the message names in one ffmpeg pass and stores each WebVTT file at the key the message
gives (under ``subtitles/``), or, when ffmpeg cannot, a ``.failed`` file beside it holding the
reason, so the API answers 422 instead of waiting for ever. Idempotent: streams already stored
are skipped, and a redelivered message writes the same files again.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from viewra.common.errors import PoisonMessage
from viewra.common.logs import logger
from viewra.transcoding.command import pinned_input_headers
from viewra.transcoding.context import Transcoder
from viewra.transcoding.models import FAILED_SUFFIX, SUBTITLE_PREFIX, VTT_CONTENT_TYPE
from viewra.transcoding.worker import URL_CONTAINERS, Heartbeat, start_process

TICK = 2.0  # seconds between looks at ffmpeg (heartbeat, timeout)


def _outputs(body: dict[str, Any]) -> dict[int, str]:
    outputs = body.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        raise PoisonMessage("a subtitle message names no outputs")
    found: dict[int, str] = {}
    for index, key in outputs.items():
        if not str(index).isdigit() or not isinstance(key, str):
            raise PoisonMessage(f"not a subtitle output: {index!r}")
        if not key.startswith(SUBTITLE_PREFIX) or ".." in key.split("/"):
            raise PoisonMessage(f"a subtitle goes under {SUBTITLE_PREFIX}, not {key!r}")
        found[int(index)] = key
    return found


def extract_subtitles(
    tc: Transcoder, body: dict[str, Any], heartbeat: Heartbeat | None = None
) -> str:
    """Run one subtitle message: ``done``, ``skipped`` (all there) or ``failed`` (recorded)."""
    outputs = _outputs(body)
    bucket, key, etag = body.get("bucket"), body.get("key"), body.get("etag")
    if not all(isinstance(v, str) and v for v in (bucket, key, etag)):
        raise PoisonMessage("a subtitle message names no source")
    assert isinstance(bucket, str) and isinstance(key, str) and isinstance(etag, str)
    missing = {
        i: k
        for i, k in outputs.items()
        if not tc.content.exists(k) and not tc.content.exists(k + FAILED_SUFFIX)
    }
    if not missing:
        return "skipped"
    ffmpeg = shutil.which(tc.settings.transcode_ffmpeg)
    if ffmpeg is None:
        raise RuntimeError(f"no ffmpeg at {tc.settings.transcode_ffmpeg!r}")  # comes back
    with tempfile.TemporaryDirectory(prefix="viewra-subs-") as tmp:
        work = Path(tmp)
        cmd = [ffmpeg, "-nostdin", "-v", "error", *_input(tc, bucket, key, etag, work)]
        for index in missing:
            cmd += ["-map", f"0:{index}", "-c:s", "webvtt", "-f", "webvtt", str(work / f"{index}")]
        reason = _run(tc, cmd, work, heartbeat)
        made = {i: work / str(i) for i in missing}
        if reason is None:
            bad = [i for i, p in made.items() if not p.read_bytes().startswith(b"WEBVTT")]
            reason = f"ffmpeg wrote no WebVTT for stream {bad[0]}" if bad else None
        if reason is not None:
            for out in missing.values():
                tc.content.put_bytes(out + FAILED_SUFFIX, reason.encode(), "text/plain")
            logger.warning("subtitle extraction failed", extra={"key": key, "reason": reason})
            return "failed"
        for index, out in missing.items():
            tc.content.put_file(out, made[index], VTT_CONTENT_TYPE)
    return "done"


def _input(tc: Transcoder, bucket: str, key: str, etag: str, work: Path) -> list[str]:
    """ffmpeg's input: the presigned URL pinned to the item's ETag (a replaced file fails the
    run rather than giving the new file's subtitles the old one's key), or a local copy where
    the container is not read well over HTTP or the worker is set to download."""
    suffix = Path(key).suffix.lower()
    if tc.limits.input_mode == "download" or suffix.lstrip(".") not in URL_CONTAINERS:
        local = work / f"source{suffix if suffix.isascii() and suffix[1:].isalnum() else ''}"
        tc.sources.download(bucket, key, etag, local)
        return ["-i", str(local)]
    headers = "".join(f"{k}: {v}\r\n" for k, v in pinned_input_headers(etag).items())
    return ["-headers", headers, "-i", tc.sources.presign(bucket, key)]


def _run(tc: Transcoder, cmd: list[str], work: Path, heartbeat: Heartbeat | None) -> str | None:
    """Run ffmpeg with the message kept hidden meanwhile; None, or why it failed."""
    stderr_path = work / "ffmpeg.stderr"
    started = beat = time.monotonic()
    with stderr_path.open("wb") as stderr:
        proc = start_process(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        while True:
            try:
                proc.wait(timeout=TICK)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - started > tc.limits.timeout_seconds:
                return f"extracting took longer than {tc.limits.timeout_seconds} s"
            if heartbeat is not None and time.monotonic() - beat >= tc.limits.heartbeat_seconds:
                beat = time.monotonic()
                try:
                    heartbeat()
                except Exception:
                    logger.exception("visibility heartbeat failed")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if proc.returncode != 0:
        lines = stderr_path.read_bytes().decode("utf-8", "replace").strip().splitlines()
        return f"ffmpeg could not extract the subtitles: {(lines or ['no output'])[-1][:300]}"
    return None

"""The ffmpeg Lambda layer: built by layers/ffmpeg/build.sh, extracted, and run on real media
with an empty environment, as /opt would be on Lambda."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.functional.test_transcode_support import source_file

BUILD = Path(__file__).resolve().parents[2] / "layers" / "ffmpeg" / "build.sh"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _extract(archive: Path, into: Path) -> None:
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            z.extract(info, into)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(into / info.filename, stat.S_IMODE(mode))


@pytest.mark.skipif(shutil.which("ldd") is None, reason="the layer is built with ldd")
def test_the_layer_runs_ffmpeg_and_ffprobe_from_its_own_libraries(tmp_path: Path) -> None:
    built = subprocess.run(
        ["bash", str(BUILD), str(tmp_path / "out")],
        env={**os.environ, "ZIP_LEVEL": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    opt = tmp_path / "opt"
    _extract(tmp_path / "out" / "ffmpeg-layer.zip", opt)
    unzipped = sum(p.stat().st_size for p in opt.rglob("*") if p.is_file())
    assert unzipped < LAMBDA_UNZIPPED_LIMIT

    env = {"PATH": "/usr/bin:/bin", "LD_DEBUG": "libs"}  # nothing else, as on Lambda
    output = tmp_path / "out.mp4"
    args = [str(opt / "bin" / "ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error"]
    args += ["-i", str(source_file(4)), "-t", "1", "-c:v", "libx264", "-preset", "ultrafast"]
    encoded = subprocess.run(
        [*args, "-c:a", "aac", str(output)], env=env, capture_output=True, text=True, check=False
    )
    assert encoded.returncode == 0, encoded.stderr[-2000:]
    loaded = {
        line.rsplit(" ", 1)[-1] for line in encoded.stderr.splitlines() if "calling init:" in line
    }
    layer_lib = str(opt / "lib")
    codec_libs = [p for p in loaded if "libavcodec" in p or "libx264" in p]
    assert codec_libs and all(os.path.realpath(p).startswith(layer_lib) for p in codec_libs)
    assert any(os.path.realpath(p) == os.path.join(layer_lib, "libc.so.6") for p in loaded)

    probed = subprocess.run(
        [str(opt / "bin" / "ffprobe"), "-v", "error", "-show_entries", "stream=codec_name",
         "-of", "csv=p=0", str(output)],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert probed.returncode == 0, probed.stderr
    assert sorted(probed.stdout.split()) == ["aac", "h264"]

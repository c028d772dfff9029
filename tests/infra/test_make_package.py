"""``make package`` as the deploy steps run it: the Makefile target, with a RELATIVE output dir.

The other infra tests package into absolute temp dirs, which is how a relative ``--out`` (the
Makefile's ``build/package``) went unnoticed when chalice, running in each function's build dir,
resolved it there: ``FileNotFoundError: build/package/api/sam/sam.json`` from a fresh clone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_package_as_the_deploy_steps_run_it(tmp_path: Path) -> None:
    # Given an output dir named relative to the repository (as `make package` names build/package)
    out = tmp_path / "build" / "package"
    relative = os.path.relpath(out, ROOT)
    assert not Path(relative).is_absolute()
    # and the names docs/deploying.md exports before packaging
    names = {
        "AWS_REGION": "us-east-1",
        "VIEWRA_MEDIA_BUCKET": "acme-viewra-media",
        "VIEWRA_CONTENT_BUCKET": "acme-viewra-content",
    }
    # When the Makefile's own target runs (this test's venv, no third-party requirements so no
    # network, one function to keep it quick; PKG_STAMP= skips the Python 3.12 venv set-up)
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "package",
            "PKG_STAMP=",
            f"PKG_VENV={Path(sys.prefix)}",
            f"PACKAGE_OUT={relative}",
            "PACKAGE_ARGS=--no-deps --only decide",
        ],
        cwd=ROOT,
        env={**os.environ, **names},
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Then it succeeds and the templates are where the deploy steps read them
    assert done.returncode == 0, done.stdout + done.stderr
    template = json.loads((out / "decide" / "sam" / "sam.json").read_text())
    assert any(r["Type"] == "AWS::Serverless::Function" for r in template["Resources"].values())
    assert (out / "decide" / "sam" / "deployment.zip").is_file()
    core = json.loads((out / "core.json").read_text())
    buckets = {
        r["Properties"]["BucketName"]
        for r in core["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket"
    }
    assert buckets == {"acme-viewra-media", "acme-viewra-content"}
    # and nothing was written under the function's build dir by a misresolved path
    assert not (out / "decide" / relative).exists()

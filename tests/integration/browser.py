"""Browser runs for the integration tests: Debian's Chromium driven by a script in web/e2e/
(playwright-core from web/node_modules, no browser download), and why a test skips without them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def browser_missing() -> str | None:
    """Why a browser run cannot happen here (``None``: it can). ``make test`` installs both."""
    if not Path(CHROMIUM).exists():
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    if not (WEB / "node_modules" / "playwright-core").exists():
        return "needs web/node_modules (make web)"
    return None


def run_in_chromium(script: str, plan: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run ``web/e2e/<script>`` with ``plan`` (JSON in ``VIEWRA_E2E``) and return the JSON line it
    prints last; fails the test, with the script's log, when it reports a failed step."""
    run = subprocess.run(
        ["node", f"e2e/{script}"],
        cwd=WEB,
        env={**os.environ, "VIEWRA_E2E": json.dumps(plan), "CHROMIUM": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = run.stdout.strip().splitlines()
    assert lines, f"no result from the browser run\n{run.stderr[-4000:]}"
    result = json.loads(lines[-1])
    assert run.returncode == 0 and result["ok"], f"{result.get('error')}\n{run.stderr[-4000:]}"
    return result

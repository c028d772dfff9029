"""Load the functions' ``app.py`` modules from the repository, as Lambda would import them."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

FUNCTIONS_DIR = Path(__file__).resolve().parents[3] / "functions"


@cache
def load_function(name: str) -> ModuleType:
    """Import ``functions/<name>/app.py`` under the module name ``viewra_fn_<name>``."""
    path = FUNCTIONS_DIR / name / "app.py"
    if not path.exists():
        raise FileNotFoundError(f"no function at {path}")
    module_name = f"viewra_fn_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module

"""The CLI's credentials: an API key from the settings (``VIEWRA_API_KEY``), else the tokens
``viewra login`` keeps in the user's config dir, in a file only its owner may read (0600)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from viewra.common.settings import Settings

FILE = "credentials.json"


def config_dir(settings: Settings) -> Path:
    return Path(settings.config_dir) if settings.config_dir else Path.home() / ".config" / "viewra"


def path(settings: Settings) -> Path:
    return config_dir(settings) / FILE


def load(settings: Settings) -> dict[str, Any] | None:
    """The kept tokens for this API (``api_url``), or None."""
    try:
        saved = json.loads(path(settings).read_text())
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) and saved.get("api_url") == settings.api_url else None


def save(settings: Settings, tokens: dict[str, Any]) -> Path:
    """Write the tokens with mode 0600 from the first byte (never readable by others, not even
    between a write and a chmod); the directory is 0700."""
    target = path(settings)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = target.with_suffix(".tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({**tokens, "api_url": settings.api_url}, f)
    temp.replace(target)
    return target


def forget(settings: Settings) -> None:
    path(settings).unlink(missing_ok=True)

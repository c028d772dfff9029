"""Plugin configuration: ``config/plugins/<name>.cue``, validated by CUE, then by pydantic.

The file's stem names the plugin, so an invalid file still says whose it is: that plugin stays
disabled with the error (file, line, field) and the other plugins load. When CUE itself cannot
run, every file is reported invalid rather than read unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from viewra.common.logs import logger
from viewra.plugins.cue import CueEvaluator, CueUnavailable
from viewra.plugins.model import PluginConfig


@dataclass
class ConfigSet:
    configs: dict[str, PluginConfig] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def load_configs(directory: Path, evaluator: CueEvaluator | None = None) -> ConfigSet:
    """Every ``*.cue`` in ``directory``, valid ones as :class:`PluginConfig`, others as errors."""
    found = ConfigSet()
    files = sorted(directory.glob("*.cue")) if directory.is_dir() else []
    for path in files:
        found.files[path.stem] = str(path)
    try:
        results = (evaluator or CueEvaluator()).export(files)
    except CueUnavailable as exc:
        for path in files:
            found.errors[path.stem] = [f"{path}: not validated: {exc}"]
        logger.error("plugin configs not validated", extra={"reason": str(exc)})
        return found
    for path, result in zip(files, results, strict=True):
        name = path.stem
        if result.issues:
            found.errors[name] = [str(issue) for issue in result.issues]
            logger.warning(
                "invalid plugin config", extra={"file": str(path), "errors": found.errors[name]}
            )
            continue
        try:
            config = PluginConfig.model_validate((result.value or {}).get("plugin", {}))
        except ValidationError as exc:  # the schema and the model disagree: say so, do not guess
            found.errors[name] = [f"{path}: {e['loc']}: {e['msg']}" for e in exc.errors()]
            continue
        if config.name is not None and config.name != name:
            found.errors[name] = [f"{path}: plugin.name: {config.name!r} is not the file's name"]
            continue
        found.configs[name] = config
    return found

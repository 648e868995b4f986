"""Reading mailboxes.yaml: YAML, the inline-secret scan, validation errors as one message each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

# The three inboxes of the procedure; a mailbox's part is decided by its address.
from bot.config.base import SECRET_KEYS, ConfigError
from bot.config.model import Config


def secret_from_env(var: str | None) -> str | None:
    """Read a secret named by an ``*_env`` key; None when no variable is named."""
    if var is None:
        return None
    value = os.environ.get(var)
    if value is None:
        raise ConfigError(f"environment variable {var} is not set (named by a *_env key)")
    return value


def _inline_secrets(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if str(key).lower() in SECRET_KEYS:
                found.append(here)
            found.extend(_inline_secrets(value, here))
    return found


def _format_error(file: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "missing key"
        lines.append(f"{file}: {loc}: {msg}")
    return "\n".join(lines)


def parse_config(text: str, file: str = "<config>", base_dir: Path | None = None) -> Config:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: (top level): expected a mapping of keys")
    inline = _inline_secrets(data)
    if inline:
        raise ConfigError(
            f"{file}: {inline[0]}: secrets must not be written in the file;"
            f" name an environment variable with '{inline[0].rsplit('.', 1)[-1]}_env' instead"
        )
    if "base_dir" in data:
        raise ConfigError(f"{file}: base_dir: unknown key")
    data["base_dir"] = base_dir or Path(".")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(file, exc)) from None


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return parse_config(text, str(p), p.resolve().parent)

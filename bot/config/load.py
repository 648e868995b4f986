"""Reading mailboxes.yaml: YAML, the inline-secret scan, validation errors as one message each.

The file is read defensively, since a bad one must end in one line and exit 2 within
a second, never a hang: at most ``MAX_BYTES`` are read, the text must be UTF-8, and
YAML aliases may not expand the document beyond ``MAX_NODES`` nodes (an 882-byte
"billion laughs" file expands to a billion). The loader resolves aliases as shared
objects, so the expansion would only bite later, in the validation's walk: the size
is counted on the composed node graph, before anything is built from it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)
from yaml.nodes import MappingNode, Node, SequenceNode

# The three inboxes of the procedure; a mailbox's part is decided by its address.
from bot.config.base import SECRET_KEYS, ConfigError
from bot.config.model import Config

MAX_BYTES = 1024 * 1024  # the shipped example is 5 KB
MAX_NODES = 100_000  # after expanding aliases; the shipped example has a few hundred


# libyaml's loader when PyYAML has it (its wheels do): ten times faster on a large file.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(text: str) -> Any:
    """``yaml.safe_load``, refusing a document whose aliases expand it beyond ``MAX_NODES``."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded(node, {}) > MAX_NODES:
            raise yaml.YAMLError(f"its aliases expand it to more than {MAX_NODES} values (an alias bomb?)")
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _expanded(node: Node, sizes: dict[int, int]) -> int:
    """How many nodes ``node`` stands for once every alias is written out (memoised: linear time)."""
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = MAX_NODES + 1  # a node met again while inside itself is a recursive alias: refuse
    total = 1
    if isinstance(node, SequenceNode):
        for child in node.value:
            total += _expanded(child, sizes)
            if total > MAX_NODES:
                break
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            total += _expanded(key, sizes) + _expanded(value, sizes)
            if total > MAX_NODES:
                break
    sizes[id(node)] = total
    return total


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
        data = _safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise ConfigError(f"{file}: not valid YAML: nested too deeply") from None
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
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # never more, whatever the file's size
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{p}: too large: more than {MAX_BYTES // 1024} KB (a configuration is a few KB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
                          " (save the file as UTF-8)") from None
    return parse_config(text, str(p), p.resolve().parent)

"""Where and how hmisbot writes its log: stderr, as text or as JSON lines, times in UTC.

Owns the one handler hmisbot puts on the root logger. Text is for a person at a
terminal; JSON (``--log-format json`` or ``logging: {format: json}``) is one object a
line for journald or a log shipper: ``time`` (UTC, ISO 8601 with milliseconds and
``Z``), ``level``, ``logger``, ``message``, ``message_id`` when the log call names a
message, and ``exception`` with the traceback when there is one. Times are UTC in
both formats, whatever the machine's or the configuration's time zone, so lines from
several machines sort together.

The handler is installed only when nobody else has configured logging (as
``logging.basicConfig`` would): under pytest the capture handlers stay in charge.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Literal

LogFormat = Literal["text", "json"]
# An RFC 5322 msg-id as the bot logs it: "<local@domain>".
_MSG_ID = re.compile(r"<[^<>\s@]+@[^<>\s]+>")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def _utc(created: float) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{stamp}.{int(created % 1 * 1000):03d}Z"


def message_id(record: logging.LogRecord) -> str | None:
    """The message a log call is about: ``extra={"message_id": ...}``, else a msg-id among its arguments."""
    given = getattr(record, "message_id", None)
    if isinstance(given, str) and given:
        return given
    args = record.args if isinstance(record.args, tuple) else ()
    for arg in args:
        if isinstance(arg, str) and _MSG_ID.fullmatch(arg.strip()):
            return arg.strip()
    return None


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc(record.created)


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a traceback stays inside its object (one record, one line)."""

    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, str] = {"time": _utc(record.created), "level": record.levelname, "logger": record.name,
                               "message": record.getMessage()}
        found = message_id(record)
        if found:
            obj["message_id"] = found
        if record.exc_info:
            obj["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            obj["exception"] = record.exc_text
        return json.dumps(obj, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the moment (a test runner may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


_HANDLER: _StderrHandler | None = None


def level_of(verbose: bool, configured: str | None = None) -> int:
    """``-v`` means at least INFO; otherwise the configured level, else WARNING."""
    level = _LEVELS.get(configured or "warning", logging.WARNING)
    return min(level, logging.INFO) if verbose else level


def setup(level: int, fmt: LogFormat = "text") -> None:
    """Install (or re-format) hmisbot's stderr handler, unless logging was configured by someone else."""
    global _HANDLER
    root = logging.getLogger()
    if any(h is not _HANDLER for h in root.handlers):
        return
    if _HANDLER is None:
        _HANDLER = _StderrHandler(sys.stderr)
        root.addHandler(_HANDLER)
    _HANDLER.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.setLevel(level)

"""`hmisbot classify`: documents or whole .eml messages -> INTERFACE.md JSON objects.

Touches no database. A whole message yields its own kind first ("<file>#message"),
then one object per form found in its attachments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.documents.sandbox import read_document_safely
from bot.mail.kinds import classify_message
from bot.mail.message import parse_message
from bot.mail.screen import screen


def classify_file(path: Path) -> list[dict[str, Any]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [{"source": str(path), "kind": "unknown", "confidence": 0.0, "pages": [], "fields": {},
                 "checks": {}, "text_source": "none", "error": f"cannot read file: {exc.strerror or exc}"}]
    if path.suffix.lower() in (".eml", ".msg", ".mbox") or _looks_like_mail(data):
        return _classify_message(str(path), data)
    return [r.to_json() for r in read_document_safely(data, str(path))]


def _looks_like_mail(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"\nsubject:" in head and (b"\nfrom:" in head or head.startswith(b"from:"))


def _classify_message(source: str, data: bytes) -> list[dict[str, Any]]:
    msg = parse_message(data)
    scr = screen(msg, ())
    kind = classify_message(msg, scr.auto)
    out: list[dict[str, Any]] = [{"source": f"{source}#message", "kind": kind.kind, "reason": kind.reason,
                                  "from": msg.from_addr, "subject": msg.subject}]
    if scr.auto is None:
        for att in msg.attachments:
            if att.filename.lower().endswith((".csv", ".tsv", ".xlsx")):
                continue
            for result in read_document_safely(att.data, f"{source}#{att.filename}"):
                out.append(result.to_json())
    return out

"""What a message is about, from its words and attachments. Pure.

The kinds are those of INTERFACE.md: program_setup_request, program_setup_confirmation,
user_roster, training_roster, account_support, auto_reply, bounce, other. Forms
attached to a message are classified separately by the documents package; this
module reads the human text (with quoted earlier mail cut off, so a reply that
quotes our receipt is not mistaken for what the receipt says).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.mail.message import ParsedMessage
from bot.mail.screen import AutoKind

MESSAGE_KINDS = (
    "program_setup_request",
    "program_setup_confirmation",
    "user_roster",
    "training_roster",
    "account_support",
    "auto_reply",
    "bounce",
    "other",
)

_QUOTE_START = re.compile(
    r"^(>|On .{0,200} wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|From:\s.+@|_{10,})", re.I | re.M
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_WORDS = {
    "confirm": re.compile(
        r"\b(confirm(ed|ing)?|verified|looks (good|correct)|is (correct|valid)|approve[sd]?)\b", re.I
    ),
    "setup": re.compile(r"\b(set ?up|setup|implement(ation)?|modif(y|ication)|configure)\b", re.I),
    "program": re.compile(r"\bprograms?\b", re.I),
    "support": re.compile(
        r"\b(password|locked out|lock(ed)? out|reset|can ?not log ?in|can't log ?in|cannot access|"
        r"log-?in (issue|problem)|username|account (issue|problem|access)|register(ing)? for|registration)\b",
        re.I,
    ),
    "role": re.compile(
        r"\b(outreach|case manager|navigator|assessment|housing provider|coordinator|matcher)\b", re.I
    ),
    "training": re.compile(r"\b(completion|completed|attended|training roster|course roster)\b", re.I),
}
_ROSTER_EXT = (".csv", ".xlsx", ".tsv")


@dataclass(frozen=True)
class MessageKind:
    kind: str
    reason: str


def own_text(body: str) -> str:
    """The sender's own words: everything above the first quoted block."""
    match = _QUOTE_START.search(body)
    return body[: match.start()] if match else body


def _roster_attachment(msg: ParsedMessage) -> str | None:
    for att in msg.attachments:
        if att.filename.lower().endswith(_ROSTER_EXT) or att.content_type in (
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ):
            return att.filename
    return None


def _roster_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if _EMAIL.search(line) and _WORDS["role"].search(line))


def classify_message(
    msg: ParsedMessage,
    auto: AutoKind | None,
    *,
    answers_setup_followup: bool = False,
    from_training_staff: bool = False,
) -> MessageKind:
    """Decide the message kind. ``answers_setup_followup`` comes from thread matching."""
    if auto == "bounce":
        return MessageKind("bounce", "delivery report")
    if auto is not None:
        return MessageKind("auto_reply", auto)
    text = own_text(msg.body_text)
    words = f"{msg.subject}\n{text}"
    roster_file = _roster_attachment(msg)
    has = {name: bool(rx.search(words)) for name, rx in _WORDS.items()}
    if roster_file and (has["training"] or from_training_staff or "training" in words.lower()):
        if "completion" in words.lower() or "completed" in words.lower() or from_training_staff:
            return MessageKind("training_roster", f"roster file {roster_file}")
    if answers_setup_followup and has["confirm"]:
        return MessageKind("program_setup_confirmation", "confirms in the setup thread")
    if has["confirm"] and has["setup"] and has["program"] and not _bullets(text):
        return MessageKind("program_setup_confirmation", "confirms the program setup")
    if roster_file or _roster_lines(text) >= 1:
        return MessageKind("user_roster", "lists users with roles")
    if has["setup"] and has["program"]:
        return MessageKind("program_setup_request", "asks to set up programs")
    if has["support"]:
        return MessageKind("account_support", "account or password question")
    return MessageKind("other", "no known request")


_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.+?)\s*$")


def _bullets(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _BULLET.match(line))]


@dataclass(frozen=True)
class ProgramLine:
    name: str
    type_text: str


_SPLIT = re.compile(r"\s*(?:\(([^)]*)\)|\s[-\u2013\u2014:]\s(.+))\s*$")


def program_lines(text: str) -> list[ProgramLine]:
    """Bulleted 'Name (Type)' / 'Name - Type' / 'Name: Type' lines of a setup request."""
    out = []
    for item in _bullets(own_text(text)):
        match = _SPLIT.search(item)
        if match:
            name = item[: match.start()].strip(" :-")
            type_text = (match.group(1) or match.group(2) or "").strip()
        else:
            name, type_text = item.strip(), item.strip()
        if name:
            out.append(ProgramLine(name=name, type_text=type_text))
    return out


def labelled_value(text: str, *labels: str) -> str | None:
    """'Organization: Hope Harbor' -> 'Hope Harbor' for the first label present."""
    for label in labels:
        match = re.search(rf"^\s*{label}\s*[:\-]\s*(.+?)\s*$", text, re.I | re.M)
        if match:
            return match.group(1)
    return None


@dataclass(frozen=True)
class RosterLine:
    name: str
    email: str
    rest: str  # the words around the name and address: roles, new/existing


def roster_lines(text: str) -> list[RosterLine]:
    """'Jane Doe, jane@org.org, Outreach, new user' style lines (any separator order)."""
    out = []
    for line in own_text(text).splitlines():
        match = _EMAIL.search(line)
        if not match or not _WORDS["role"].search(line):
            continue
        cleaned = _BULLET.sub(r"\1", line)
        parts = [p.strip() for p in re.split(r"[,;|\t]", cleaned.replace(match.group(0), "")) if p.strip()]
        name = parts[0].strip(" -<>()") if parts else ""
        out.append(RosterLine(name=name, email=match.group(0).lower(), rest=" ".join(parts[1:])))
    return out

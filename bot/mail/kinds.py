"""What a message is about, from its words and attachments. Pure.

The kinds are those of INTERFACE.md: program_setup_request, program_setup_confirmation,
user_roster, training_roster, account_support, auto_reply, bounce, other. Forms
attached to a message are classified separately by the documents package; this
module reads the human text, and only the sender's own part of it:

- a reply's quoted text (our receipt, their earlier mail) is cut off, so a reply that
  quotes "please confirm the program setup" is not taken for a confirmation;
- a forward's forwarded text is read only when the forwarder's own words say nothing
  we know ("FYI, see below"), because then the forwarded mail *is* the request.

It also owns the line readers the workflow uses (``program_lines``, ``roster_lines``,
``labelled_value``), which read the same own-or-forwarded text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ces.parse import parse_individual_roles, parse_new_user, parse_program_types
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

_FORWARD = r"-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:|-{2,}\s*Forwarded by\b.*"
_QUOTE_START = re.compile(
    r"^\s*(?:>"  # quoted lines
    r"|On\b[^\n]{0,200}(?:\n[^\n]{0,200})?\bwrote:[ \t]*$"  # Gmail/Apple, the line may wrap once
    r"|-{2,}\s*Original Message\s*-{2,}"  # Outlook (plain), Thunderbird
    r"|_{10,}[ \t]*$"  # Outlook's rule above the quoted header block
    r"|From:[^\n]*\n\s*(?:Sent|Date):"  # Outlook's header block, even without an address
    r"|From:\s[^\n]*@"
    rf"|{_FORWARD})",
    re.I | re.M,
)
# "-----Original Message-----" starts Outlook replies as well as forwards: only the subject can tell.
_FORWARD_START = re.compile(rf"^\s*(?:{_FORWARD})", re.I | re.M)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw)\s*:", re.I)
_REPLY_SUBJECT = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.I)  # a reply's subject was written by the thread's starter
_HEADER_LINE = re.compile(r"^\s*(From|Sent|Date|To|Cc|Subject|Reply-To)\s*:.*$|^\s*$", re.I)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7]|\d+[.)])\s+(.+?)\s*$")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_WORDS = {
    "confirm": _rx(
        r"\b(confirm(ed|ing|s)?|verified|looks? (good|great|correct|right|fine)|(is|are|all) (correct|accurate|good)|"
        r"approved?|approves)\b"
    ),
    "yes": _rx(r"^\W*(yes|yep|yup|correct|all good)\b"),  # counts only as an answer in the setup thread
    # A reply in the setup thread that says the setup is wrong is a change request, not a confirmation.
    "dispute": _rx(
        r"\b(not (correct|right|accurate)|incorrect|wrong|mistake|needs? (to be )?(changed|corrected|fixed|updated)|"
        r"should (read|say|be called|be named)|(is|are)n'?t (correct|right)|do(es)?n'?t look|"
        r"can(no|')?t confirm|cannot confirm)\b"
    ),
    "setup": _rx(
        r"\b(set[ -]?up|setup|implement\w*|modif\w*|configur\w*|add(ing)?|creat\w*|enrol\w*|participat\w*|onboard\w*)\b"
    ),
    "setup_done": _rx(r"\b(set[ -]?up|setup|configuration|configured|implementation|implemented)\b"),
    "program": _rx(r"\bprograms?\b"),
    "support": _rx(
        r"\b(password|passcode|locked out|lock(ed)? out|unlock|reset|can ?not (log|sign) ?in|can'?t (log|sign) ?in|"
        r"unable to (log|sign) ?in|(log|sign)-? ?in (issue|problem|error)|username|user name|forgot|"
        r"account (issue|problem|access|is locked|is disabled|locked|disabled|deactivated|expired)|"
        r"two[- ]factor|2fa|mfa|verification code|register(ing)? for|registration)\b"
    ),
    "training": _rx(r"\b(completions?|completed|attended|passed|finished)\b"),
}
_ROSTER_EXT = (".csv", ".xlsx", ".tsv")
_TRAINING_COLUMNS = _rx(r"complet|attended|score|course|training date|date taken|passed")


@dataclass(frozen=True)
class MessageKind:
    kind: str
    reason: str
    change: bool = False  # a setup request that says the setup LAHSA made is wrong (a dispute)


def own_text(body: str) -> str:
    """The sender's own words: everything above the first quoted or forwarded block."""
    match = _QUOTE_START.search(body)
    return body[: match.start()] if match else body


def forwarded_text(body: str, *, forward: bool = False) -> str:
    """The forwarded mail's own words, without its header block and its own quotes; '' if none.

    An explicit forward marker always counts; with ``forward`` (the subject says Fwd/FW),
    Outlook's plain header block counts too.
    """
    match = _FORWARD_START.search(body) or (_QUOTE_START.search(body) if forward else None)
    if not match:
        return ""
    lines = body[match.end():].splitlines()
    while lines and (_HEADER_LINE.match(lines[0]) or lines[0].startswith((" ", "\t"))):
        lines.pop(0)  # the forwarded header block, folded lines included
    return own_text("\n".join(lines))


def _own_or_forwarded(text: str) -> list[str]:
    """The texts line readers try, in order: the sender's own words, then a forwarded mail."""
    return [own_text(text), forwarded_text(text)]


def _roster_attachment(msg: ParsedMessage) -> str | None:
    for att in msg.attachments:
        if att.filename.lower().endswith(_ROSTER_EXT) or att.content_type in (
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ):
            return att.filename
    return None


def _training_columns(msg: ParsedMessage) -> bool:
    """A CSV whose header row names completions or courses is a training site's export."""
    for att in msg.attachments:
        if att.filename.lower().endswith((".csv", ".tsv")) or att.content_type == "text/csv":
            header = att.data[:2000].decode("utf-8-sig", "replace").splitlines()[:1]
            if header and _TRAINING_COLUMNS.search(header[0]):
                return True
    return False


def _is_roster_line(line: str) -> bool:
    match = _EMAIL.search(line)
    return bool(match) and bool(parse_individual_roles(line.replace(match.group(0), " ") if match else line))


def _bullets(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _BULLET.match(line))]


def answers_setup(text: str) -> MessageKind | None:
    """A Program Manager's words about a setup waiting for their confirmation, outside its thread.

    The organization has a setup to confirm, and its manager writes "Looks good" or "the name
    is wrong" in a new mail: the same reading as in the setup thread. None: neither.
    """
    own = own_text(text).strip()
    if _WORDS["dispute"].search(own):
        return MessageKind("program_setup_request", "asks to change the setup", change=True)
    if _WORDS["confirm"].search(own) or _WORDS["yes"].search(own):
        return MessageKind("program_setup_confirmation", "confirms the setup waiting for confirmation")
    return None


def _classify_text(msg: ParsedMessage, text: str, in_setup_thread: bool, training_staff: bool) -> MessageKind:
    words = text if _REPLY_SUBJECT.match(msg.subject) else f"{msg.subject}\n{text}"
    has = {name: bool(rx.search(words)) for name, rx in _WORDS.items()}
    has["yes"] = bool(_WORDS["yes"].search(text.strip()))
    roster_file = _roster_attachment(msg)
    if roster_file and (training_staff or has["training"] or _training_columns(msg)):
        return MessageKind("training_roster", f"completions in {roster_file}")
    if in_setup_thread and has["dispute"]:
        return MessageKind("program_setup_request", "asks to change the setup in the setup thread", change=True)
    if in_setup_thread and (has["confirm"] or has["yes"]):
        return MessageKind("program_setup_confirmation", "confirms in the setup thread")
    if has["confirm"] and has["setup_done"] and has["program"] and not has["dispute"] and not _bullets(text):
        return MessageKind("program_setup_confirmation", "confirms the program setup")
    if roster_file or any(_is_roster_line(line) for line in text.splitlines()):
        return MessageKind("user_roster", f"users in {roster_file}" if roster_file else "lists users with roles")
    typed_bullets = any(parse_program_types(item) for item in _bullets(text))
    if has["setup"] and (has["program"] or typed_bullets):
        return MessageKind("program_setup_request", "asks to set up programs")
    if has["support"]:
        return MessageKind("account_support", "account or password question")
    return MessageKind("other", "no known request")


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
    if auto == "auto_reply":
        return MessageKind("auto_reply", "auto_reply")
    # List and system-address mail is never answered, but a training site's noreply
    # export is still a training roster: read it like any other message.
    kind = _classify_text(msg, own_text(msg.body_text), answers_setup_followup, from_training_staff)
    if kind.kind == "other":
        forward = bool(_FORWARD_SUBJECT.match(msg.subject))
        if inner := forwarded_text(msg.body_text, forward=forward):
            found = _classify_text(msg, inner, False, from_training_staff)
            kind = MessageKind(found.kind, f"forwarded: {found.reason}") if found.kind != "other" else kind
    if kind.kind == "other" and auto is not None:
        return MessageKind("auto_reply", auto)
    return kind


@dataclass(frozen=True)
class ProgramLine:
    name: str
    type_text: str


_SPLIT = re.compile(r"\s*(?:\(([^)]*)\)|(?:\s*:|\s[-\u2013\u2014])\s(.+))\s*$")


def program_lines(text: str) -> list[ProgramLine]:
    """Bulleted 'Name (Type)' / 'Name - Type' / 'Name: Type' lines of a setup request."""
    for part in _own_or_forwarded(text):
        out = []
        for item in _bullets(part):
            match = _SPLIT.search(item)
            if match:
                name = item[: match.start()].strip(" :-")
                type_text = (match.group(1) or match.group(2) or "").strip()
            else:
                name, type_text = item.strip(), item.strip()
            if name:
                out.append(ProgramLine(name=name, type_text=type_text))
        if out:
            return out
    return []


def labelled_value(text: str, *labels: str) -> str | None:
    """'Organization: Hope Harbor' -> 'Hope Harbor' for the first label present (never from quoted text)."""
    for part in _own_or_forwarded(text):
        for label in labels:
            match = re.search(rf"^\s*{label}\s*[:\-]\s*(.+?)\s*$", part, re.I | re.M)
            if match:
                return match.group(1)
    return None


@dataclass(frozen=True)
class RosterLine:
    name: str
    email: str
    rest: str  # the words around the name and address: roles, new/existing


def _roster_line(line: str) -> RosterLine | None:
    match = _EMAIL.search(line)
    if not match or not _is_roster_line(line):
        return None
    cleaned = _BULLET.sub(r"\1", line).replace(match.group(0), " ")
    parts = [p.strip(" -<>()[]:") for p in re.split(r"[,;|\t]|\s[-\u2013\u2014]\s", cleaned)]
    parts = [p for p in parts if p]
    # The name is the first piece that is neither a role nor "new"/"existing"; the rest describe the user.
    at = next((i for i, p in enumerate(parts) if not parse_individual_roles(p) and parse_new_user(p) is None), None)
    name = parts[at] if at is not None else ""
    rest = [p for i, p in enumerate(parts) if i != at]
    return RosterLine(name=name, email=match.group(0).lower(), rest=" ".join(rest))


def roster_lines(text: str) -> list[RosterLine]:
    """'Jane Doe, jane@org.org, Outreach, new user' style lines (any separator order)."""
    for part in _own_or_forwarded(text):
        out = [r for line in part.splitlines() if (r := _roster_line(line))]
        if out:
            return out
    return []

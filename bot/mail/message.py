"""Raw bytes -> ParsedMessage: headers, best body text, attachments. Pure; never raises.

Real mail is broken in every way the corpus shows (missing boundaries, bad charsets,
parts labelled multipart that parse as leaves), so every step falls back rather
than failing: a message we cannot parse still yields a ParsedMessage whose
``defects`` say why, and the workflow sends it to review instead of losing it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

_HEADER_CLEAN = re.compile(r"[\r\n\t\x00-\x1f\x7f]+")
_MSGID = re.compile(r"<[^<>\s]+>")
_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"</?(p|div|br|tr|li|h\d|table)[^>]*>", re.I)
_STYLE = re.compile(r"<(style|script)[^>]*>.*?</\1>", re.I | re.S)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # as declared; the documents package trusts the bytes instead
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    from_addr: str  # lower-cased address only
    from_name: str
    subject: str
    body_text: str
    sha256: str
    size: int
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    return_path: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    date: datetime | None = None
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()  # every header, cleaned, in order
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = field(default_factory=tuple)

    def header(self, name: str) -> str | None:
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def from_domain(self) -> str:
        return self.from_addr.rpartition("@")[2]

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this one answers, nearest first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return tuple(dict.fromkeys(ids))


def clean_header(value: object) -> str:
    """One line, no control characters: header injection stops here."""
    return _HEADER_CLEAN.sub(" ", str(value)).strip()


def _safe_get(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header can raise from the header registry
        return ""
    return clean_header(value) if value is not None else ""


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    raw = [_safe_get(msg, name)]
    out = []
    for display, addr in getaddresses(raw):
        addr = clean_header(addr).lower()
        if "@" in addr:
            out.append((clean_header(display), addr))
    return out


def _msgids(value: str) -> list[str]:
    return _MSGID.findall(value)


def html_to_text(markup: str) -> str:
    text = _STYLE.sub(" ", markup)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub(" ", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message) -> str:
    # get_content() raises KeyError on some broken parts (StartBoundaryNotFoundDefect);
    # decode the payload ourselves with the declared charset, then utf-8, then latin-1.
    data = _part_bytes(part)
    charset = part.get_content_charset() or "utf-8"
    for cs in (charset, "utf-8", "latin-1"):
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1", "replace")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return "attachment"
    return clean_header(name) if name else None


def _walk(msg: Message) -> tuple[list[str], list[str], list[Attachment]]:
    plains: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        name = _filename(part)
        disposition = (part.get("Content-Disposition") or "").lower()
        if name or "attachment" in disposition or not ctype.startswith("text/"):
            if ctype in ("message/delivery-status", "message/rfc822", "text/rfc822-headers"):
                continue  # reports and forwarded messages are screened, not read as documents
            data = _part_bytes(part)
            if data:
                attachments.append(Attachment(name or "attachment", ctype, data))
        elif ctype == "text/html":
            htmls.append(_part_text(part))
        else:
            plains.append(_part_text(part))
    return plains, htmls, attachments


def parse_message(data: bytes) -> ParsedMessage:
    """Parse a message; never raises. Defects are recorded, not thrown."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
    except Exception as exc:  # the parser is lenient, but be sure nothing escapes
        return ParsedMessage("", "", "", "", "", sha, len(data), defects=(f"unparseable: {exc}",))
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])]
    try:
        plains, htmls, attachments = _walk(msg)
    except Exception as exc:
        plains, htmls, attachments = [], [], []
        defects.append(f"walk failed: {type(exc).__name__}")
    body = "\n".join(plains) if plains else "\n".join(html_to_text(h) for h in htmls)
    sender = _addresses(msg, "From")
    reply_to = _addresses(msg, "Reply-To")
    date_ = None
    try:
        raw_date = _safe_get(msg, "Date")
        date_ = parsedate_to_datetime(raw_date) if raw_date else None
    except (TypeError, ValueError, IndexError):
        defects.append("bad Date")
    headers = []
    for key in msg.keys():
        headers.append((clean_header(key), _safe_get(msg, key)))
    refs = tuple(_msgids(_safe_get(msg, "References")))
    irt = _msgids(_safe_get(msg, "In-Reply-To"))
    rp = _safe_get(msg, "Return-Path")
    return ParsedMessage(
        message_id=(_msgids(_safe_get(msg, "Message-ID")) or [f"<sha256.{sha[:32]}@hmisbot.invalid>"])[0],
        from_addr=sender[0][1] if sender else "",
        from_name=sender[0][0] if sender else "",
        subject=_safe_get(msg, "Subject"),
        body_text=body,
        sha256=sha,
        size=len(data),
        to=tuple(a for _, a in _addresses(msg, "To")),
        cc=tuple(a for _, a in _addresses(msg, "Cc")),
        reply_to=reply_to[0][1] if reply_to else None,
        return_path=rp if "Return-Path" in msg else None,
        in_reply_to=irt[0] if irt else None,
        references=refs,
        date=date_,
        content_type=msg.get_content_type(),
        headers=tuple(headers),
        attachments=tuple(attachments),
        defects=tuple(defects),
    )


def format_address(name: str, addr: str) -> str:
    """A header-safe 'Name <addr>' (names are cleaned of CR/LF first)."""
    user, _, domain = addr.partition("@")
    return str(Address(display_name=clean_header(name), username=user, domain=domain))


def reply_subject(subject: str) -> str:
    subject = clean_header(subject) or "(no subject)"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def as_email_message(data: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    return msg

"""Raw bytes -> ParsedMessage: headers, best body text, attachments. Pure; never raises.

Real mail is broken in every way the corpus shows (missing boundaries, bad charsets,
parts labelled multipart that parse as leaves), so every step falls back rather
than failing: a message we cannot parse still yields a ParsedMessage whose
``defects`` say why, and the workflow sends it to review instead of losing it.

Owns reading a message (``parse_message``: the MIME walk, text decoding, HTML to text)
and the helpers every header we write passes through (``clean_header``,
``format_address``, ``reply_subject``). Zip archives and mbox files: ``bot.mail.unpack``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header
from email.headerregistry import Address
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from bot.mail.html import html_to_text as html_to_text  # re-exported
from bot.mail.unpack import Attachment as Attachment  # re-exported: the public name lives here
from bot.mail.unpack import expand_archives

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")  # CR, LF, TAB and the other line breakers
_MSGID = re.compile(r"<[^<>\s]+>")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg: a compound file, not MIME
_BOUNDARY_LINE = re.compile(r"^--([^\s\"\\][^\"\\\r\n]{0,69}?)[ \t]*\r?$", re.M)
_SKIPPED = {"message/delivery-status", "message/disposition-notification", "message/feedback-report",  # reports:
            "text/rfc822-headers", "message/rfc822-headers", "message/external-body", "message/partial"}  # no files
_BODY_TYPES = ("text/plain", "text/html", "text/enriched")
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif",
               "image/heic": ".heic", "text/csv": ".csv", "application/zip": ".zip"}
MAX_DEPTH = 8  # forwarded-in-forwarded and recovered parts; real mail never nests deeper
MAX_PARTS = 500
FORWARD_MARK = "---------- Forwarded message ---------"


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
    headers: tuple[tuple[str, str], ...] = ()  # every header, decoded and cleaned, in order
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = field(default_factory=tuple)

    def header(self, name: str) -> str | None:
        return next(iter(self.header_all(name)), None)

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
    """One line, no control characters, no lone surrogates: header injection stops here."""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # raw 8-bit bytes the parser smuggled in
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), "utf-8")[0]
    return " ".join(_CONTROL.sub(" ", text).split())


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Text in the declared charset, else utf-8, cp1252, latin-1; True when it had to fall back."""
    for number, cs in enumerate((charset or "utf-8", "utf-8", "cp1252")):
        try:
            return data.decode(cs), number > 0
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1"), True  # maps every byte: never fails


def _decode_words(raw: str) -> str:
    """RFC 2047 encoded words, each with its own charset fallback (policy.default gives U+FFFD)."""
    if "=?" not in raw:
        return raw
    try:
        chunks = decode_header(raw)
    except Exception:  # any malformed word: keep the raw text
        return raw
    return "".join(c if isinstance(c, str) else decode_bytes(c, cs or "ascii")[0] for c, cs in chunks)


def _headers(msg: Message) -> list[tuple[str, str]]:
    return [(clean_header(k), clean_header(_decode_words(str(v)))) for k, v in msg.raw_items()]


_ENCODED_RUN = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)*")
_HELD = re.compile("\ue000(\\d+)\ue001")


def _header_addresses(value: str) -> list[tuple[str, str]]:
    words: list[str] = []

    def hold(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f'"\ue000{len(words) - 1}\ue001"'

    safe = _ENCODED_RUN.sub(hold, value.replace("\r", " ").replace("\n", " "))
    return [(clean_header(_HELD.sub(lambda m: _decode_words(words[int(m.group(1))]), display)),
             clean_header(addr).strip("<>").lower()) for display, addr in getaddresses([safe])]


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of one header, read as sent.

    Encoded words (RFC 2047) may only ever be display names: each run of them is held out
    as a quoted placeholder while the addresses are parsed, then decoded into the name.
    Decoding first would let ``=?utf-8?q?Eve=0D=0ABcc:_victim@x?= <eve@evil>`` smuggle an
    address (or a header) out of what is only a name.
    """
    out: list[tuple[str, str]] = []
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            out.extend(_header_addresses(str(value)))
    return [(n, a) for n, a in out if "@" in a and " " not in a and "\ue000" not in a and "=?" not in a]


@dataclass
class _Found:
    plains: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    parts: int = 0


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)  # lenient: bad base64 gives what could be read, plus a defect
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, found: _Found) -> str:
    # get_content() raises KeyError on some broken parts (StartBoundaryNotFoundDefect),
    # so decode the payload ourselves, falling back from the declared charset.
    charset = part.get_content_charset()
    text, fell_back = decode_bytes(_part_bytes(part), charset)
    if fell_back and charset:
        found.defects.append(f"charset {charset!r} did not decode; fell back")
    return text


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # the header registry can raise on a malformed parameter
        return "attachment"
    if not name:
        return None
    base = re.split(r"[\\/]", clean_header(_decode_words(name)))[-1]  # never a path
    return base.strip(". ") or "attachment"


def _raw_header(msg: Message, name: str) -> str:
    """The first such header, decoded but not through the header registry (which can raise)."""
    raw = next((str(v) for k, v in msg.raw_items() if k.lower() == name.lower()), "")
    return clean_header(_decode_words(raw))


def _leaf(part: Message, ctype: str, found: _Found, sink: list[str] | None) -> None:
    name = _filename(part)
    disposition = _raw_header(part, "Content-Disposition").lower()
    if name or "attachment" in disposition or ctype not in _BODY_TYPES:
        data = _part_bytes(part)
        filename = name or "attachment" + _EXTENSIONS.get(ctype, "")
        if data:
            found.attachments.append(Attachment(filename, ctype, data))
        elif name:  # a named file with nothing in it: the sender must know it arrived empty
            found.defects.append(f"{filename}: the file is empty (0 bytes); refused")
    elif ctype == "text/html":
        (sink if sink is not None else found.htmls).append(html_to_text(_part_text(part, found)))
    else:
        (sink if sink is not None else found.plains).append(_part_text(part, found))


def _recover(text: str, found: _Found, depth: int, in_report: bool, why: str) -> bool:
    """Re-read a part whose boundary is missing or wrong, from the first '--boundary' line in it."""
    match = _BOUNDARY_LINE.search(text)
    if not match:
        return False
    rebuilt = f'Content-Type: multipart/mixed; boundary="{match.group(1)}"\n\n{text}'
    inner = BytesParser(policy=policy.default).parsebytes(rebuilt.encode("utf-8", "surrogateescape"))
    if not inner.is_multipart() or not inner.get_payload():
        return False
    found.defects.append(f"recovered MIME parts from {why}")
    _visit(inner, found, depth + 1, in_report, None)
    return True


def _inner_message(part: Message) -> Message | None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
    cte = _raw_header(part, "Content-Transfer-Encoding").lower()
    if inner is None or cte not in ("base64", "quoted-printable") or inner.is_multipart():
        return inner
    # RFC 2046 forbids encoding a message/rfc822 part, but some clients do: decode it, then parse it.
    holder = Message()
    holder["Content-Transfer-Encoding"] = cte
    holder.set_payload(str(inner.get_payload()))
    return BytesParser(policy=policy.default).parsebytes(_part_bytes(holder))


def _forward(part: Message, found: _Found, depth: int) -> None:
    """A message/rfc822 part: its files are ours to read; its text goes below a forward marker."""
    inner = _inner_message(part)
    if inner is None:
        return
    sink: list[str] = []
    _visit(inner, found, depth + 1, False, sink)
    head = "\n".join(f"{h}: {_raw_header(inner, h)}" for h in ("From", "Subject"))
    found.forwarded.append(f"{FORWARD_MARK}\n{head}\n\n" + "\n".join(sink))


def _visit(part: Message, found: _Found, depth: int, in_report: bool, sink: list[str] | None) -> None:
    found.parts += 1
    if depth > MAX_DEPTH or found.parts > MAX_PARTS:
        found.defects.append("MIME tree too deep or too large; rest ignored")
        return
    ctype = part.get_content_type()
    in_report = in_report or ctype == "multipart/report"
    if ctype in _SKIPPED:
        return
    if ctype in ("message/rfc822", "message/global"):
        if not in_report:  # a returned message inside a bounce is not a forward
            _forward(part, found, depth)
        return
    if part.is_multipart():
        for sub in part.get_payload():
            if not isinstance(sub, Message):
                continue
            try:
                _visit(sub, found, depth + 1, in_report, sink)
            except Exception as exc:  # one broken part must not hide the others
                found.defects.append(f"part skipped: {exc!r}")
        epilogue, boundary = part.epilogue or "", part.get_boundary()
        if boundary and f"--{boundary}" in epilogue:  # parts after the closing boundary
            _recover(epilogue, found, depth, in_report, "after the closing boundary")
        return
    if ctype.startswith("multipart/"):  # labelled multipart, parsed as a leaf
        text = _part_text(part, found)
        if not _recover(text, found, depth, in_report, f"a {ctype} without a usable boundary"):
            (sink if sink is not None else found.plains).append(text)
        return
    _leaf(part, ctype, found, sink)


def _date(msg: Message, found: _Found) -> datetime | None:
    raw = _raw_header(msg, "Date")
    try:
        return parsedate_to_datetime(raw) if raw else None
    except (TypeError, ValueError, IndexError, OverflowError):
        found.defects.append("bad Date")
        return None


def _body(found: _Found) -> str:
    own = "\n".join(found.plains) if any(p.strip() for p in found.plains) else "\n".join(found.htmls)
    return "\n\n".join(t for t in (own, *found.forwarded) if t.strip())


def _message_id(headers: list[tuple[str, str]], data: bytes, sha: str) -> str:
    get = {k.lower(): v for k, v in reversed(headers)}  # the first of each name wins
    return next(iter(_MSGID.findall(get.get("message-id", ""))), None) or _unreadable(data, sha).message_id


def message_id_of(data: bytes) -> str:
    """The Message-ID parse_message would give, from the header alone (cheap: no body parsing)."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        msg = BytesHeaderParser(policy=policy.default).parsebytes(data)
        return _message_id(_headers(msg), data, sha)
    except Exception:  # as parse_message: a header we cannot read gives the content-derived id
        return _unreadable(data, sha).message_id


def _build(msg: Message, data: bytes, sha: str, found: _Found) -> ParsedMessage:
    headers = _headers(msg)
    get = {k.lower(): v for k, v in reversed(headers)}  # the first of each name wins
    sender, reply_to = _addresses(msg, "From"), _addresses(msg, "Reply-To")
    attachments, problems = expand_archives(found.attachments)
    return ParsedMessage(
        message_id=_message_id(headers, data, sha),
        from_addr=sender[0][1] if sender else "",
        from_name=sender[0][0] if sender else "",
        subject=get.get("subject", ""),
        body_text=_body(found),
        sha256=sha,
        size=len(data),
        to=tuple(a for _, a in _addresses(msg, "To")),
        cc=tuple(a for _, a in _addresses(msg, "Cc")),
        reply_to=reply_to[0][1] if reply_to else None,
        return_path=get.get("return-path"),
        in_reply_to=next(iter(_MSGID.findall(get.get("in-reply-to", ""))), None),
        references=tuple(_MSGID.findall(get.get("references", ""))),
        date=_date(msg, found),
        content_type=msg.get_content_type(),
        headers=tuple(headers),
        attachments=tuple(attachments),
        defects=tuple(found.defects + problems),
    )


def _unreadable(data: bytes, sha: str, *defects: str) -> ParsedMessage:
    return ParsedMessage(f"<sha256.{sha[:32]}@hmisbot.invalid>", "", "", "", "", sha, len(data), defects=defects)


def parse_message(data: bytes) -> ParsedMessage:
    """Parse a message; never raises. Defects are recorded, not thrown."""
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(_OLE_MAGIC):
        return _unreadable(data, sha, "Outlook .msg file (OLE compound file), not MIME: not parsed")
    found = _Found()
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
        found.defects.extend(type(d).__name__ for d in msg.defects)
        _visit(msg, found, 0, False, None)
        return _build(msg, data, sha, found)
    except Exception as exc:  # the contract is: never raise, say why
        return _unreadable(data, sha, *found.defects, f"unparseable: {exc!r}")


def format_address(name: str, addr: str) -> str:
    """A header-safe 'Name <addr>' (names are cleaned of CR/LF first)."""
    user, _, domain = clean_header(addr).partition("@")
    return str(Address(display_name=clean_header(name), username=user, domain=domain))


def reply_subject(subject: str) -> str:
    subject = clean_header(subject) or "(no subject)"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"

"""Screening: may we answer this message, and may we believe its sender? Pure.

Two questions, asked of every message before anything else:
- is it machine mail (auto-reply, bounce, list or bulk mail, a system address)?
  RFC 3834 says never to answer it automatically; answering is how mail loops and
  reply storms start. Each sign is one small named rule, tried in order; the first
  that fires names the kind. Rules read headers that machines set, and only a few
  anchored subject patterns, so a person who merely writes about a "delivery" is
  still answered.
- does the Authentication-Results header that *our own* MTA added (RFC 8601,
  identified by its authserv-id) show DMARC passing for the From domain? A forged
  sender must never move an organization's state or receive a reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.mail.message import ParsedMessage

AutoKind = Literal["auto_reply", "bounce", "list", "system", "spam"]
Verdict = Literal["pass", "fail", "none"]

_SYSTEM_LOCALPARTS = re.compile(
    r"^(mailer-?daemon|mail-?daemon|postmaster|no-?reply|do-?not-?reply|do_not_reply|donotreply|"
    r"bounces?|listserv|majordomo)([+-].*)?$",  # "bounces+123", "noreply-billing"; not "postmaster.jones"
    re.I,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-?daemon|mail-?daemon|postmaster)(@|$)", re.I)
# Subjects only as a last resort, anchored at the start and in the exact words MTAs and
# mail clients use: "Re: undeliverable mail?" or "Delivery of the forms" are people.
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable:|undelivered mail returned to sender|delivery status notification|"
    r"returned mail:|mail delivery (failed|failure)|failure notice\s*$|delivery (failure|notification):|"
    r"non-?delivery report|message not delivered:)",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply:|auto(matic)?[- ]?(reply|response):|autoreply:|out of (the )?office( autoreply)?:)", re.I
)
_SUPPRESS_REPLIES = re.compile(r"\b(all|oof|autoreply)\b", re.I)  # not DR/RN/NRN: those refuse receipts only
_PRECEDENCE = {"bulk": "list", "list": "list", "junk": "list", "auto_reply": "auto_reply"}


@dataclass(frozen=True)
class Screen:
    auto: AutoKind | None
    reason: str | None
    dmarc: Verdict  # as our trusted server judged the From domain
    authenticated: bool

    @property
    def may_reply(self) -> bool:
        return self.auto is None and self.authenticated


@dataclass(frozen=True)
class Rule:
    """One sign of machine mail: ``check`` returns why it fired, or None."""

    name: str
    kind: AutoKind
    check: Callable[[ParsedMessage], str | None]


def _report(msg: ParsedMessage) -> str | None:
    if msg.content_type != "multipart/report":
        return None
    return "delivery report (multipart/report)"


def _read_receipt(msg: ParsedMessage) -> str | None:
    ctype = (msg.header("Content-Type") or "").lower()
    if msg.content_type == "multipart/report" and "disposition-notification" in ctype:
        return "read receipt (multipart/report; report-type=disposition-notification)"
    return None


def _exchange_ndr(msg: ParsedMessage) -> str | None:
    return "X-MS-Exchange-Message-Is-Ndr" if msg.header("X-MS-Exchange-Message-Is-Ndr") is not None else None


def _bounce_sender(msg: ParsedMessage) -> str | None:
    addresses = (msg.from_addr, (msg.return_path or "").strip("<> "))
    local = next((a.partition("@")[0] for a in addresses if _BOUNCE_SENDER.match(a)), None)
    return f"mail system address {local}" if local else None


def _system_sender(msg: ParsedMessage) -> str | None:
    local = msg.from_addr.partition("@")[0]
    return f"system address {msg.from_addr}" if local and _SYSTEM_LOCALPARTS.match(local) else None


def _null_return_path(msg: ParsedMessage) -> str | None:
    return "null Return-Path (<>)" if msg.return_path is not None and msg.return_path.strip() in ("<>", "") else None


def _null_return_path_bounce(msg: ParsedMessage) -> str | None:
    # A null Return-Path carries bounces *and* polite auto-replies; a bounce subject tells them apart.
    reason = _null_return_path(msg)
    return f"{reason} with a bounce subject" if reason and _BOUNCE_SUBJECT.search(msg.subject) else None


def _auto_submitted_failure(msg: ParsedMessage) -> str | None:
    value = (msg.header("Auto-Submitted") or "").strip().lower()
    return f"Auto-Submitted: {value}" if value.startswith("auto-generated") and "failure" in value else None


def _auto_submitted(msg: ParsedMessage) -> str | None:
    value = (msg.header("Auto-Submitted") or "").strip().lower()
    return f"Auto-Submitted: {value}" if value and value != "no" and not value.startswith("no ") else None


def _autoreply_header(msg: ParsedMessage) -> str | None:
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Reply"):
        value = (msg.header(name) or "").strip().lower()
        if msg.header(name) is not None and value not in ("no", "false", "0"):
            return f"{name} header"
    return None


def _suppress_header(msg: ParsedMessage) -> str | None:
    value = msg.header("X-Auto-Response-Suppress") or ""
    return f"X-Auto-Response-Suppress: {value}" if _SUPPRESS_REPLIES.search(value) else None


def _precedence(kind: str) -> Callable[[ParsedMessage], str | None]:
    def check(msg: ParsedMessage) -> str | None:
        value = (msg.header("Precedence") or "").strip().lower()
        return f"Precedence: {value}" if _PRECEDENCE.get(value) == kind else None

    return check


def _list_headers(msg: ParsedMessage) -> str | None:
    names = sorted({k for k, _ in msg.headers if k.lower().startswith("list-")})
    return f"list headers ({', '.join(names[:3])})" if names else None


def _spam_verdict(msg: ParsedMessage) -> str | None:
    """The receiving server's spam verdict: SpamAssassin / rspamd headers, or Exchange Online's.

    Answering spam is backscatter, and tells spammers the address is read. A sender who
    forges a verdict onto their own mail only silences the reply to themselves.
    """
    if (msg.header("X-Spam-Flag") or "").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    if (msg.header("X-Spam-Status") or "").strip().lower().startswith("yes"):
        return "X-Spam-Status: Yes"
    scl = (msg.header("X-MS-Exchange-Organization-SCL") or "").strip()
    if scl.lstrip("-").isdigit() and int(scl) >= 5:
        return f"X-MS-Exchange-Organization-SCL: {scl}"
    if re.search(r"\bSFV:\s*SPM\b", msg.header("X-Forefront-Antispam-Report") or "", re.I):
        return "X-Forefront-Antispam-Report: SFV:SPM"
    return None


def _subject(pattern: re.Pattern[str], what: str) -> Callable[[ParsedMessage], str | None]:
    def check(msg: ParsedMessage) -> str | None:
        return f"{what} subject: {msg.subject[:60]}" if pattern.search(msg.subject) else None

    return check


RULES: tuple[Rule, ...] = (
    Rule("spam_verdict", "spam", _spam_verdict),
    Rule("read_receipt", "auto_reply", _read_receipt),
    Rule("delivery_report", "bounce", _report),
    Rule("exchange_ndr", "bounce", _exchange_ndr),
    Rule("mail_system_sender", "bounce", _bounce_sender),
    Rule("auto_submitted_failure", "bounce", _auto_submitted_failure),
    Rule("null_return_path_bounce", "bounce", _null_return_path_bounce),
    Rule("null_return_path", "auto_reply", _null_return_path),
    Rule("system_sender", "system", _system_sender),
    Rule("auto_submitted", "auto_reply", _auto_submitted),
    Rule("autoreply_header", "auto_reply", _autoreply_header),
    Rule("auto_response_suppress", "auto_reply", _suppress_header),
    Rule("precedence_auto_reply", "auto_reply", _precedence("auto_reply")),
    Rule("precedence_bulk", "list", _precedence("list")),
    Rule("list_headers", "list", _list_headers),
    Rule("bounce_subject", "bounce", _subject(_BOUNCE_SUBJECT, "bounce")),
    Rule("auto_reply_subject", "auto_reply", _subject(_AUTO_SUBJECT, "auto-reply")),
)


def classify_auto(msg: ParsedMessage) -> tuple[AutoKind | None, str | None]:
    """The RFC 3834 family of signs that a machine, not a person, wrote this: (kind, reason)."""
    for rule in RULES:
        reason = rule.check(msg)
        if reason:
            return rule.kind, reason
    return None, None


# --- Authentication-Results (RFC 8601) ---------------------------------------------------

_QUOTED_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|\(|\)|\\.|[^"()\\]+', re.S)
_PAIR = re.compile(r'([A-Za-z0-9_.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')


@dataclass(frozen=True)
class AuthResult:
    method: str  # "dmarc", "dkim", "spf", ...
    result: str  # "pass", "fail", "none", ...
    props: dict[str, str] = field(default_factory=dict)  # "header.from" -> "example.org", "reason" -> ...


def _strip_comments(value: str) -> str:
    """Drop (comments), which nest and may hold anything, but not parentheses inside quoted strings."""
    out: list[str] = []
    depth = 0
    for token in _QUOTED_OR_COMMENT.findall(value):
        if token in ("(", ")"):
            depth = depth + 1 if token == "(" else max(0, depth - 1)
            out.append(" ")  # a comment separates tokens like whitespace does
        elif depth == 0:
            out.append(token)
    return "".join(out)


def _split_semicolons(value: str) -> list[str]:
    return [p.strip() for p in re.findall(r'(?:"(?:[^"\\]|\\.)*"|[^;"])+', value)]


def parse_auth_results(value: str) -> tuple[str, list[AuthResult]]:
    """(authserv-id lower-cased, results) of one Authentication-Results header value."""
    parts = _split_semicolons(_strip_comments(value))
    if not parts or not parts[0]:
        return "", []
    authserv = parts[0].split()[0].lower()
    results = []
    for part in parts[1:]:
        pairs = [(k.lower(), v.strip('"')) for k, v in _PAIR.findall(part)]
        if not pairs:
            continue  # "none": no method was evaluated
        (method, result), props = pairs[0], dict(pairs[1:])
        results.append(AuthResult(method.split("/")[0], result.lower(), props))
    return authserv, results


def _domain(value: str | None) -> str:
    return (value or "").strip().strip("<>").rpartition("@")[2].rstrip(".").lower()


def dmarc_verdict(msg: ParsedMessage, trusted_ids: tuple[str, ...]) -> Verdict:
    """DMARC result for the From domain, read only from headers our trusted server added.

    A sender can write any Authentication-Results header it likes, and may even use our
    authserv-id if our MTA fails to strip such headers (RFC 8601 section 5). So only
    headers whose authserv-id is ours count, only results whose header.from is the From
    domain count, and *every* such result must pass: a forged "pass" placed above or below
    ours cannot outvote our "fail", and silence (no result at all) is not a pass.
    """
    trusted = {t.lower() for t in trusted_ids}
    verdicts: list[str] = []
    for value in msg.header_all("Authentication-Results"):
        authserv, results = parse_auth_results(value)
        if authserv not in trusted or not msg.from_domain:
            continue
        verdicts += [r.result for r in results
                     if r.method == "dmarc" and _domain(r.props.get("header.from")) == msg.from_domain]
    if verdicts and all(v == "pass" for v in verdicts):
        return "pass"
    return "fail" if "fail" in verdicts else "none"


def screen(msg: ParsedMessage, trusted_ids: tuple[str, ...]) -> Screen:
    """No trusted server configured (the embedded demo) means: believe the From header."""
    auto, reason = classify_auto(msg)
    if trusted_ids:
        dmarc = dmarc_verdict(msg, trusted_ids)
        authenticated = dmarc == "pass"
    else:
        dmarc, authenticated = "none", bool(msg.from_addr)
    return Screen(auto=auto, reason=reason, dmarc=dmarc, authenticated=authenticated)

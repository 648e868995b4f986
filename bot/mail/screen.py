"""Screening: may we answer this message, and may we believe its sender? Pure.

Two questions, asked of every message before anything else:
- is it machine mail (auto-reply, bounce, list or bulk mail, a system address)?
  RFC 3834 says never to answer it automatically; answering is how mail loops start.
- does the Authentication-Results header that *our own* MTA added (RFC 8601,
  identified by its authserv-id) show DMARC passing for the From domain? A forged
  sender must never move an organization's state or receive a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.mail.message import ParsedMessage

AutoKind = Literal["auto_reply", "bounce", "list", "system"]

_SYSTEM_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|listserv|majordomo)"
    r"([+\-_.].*)?$",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response)|out of (the )?office|autoreply|vacation|abwesenheit)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery (status )?notification|returned mail|mail delivery (failed|failure|system)|"
    r"failure notice|delivery failure|non[- ]?delivery|could not be delivered)",
    re.I,
)


@dataclass(frozen=True)
class Screen:
    auto: AutoKind | None
    reason: str | None
    dmarc: Literal["pass", "fail", "none"]  # as our trusted server judged the From domain
    authenticated: bool

    @property
    def may_reply(self) -> bool:
        return self.auto is None and self.authenticated


def classify_auto(msg: ParsedMessage) -> tuple[AutoKind | None, str | None]:
    """The RFC 3834 family of signs that a machine, not a person, wrote this."""
    ctype = msg.content_type.lower()
    if ctype == "multipart/report" or any(
        a.content_type in ("message/delivery-status", "message/disposition-notification")
        for a in msg.attachments
    ):
        return "bounce", "delivery report (multipart/report)"
    local = msg.from_addr.partition("@")[0]
    if _SYSTEM_LOCALPARTS.match(local):
        kind: AutoKind = "bounce" if local.lower().startswith(("mailer-daemon", "postmaster")) else "system"
        return kind, f"system address {msg.from_addr}"
    if msg.return_path is not None and msg.return_path.strip() in ("<>", ""):
        return "bounce", "null Return-Path"
    if _BOUNCE_SUBJECT.search(msg.subject) and not msg.from_addr:
        return "bounce", "bounce subject without sender"
    auto_sub = (msg.header("Auto-Submitted") or "").strip().lower()
    if auto_sub and auto_sub != "no":
        return "auto_reply", f"Auto-Submitted: {auto_sub}"
    if msg.header("X-Autoreply") or msg.header("X-Autorespond") or msg.header("X-Auto-Response-Suppress"):
        return "auto_reply", "auto-response header"
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return ("list" if precedence in ("bulk", "list") else "auto_reply"), f"Precedence: {precedence}"
    if any(k.lower().startswith("list-") for k, _ in msg.headers):
        return "list", "List-* headers"
    if _BOUNCE_SUBJECT.search(msg.subject):
        return "bounce", f"bounce subject: {msg.subject[:60]}"
    if _AUTO_SUBJECT.match(msg.subject):
        return "auto_reply", f"auto-reply subject: {msg.subject[:60]}"
    return None, None


_RESINFO = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.I)
_HEADER_FROM = re.compile(r"header\.from\s*=\s*([^\s;]+)", re.I)


def dmarc_verdict(msg: ParsedMessage, trusted_ids: tuple[str, ...]) -> Literal["pass", "fail", "none"]:
    """DMARC result for the From domain, read only from headers our trusted server added.

    A sender can write any Authentication-Results header it likes; only the ones whose
    authserv-id (the first token) is ours count (RFC 8601 section 5).
    """
    trusted = {t.lower() for t in trusted_ids}
    verdict: Literal["pass", "fail", "none"] = "none"
    for value in msg.header_all("Authentication-Results"):
        authserv = value.split(";", 1)[0].strip().split()[0].lower() if value.strip() else ""
        if authserv not in trusted:
            continue
        for method, result in _RESINFO.findall(value):
            if method.lower() != "dmarc":
                continue
            hdr_from = _HEADER_FROM.search(value)
            if hdr_from and hdr_from.group(1).lower().strip(">") != msg.from_domain:
                continue
            if result.lower() == "pass":
                return "pass"
            verdict = "fail"
    return verdict


def screen(msg: ParsedMessage, trusted_ids: tuple[str, ...]) -> Screen:
    """No trusted server configured (the embedded demo) means: believe the From header."""
    auto, reason = classify_auto(msg)
    if trusted_ids:
        dmarc = dmarc_verdict(msg, trusted_ids)
        authenticated = dmarc == "pass"
    else:
        dmarc, authenticated = "none", bool(msg.from_addr)
    return Screen(auto=auto, reason=reason, dmarc=dmarc, authenticated=authenticated)

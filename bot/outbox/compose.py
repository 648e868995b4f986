"""An outbox row -> the EmailMessage a sender hands to the server. Pure.

Every automatic mail is multipart/alternative (text + HTML), threads to what it
answers (In-Reply-To / References), says ``Auto-Submitted: auto-replied`` or
``auto-generated`` (RFC 3834, so other robots do not answer it) and carries a
Message-ID of our own, fixed when the row was created, so a resend is the same mail.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

REPLY_KINDS = {"receipt", "wrong_inbox", "not_ready", "unreadable", "rejected", "held", "not_accepted", "resend",
               "unknown_org", "question", "setup_answer", "setup_change"}


# Python folds a header longer than 78 characters by moving the whole value to the next line
# ("Subject:\r\n Reminder: ..."), which mail clients and parsers show with a leading space.
# RFC 5322 allows 998; our subjects stay far below, so they go out on one line.
MAIL_POLICY = policy.default.clone(max_line_length=998)


def make_message_id(key: str, domain: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"<hmisbot.{digest}@{domain}>"


def compose(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    kind: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: str | None = None,
    inline_png: bytes | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if reply_to:
        msg["Reply-To"] = reply_to  # the inbox whose step this is: an answer must not land in the wrong one
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg["Auto-Submitted"] = "auto-replied" if kind in REPLY_KINDS else "auto-generated"
    # Ask Exchange not to send out-of-office answers back to us.
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-HMISbot-Kind"] = kind
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if inline_png:
        html_part = msg.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(inline_png, "image", "png", cid="<funnel@hmisbot>")
    return msg

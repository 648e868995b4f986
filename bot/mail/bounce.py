"""Bounces: who did not get our mail, for good or for now, and which message of ours it was. Pure.

Standard delivery reports (RFC 3464: multipart/report with a message/delivery-status
part) are read here, field by field, because only they carry what the workflow needs:
each recipient's Action and Status (5.x.x permanent, 4.x.x transient) and, in the
returned headers, the Message-ID of the message that bounced.

The rest of the world's bounces (Exim, qmail, Postfix without DSN, old Exchange,
GroupWise, Yahoo, "simple" warnings...) have no standard at all. For those we use the
heuristic detectors of ``flufl.bounce`` (GNU Mailman's bounce library, Apache-2.0),
which have met twenty years of real bounces; writing our own would only rediscover
them. It tells temporary from permanent failures but gives no status code, and the
Message-ID of our original is then searched in the returned text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses
from typing import Literal

from flufl.bounce import all_failures

# flufl.bounce logs one INFO line per detector per message; keep its warnings and errors only.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MSGID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)
_MSGID = re.compile(r"<[^<>\s]+>")
_RETURNED = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers")


@dataclass(frozen=True)
class FailedRecipient:
    address: str  # lower-cased
    permanent: bool  # True: 5.x.x or a final failure; False: 4.x.x or a delay (the MTA will retry)
    status: str | None = None  # the enhanced status code, e.g. "5.1.1", when the report gives one
    action: str | None = None  # RFC 3464 Action: "failed" or "delayed"
    diagnostic: str = ""


@dataclass(frozen=True)
class Bounce:
    recipients: tuple[FailedRecipient, ...]
    original_message_id: str | None  # our Message-ID, from the returned message or its headers
    source: Literal["dsn", "heuristic"]

    @property
    def permanent(self) -> tuple[str, ...]:
        return tuple(r.address for r in self.recipients if r.permanent)

    @property
    def transient(self) -> tuple[str, ...]:
        return tuple(r.address for r in self.recipients if not r.permanent)


def _address(field_value: str) -> str | None:
    """'rfc822; user@example.org' -> 'user@example.org' (other address types are not mail)."""
    kind, sep, value = field_value.partition(";")
    if sep and kind.strip().lower() not in ("rfc822", ""):
        return None
    address = getaddresses([value if sep else kind])[0][1] if (value if sep else kind).strip() else ""
    return address.lower() if "@" in address else None


def _status_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part, however the parser left them."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [b for b in payload if isinstance(b, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return [message_from_bytes(b.encode(), policy=policy.compat32) for b in re.split(r"\n\s*\n", text) if b.strip()]


def _recipient(block: Message) -> FailedRecipient | None:
    action = str(block.get("Action", "")).strip().lower().split(" ")[0]
    if action not in ("failed", "delayed", "failure", "error"):
        return None  # delivered, relayed, expanded: not a failure
    address = next(
        (a for name in ("Original-Recipient", "Final-Recipient") if (a := _address(str(block.get(name, ""))))), None
    )
    if address is None:
        return None
    match = _STATUS.search(str(block.get("Status", "")))
    status = ".".join(match.groups()) if match else None
    permanent = status.startswith("5") if status else action != "delayed"
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
    return FailedRecipient(address, permanent, status, "delayed" if action == "delayed" else "failed", diagnostic)


def _from_dsn(msg: Message) -> list[FailedRecipient]:
    found: dict[str, FailedRecipient] = {}
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            rcpt = _recipient(block)
            if rcpt and (rcpt.address not in found or rcpt.permanent):
                found[rcpt.address] = rcpt
    return list(found.values())


def _returned_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822 (or -headers): the parser made it a message
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        return _MSGID.findall(str(inner.get("Message-ID", ""))) if inner is not None else []
    return _MSGID_LINE.findall(str(payload))  # text/rfc822-headers: plain header lines


def _returned_message_id(msg: Message) -> str | None:
    """Message-ID in the returned message or headers; else quoted in the report's text; else In-Reply-To."""
    parts = list(msg.walk())
    for part in parts:
        if part.get_content_type() in _RETURNED and (ids := _returned_ids(part)):
            return str(ids[0])
    for part in parts:
        raw = part.get_payload(decode=True) if part.get_content_maintype() == "text" else None
        if isinstance(raw, bytes) and (ids := _MSGID_LINE.findall(raw.decode("utf-8", "replace"))):
            return str(ids[0])
    ids = _MSGID.findall(str(msg.get("In-Reply-To", "")))
    return str(ids[0]) if ids else None


def _heuristic(msg: Message) -> list[FailedRecipient]:
    if not getaddresses([str(msg.get("From", ""))]):
        return []  # flufl.bounce 6.0's Yale detector indexes the From address and fails without one
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector that trips on odd mail must not stop the bounce from being seen
        return []
    perm = sorted({a.decode("ascii", "replace").lower() for a in permanent})
    temp = sorted({a.decode("ascii", "replace").lower() for a in temporary} - set(perm))
    out = [FailedRecipient(a, True, action="failed") for a in perm]
    out += [FailedRecipient(a, False, action="delayed") for a in temp]
    return [r for r in out if "@" in r.address]  # an X.400 or local name is not an address we sent to


def parse_bounce(data: bytes) -> Bounce | None:
    """The failures a bounce reports, or None when it names no failed recipient. Never raises."""
    try:
        msg = message_from_bytes(data, policy=policy.compat32)  # what flufl.bounce is written for
        if recipients := _from_dsn(msg):
            return Bounce(tuple(recipients), _returned_message_id(msg), "dsn")
        if recipients := _heuristic(msg):
            return Bounce(tuple(recipients), _returned_message_id(msg), "heuristic")
        return None
    except Exception:  # the input is hostile by nature; a bounce we cannot read is not a bounce we act on
        return None

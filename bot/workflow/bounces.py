"""Bounces of our own mail: mark the address undeliverable and tell staff.

Only a bounce that names a Message-ID we sent counts (anything else is backscatter
from forged mail and changes nothing). A permanent failure marks the contact
undeliverable, so reminders and replies stop going to it, and the duty that owns
the mailbox the bounce came back to is told, once per address.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.decide import Decision, Mail
from bot.mail.bounce import parse_bounce
from bot.store.models import Contact, OutboxRow


def handle_bounce(session: Session, data: bytes, now: datetime, staff_address: str) -> Decision:
    decision = Decision(org=None)
    bounce = parse_bounce(data)
    if bounce is None:
        decision.events.append(("bounce_unreadable", {}))
        return decision
    ours = None
    if bounce.original_message_id:
        ours = session.exec(select(OutboxRow).where(OutboxRow.message_id == bounce.original_message_id)).first()
    if ours is None:
        decision.events.append(("bounce_not_ours", {"recipients": list(bounce.permanent)}))
        return decision
    for address in bounce.permanent:
        contacts = session.exec(select(Contact).where(col(Contact.email) == address)).all()
        for contact in contacts:
            contact.undeliverable = True
        decision.events.append(("address_undeliverable", {"address": address, "mail": ours.key}))
        decision.mails.append(Mail("bounce_notice", [staff_address], {
            "address": address, "subject": ours.subject, "kind": ours.kind,
            "status": next((r.status or "" for r in bounce.recipients if r.address == address), ""),
            "sent_at": ours.sent_at.isoformat() if ours.sent_at else ""}, f"bounce:{address}"))
    ours.status = "bounced" if bounce.permanent else ours.status
    decision.received.append(f"bounce of our mail to {', '.join(bounce.permanent) or 'a delayed recipient'}")
    return decision


def undeliverable(session: Session, address: str) -> bool:
    return session.exec(
        select(Contact.id).where(col(Contact.email) == address.lower(), col(Contact.undeliverable).is_(True))
    ).first() is not None

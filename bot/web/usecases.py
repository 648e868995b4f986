"""The staff site's own use cases: settle a review item by classifying or rejecting it.

Each is ONE transaction, like a message's processing: the document, the
organization's new state, the review item's resolution, the audit events (with the
staff member as actor) and the mails they cause (a receipt or a rejection to the
sender, threaded to the original message; a hand-off when a user becomes ready)
commit together or not at all. The mails leave through the outbox afterwards.
The shared use cases (resolve, grant, countersign) stay in ``bot.service``.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core import transitions
from bot.core.replies import handoff_context, missing_context, reply_address
from bot.core.state import OrgState, UserState, refresh_access
from bot.core.text import quoted
from bot.core.vocabulary import FORM_KINDS, LABEL
from bot.mail.message import ParsedMessage, parse_message
from bot.outbox.outbox import enqueue
from bot.service import queue_notices
from bot.store import repo
from bot.store.db import transaction
from bot.store.models import Document, HmisUser, Organization, ReviewItem, SeenMessage
from bot.store.queries import undeliverable

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
KINDS = (*FORM_KINDS, "unknown")


class Refused(ValueError):
    """The action cannot be done as asked; the message is shown to the staff member."""


@dataclass(frozen=True)
class Classify:
    item_id: int
    document_id: int | None  # None: the message had no document; file it under the organization only
    kind: str
    org_name: str
    user_email: str = ""
    note: str = ""


def _open_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None or item.resolved_at is not None:
        raise Refused(f"review item #{item_id} is not open (someone may have just settled it)")
    return item


def _org_named(session: Session, name: str) -> int:
    name = " ".join(name.split())
    exact = session.exec(select(Organization.id).where(func.lower(Organization.name) == name.lower())).all()
    if len(exact) > 1:
        raise Refused(f"several organizations are named {name!r}")
    found = exact[0] if exact else repo.org_by_name(session, name)
    if found is None:
        raise Refused(f"no organization named {name!r}")
    return found


def _original(seen: SeenMessage | None) -> ParsedMessage | None:
    """The archived message, for the sender's name and the thread (None if it is gone)."""
    if seen is None or not seen.archive_path:
        return None
    try:
        return parse_message(Path(seen.archive_path).read_bytes())
    except OSError:
        return None


def _greeting(original: ParsedMessage | None, item: ReviewItem) -> dict[str, Any]:
    return {"sender_name": quoted(original.from_name if original else "", 60) or item.sender,
            "subject": quoted(item.subject) or "(no subject)"}


def _document(session: Session, item: ReviewItem, doc_id: int | None) -> Document | None:
    if doc_id is None:
        return None
    doc = session.get(Document, doc_id)
    if doc is None or item.seen_id is None or doc.seen_id != item.seen_id:
        raise Refused(f"document #{doc_id} is not part of review item #{item.id}")
    return doc


def _apply_form(org: OrgState, kind: str, email: str, doc: Document, now: datetime) -> str:
    """Record the form as accepted on the organization; return what was received."""
    if kind == "organization_agreement":
        transitions.accept_agreement(org, now)  # already accepted: nothing to change, still filed
        return "Organization Agreement: accepted"
    if "@" not in email:
        raise Refused(f"a {LABEL[kind]} needs the user's email address")
    user, _ = transitions.user_of(org, email, doc.fields.get("user_name", ""))
    transitions.record_user_form(user, kind, accepted=True)
    return f"{LABEL[kind]} for {user.name or user.email}: accepted"


def classify_item(bot: App, req: Classify, by: str) -> str:
    """Staff say what a document is and whose; the bot then acts as if it had read it so."""
    if req.kind not in KINDS:
        raise Refused(f"unknown document kind {req.kind!r}")
    now = bot.clock.utcnow()
    with transaction(bot.engine) as session:
        item = _open_item(session, req.item_id)
        doc = _document(session, item, req.document_id)
        org_id = _org_named(session, req.org_name)
        seen = session.get(SeenMessage, item.seen_id) if item.seen_id else None
        org = repo.load_org(session, org_id)
        before = copy.deepcopy(org)
        received = []
        if doc is not None and req.kind in FORM_KINDS:
            received.append(_apply_form(org, req.kind, req.user_email.strip().lower(), doc, now))
        newly = refresh_access(org, bot.clock.today(), bot.calendar)
        repo.save_org(session, org, now)
        queue_notices(bot, session, before, org)
        user_id = _user_id(session, req.user_email) if req.kind in FORM_KINDS[1:] else None
        if doc is not None:
            doc.kind, doc.org_id, doc.user_id = req.kind, org_id, user_id
            doc.status = "accepted" if req.kind in FORM_KINDS else "ignored"
            doc.reason = f"set by {by}" + (f": {req.note}" if req.note else "")
        if seen is not None and seen.org_id is None:
            seen.org_id = org_id
        what = f"{req.kind} for {org.name}" + (f" ({req.user_email})" if user_id else "") if doc else org.name
        _settle(session, item, org_id, f"filed as {what}" + (f"; {req.note}" if req.note else ""), by, now)
        repo.audit(session, now, "review_classified", actor=by, org_id=org_id, user_id=user_id, seen_id=item.seen_id,
                   detail={"id": item.id, "document": doc.id if doc else None, "kind": req.kind, "org": org.name,
                           "user": req.user_email or None})
        _mails(bot, session, item, seen, org, received, newly, now, by)
    return f"Review item #{req.item_id} filed as {what}."


def _user_id(session: Session, email: str) -> int | None:
    return session.exec(select(HmisUser.id).where(HmisUser.email == email.strip().lower())).first()


def _settle(session: Session, item: ReviewItem, org_id: int | None, resolution: str, by: str, now: datetime) -> None:
    item.org_id = item.org_id or org_id
    item.resolved_at, item.resolution, item.resolved_by = now, resolution[:500], by


def _mails(bot: App, session: Session, item: ReviewItem, seen: SeenMessage | None, org: OrgState,
           received: list[str], newly: list[UserState], now: datetime, by: str) -> None:
    """A receipt to the sender for an accepted form; a hand-off for each user now ready."""
    for user in newly:
        repo.audit(session, now, "user_ready", actor=by, org_id=org.id, user_id=user.id,
                   detail={"email": user.email, "due": str(user.access_due), "item": item.id})
        enqueue(session, bot.env, key=f"web:review:{item.id}:handoff:{user.email}", kind="handoff",
                to=[bot.duty_address("access")], context=handoff_context(org, user), now=now,
                domain=bot.mail_domain, org_id=org.id)
    if not received or not item.sender:
        return
    original = _original(seen)
    context: dict[str, Any] = _greeting(original, item) | missing_context(
        org, item.sender, bot.home_addresses, bot.links) | {
        "received": received, "review": [], "wrong_inbox": [],
        "headline": f"Received: {received[0]}" if received else ""}
    _reply(bot, session, item, seen, original, "receipt", context, org.id, now)


def _reply(bot: App, session: Session, item: ReviewItem, seen: SeenMessage | None, original: ParsedMessage | None,
           kind: str, context: dict[str, Any], org_id: int | None, now: datetime) -> bool:
    """Queue one reply to the item's sender, threaded to the original; False if it cannot go."""
    to = reply_address(original) if original is not None and original.from_addr else item.sender
    if undeliverable(session, to):
        repo.audit(session, now, "reply_not_sent_undeliverable", org_id=org_id, seen_id=item.seen_id,
                   detail={"to": to})
        return False
    message_id = seen.message_id if seen is not None and seen.message_id else None
    enqueue(session, bot.env, key=f"web:review:{item.id}:{kind}", kind=kind, to=[to], context=context, now=now,
            domain=bot.mail_domain, in_reply_to=message_id,
            references=original.references if original else (), seen_id=item.seen_id, org_id=org_id)
    return True


def reject_item(bot: App, item_id: int, reason: str, by: str) -> str:
    """Refuse what the sender sent, and tell them why (the ``rejected`` mail)."""
    reason = " ".join(reason.split())
    if not reason:
        raise Refused("say why it is rejected: the sender reads the reason")
    now = bot.clock.utcnow()
    with transaction(bot.engine) as session:
        item = _open_item(session, item_id)
        if not item.sender:
            raise Refused(f"review item #{item_id} has no sender to answer")
        seen = session.get(SeenMessage, item.seen_id) if item.seen_id else None
        docs = session.exec(select(Document).where(col(Document.seen_id) == item.seen_id)).all() if seen else []
        for doc in docs:
            if doc.status == "review":
                doc.status, doc.reason = "rejected", reason
        original = _original(seen)
        context = _greeting(original, item) | {"reason": reason, "files": [d.filename for d in docs]}
        sent = _reply(bot, session, item, seen, original, "rejected", context, item.org_id, now)
        _settle(session, item, None, f"rejected: {reason}", by, now)
        repo.audit(session, now, "review_rejected", actor=by, org_id=item.org_id, seen_id=item.seen_id,
                   detail={"id": item_id, "reason": reason, "to": item.sender, "reply": sent})
    if not sent:
        return f"Review item #{item_id} rejected; NO reply sent: {item.sender} is marked undeliverable."
    return f"Review item #{item_id} rejected; the reason is on its way to {item.sender}."

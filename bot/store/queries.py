"""The read model: read-only queries that return the core's values, each written once.

What the pipeline's decisions need (the organizations identification matches against,
what is on file for a sender, dead addresses, our own sent mail); every organization as
``OrgState`` for status, jobs and exports (through the one mapper, ``store.rows``); the
open review queue; and the messages handled since a time, with what became of them, for
the staff digest. Writes stay in ``repo``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from bot.core.arrivals import Arrival, FormOutcome
from bot.core.identity import KnownOrg, SenderRecord
from bot.core.staffmail import SentMail
from bot.core.state import AWAITING_GRANT, OrgState
from bot.store import repo
from bot.store.models import (
    AuditEvent,
    Contact,
    Document,
    HmisUser,
    Organization,
    OutboxRow,
    Program,
    ReviewItem,
    SeenMessage,
)
from bot.store.rows import org_state


def known_orgs(session: Session) -> list[KnownOrg]:
    """Every organization's names and domains, and whether someone holds it (a contact or a domain)."""
    held = set(session.exec(select(Contact.org_id).distinct()).all())
    return [
        KnownOrg(org_id, name, tuple(aliases or ()), tuple(d.lower() for d in domains or ()),
                 bool(domains) or org_id in held)
        for org_id, name, aliases, domains in session.exec(
            select(Organization.id, Organization.name, Organization.aliases, Organization.email_domains)
            .order_by(col(Organization.id))).all()
        if org_id is not None
    ]


def sender_record(session: Session, address: str, thread_ids: Iterable[str]) -> SenderRecord:
    """What is on file for this address, and the organization of the thread it answers."""
    address = address.lower()
    contact = session.exec(select(Contact.org_id).where(Contact.email == address)).first() if address else None
    user = session.exec(select(HmisUser.org_id).where(HmisUser.email == address)).first() if address else None
    return SenderRecord(contact_of=contact, user_of=user, thread_org=repo.org_by_thread(session, thread_ids))


def undeliverable(session: Session, address: str) -> bool:
    """True when a bounce proved this address dead: no reply or reminder goes to it."""
    return session.exec(select(Contact.id).where(
        col(Contact.email) == address.lower(), col(Contact.undeliverable).is_(True))).first() is not None


def sent_mail(session: Session, message_id: str | None) -> SentMail | None:
    """Our mail with this Message-ID (the one a bounce names), or None: the bounce is not of our mail."""
    row = session.exec(select(OutboxRow).where(OutboxRow.message_id == message_id)).first() if message_id else None
    if row is None or row.message_id is None:
        return None
    return SentMail(row.message_id, row.key, row.kind, row.subject, row.sent_at)


def orgs_of_users(session: Session, emails: Iterable[str]) -> dict[str, OrgState]:
    """Each known user's organization, loaded once per organization however many users it has."""
    wanted = sorted({e.lower() for e in emails if e})
    rows = session.exec(select(HmisUser.email, HmisUser.org_id).where(col(HmisUser.email).in_(wanted))).all() \
        if wanted else []
    loaded: dict[int, OrgState] = {}
    for _, org_id in rows:
        if org_id not in loaded:
            loaded[org_id] = repo.load_org(session, org_id)
    return {email: loaded[org_id] for email, org_id in rows}


def load_all(session: Session, org_name: str | None = None) -> list[OrgState]:
    """Every organization (or the one named) with its children, in four Core queries.

    Plain rows, not ORM objects: ten times faster with thousands of users.
    """
    query = select(*Organization.__table__.c).order_by(col(Organization.name))  # type: ignore[attr-defined]
    orgs = [o for o in session.execute(query).all() if org_name is None or o.name.lower() == org_name.lower()]
    ids = [o.id for o in orgs]
    kids: dict[Any, dict[int, list[Any]]] = {model: defaultdict(list) for model in (Contact, Program, HmisUser)}
    for model, by_org in kids.items():
        table = model.__table__
        for row in session.execute(select(*table.c).where(table.c.org_id.in_(ids)).order_by(table.c.id)).all():
            by_org[row.org_id].append(row)
    return [org_state(o, kids[Contact][o.id], kids[Program][o.id], kids[HmisUser][o.id]) for o in orgs]


def review_open() -> ColumnElement[bool]:
    """The condition "this review item still waits for a person", for queries that count or page."""
    return col(ReviewItem.resolved_at).is_(None)


def open_reviews(session: Session, org_id: int | None = None) -> list[ReviewItem]:
    """The open review queue (of one organization, when given), oldest first."""
    query = select(ReviewItem).where(review_open())
    if org_id is not None:
        query = query.where(ReviewItem.org_id == org_id)
    return list(session.exec(query.order_by(col(ReviewItem.id))).all())


def arrivals(session: Session, since: datetime, mailboxes: Iterable[str] | None = None) -> list[Arrival]:
    """Messages handled since ``since`` (processed or sent to review), with their forms, events and review.

    Five queries whatever the number of messages. ``mailboxes`` narrows to those mailboxes.
    """
    query = select(SeenMessage, Organization.name).join(
        Organization, col(Organization.id) == col(SeenMessage.org_id), isouter=True).where(
        col(SeenMessage.processed_at) >= since, col(SeenMessage.outcome).in_(["processed", "review"]))
    if mailboxes is not None:
        query = query.where(col(SeenMessage.mailbox).in_(list(mailboxes)))
    seen = session.exec(query.order_by(col(SeenMessage.processed_at), col(SeenMessage.id))).all()
    ids = [s.id for s, _ in seen]
    forms: dict[int, list[FormOutcome]] = defaultdict(list)
    for doc, name, email in session.exec(
            select(Document, HmisUser.name, HmisUser.email)
            .join(HmisUser, col(HmisUser.id) == col(Document.user_id), isouter=True)
            .where(col(Document.seen_id).in_(ids)).order_by(col(Document.id))).all():
        forms[doc.seen_id].append(FormOutcome(doc.kind, doc.status, doc.reason, name or email or ""))
    events: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for seen_id, action, detail in session.exec(
            select(AuditEvent.seen_id, AuditEvent.action, AuditEvent.detail)
            .where(col(AuditEvent.seen_id).in_(ids)).order_by(col(AuditEvent.id))).all():
        events[seen_id or 0].append((action, dict(detail)))
    reviews = dict(session.exec(select(ReviewItem.seen_id, ReviewItem.reason)
                                .where(col(ReviewItem.seen_id).in_(ids))).all())
    return [Arrival(s.id or 0, s.mailbox, s.sender, s.subject, s.kind, s.outcome, org,
                    tuple(forms[s.id or 0]), tuple(events[s.id or 0]), reviews.get(s.id))
            for s, org in seen]


def load_waiting_for_lahsa(session: Session, duty: str | None = None) -> list[OrgState]:
    """Every organization with what one duty's today page needs of it: the staff site's today pages,
    which would otherwise map 10,000 users' trainings and forms to list the few LAHSA has to act on.

    Users are only those waiting for an HMIS account (ready or overdue). ``duty`` narrows further:
    access needs the users, implementation the programs, training the contacts (the Executive
    Director); the other parts are left empty. Not for anything that counts users or programs."""
    orgs = session.execute(select(*Organization.__table__.c).order_by(col(Organization.name))).all()  # type: ignore[attr-defined]
    needed = {"access": (HmisUser,), "implementation": (Program,), "training": (Contact,)}
    models = needed.get(duty or "", (Contact, Program, HmisUser))
    kids: dict[Any, dict[int, list[Any]]] = {model: defaultdict(list) for model in (Contact, Program, HmisUser)}
    for model in models:
        table = model.__table__  # type: ignore[attr-defined]
        query = select(*table.c).order_by(table.c.id)
        if model is HmisUser:
            query = query.where(table.c.access.in_(AWAITING_GRANT))
        for row in session.execute(query).all():
            kids[model][row.org_id].append(row)
    return [org_state(o, kids[Contact][o.id], kids[Program][o.id], kids[HmisUser][o.id]) for o in orgs]

"""Read-only queries that feed the pure core: the organizations identification matches against.

Writes stay in ``repo``; this module only reads, and returns the core's values.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.core.identity import KnownOrg, SenderRecord
from bot.core.staffmail import SentMail
from bot.core.state import OrgState
from bot.store import repo
from bot.store.models import Contact, HmisUser, Organization, OutboxRow


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

"""Read-only queries that feed the pure core: the organizations identification matches against.

Writes stay in ``repo``; this module only reads, and returns the core's values.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.core.identity import KnownOrg, SenderRecord
from bot.store import repo
from bot.store.models import Contact, HmisUser, Organization


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

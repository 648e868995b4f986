"""Queries and writes of the tracking database, in terms of the core's values.

Loads an organization as an ``OrgState`` and writes one back (inserting new
children, updating changed ones), finds which organization a message belongs to,
and records seen messages, documents, review items and audit events. Every
function takes the caller's session: the orchestrator owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from bot.core.state import OrgState, UserState
from bot.store.models import (
    AuditEvent,
    Contact,
    HmisUser,
    Organization,
    OutboxRow,
    Program,
    SeenMessage,
)
from bot.store.rows import org_state

NAME_MATCH_THRESHOLD = 88.0


def load_org(session: Session, org_id: int) -> OrgState:
    org = session.get(Organization, org_id)
    if org is None:
        raise KeyError(f"organization {org_id}")
    contacts = session.exec(select(Contact).where(Contact.org_id == org_id).order_by(col(Contact.id))).all()
    programs = session.exec(select(Program).where(Program.org_id == org_id).order_by(col(Program.id))).all()
    users = session.exec(select(HmisUser).where(HmisUser.org_id == org_id).order_by(col(HmisUser.id))).all()
    return org_state(org, contacts, programs, users)


def _assign(row: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def _children(session: Session, model: Any, org_id: int) -> dict[int, Any]:
    """An organization's rows of one kind by id: one query, where a get() per row cost ~1 ms each
    (the session holds rows weakly, so those load_org read are gone by now)."""
    return {row.id: row for row in session.exec(select(model).where(model.org_id == org_id)).all()}


def save_org(session: Session, state: OrgState, now: datetime) -> int:
    """Write the aggregate back; new children are inserted, existing ones updated."""
    org = session.get(Organization, state.id) if state.id else None
    if org is None:
        org = Organization(name=state.name, created_at=now)
        session.add(org)
    _assign(
        org,
        {
            "name": state.name,
            "aliases": list(state.aliases),
            "email_domains": list(state.domains),
            "ces_roles": list(state.ces_roles),
            "agreement": state.agreement,
            "agreement_note": state.agreement_note,
            "agreement_at": state.agreement_at,
        },
    )
    session.flush()
    assert org.id is not None
    state.id = org.id
    contacts = _children(session, Contact, org.id) if state.contacts else {}
    for c in state.contacts:
        row = (contacts.get(c.id) or session.get(Contact, c.id)) if c.id else None
        if row is None:
            row = Contact(org_id=org.id, email=c.email, role=c.role, name=c.name)
            session.add(row)
        _assign(row, {"name": c.name, "email": c.email, "role": c.role})
    programs = _children(session, Program, org.id) if state.programs else {}
    for p in state.programs:
        prow = (programs.get(p.id) or session.get(Program, p.id)) if p.id else None
        if prow is None:
            prow = Program(org_id=org.id, name=p.name, type=p.type, setup=p.setup)
            session.add(prow)
        _assign(prow, {k: getattr(p, k) for k in ("name", "type", "setup", "thread_id", "requested_at",
                                                 "followup_at", "confirmed_at")})
    users = _children(session, HmisUser, org.id) if state.users else {}
    added: list[tuple[UserState, HmisUser]] = []
    for u in state.users:
        urow = (users.get(u.id) or session.get(HmisUser, u.id)) if u.id else None
        if urow is None:
            urow = HmisUser(org_id=org.id, email=u.email)
            session.add(urow)
            added.append((u, urow))
        _assign(urow, {k: getattr(u, k) for k in ("name", "email", "new_user", "access", "ready_on",
                                                 "access_due", "granted_at")})
        _assign(urow, {"roles": list(u.roles), "trainings": dict(u.trainings), "forms": dict(u.forms)})
    session.flush()
    # Hand the new rows' ids back, so the caller can link documents and audit events to them.
    for u, urow in added:
        u.id = urow.id
    return org.id


def user_ids(session: Session, emails: Iterable[str]) -> dict[str, int]:
    wanted = [e for e in set(emails) if e]
    if not wanted:
        return {}
    rows = session.exec(select(HmisUser.email, HmisUser.id).where(col(HmisUser.email).in_(wanted))).all()
    return {email: uid for email, uid in rows if uid is not None}


def org_by_thread(session: Session, thread_ids: Iterable[str]) -> int | None:
    ids = list(thread_ids)
    if not ids:
        return None
    seen = session.exec(
        select(SeenMessage.org_id).where(col(SeenMessage.message_id).in_(ids), col(SeenMessage.org_id).is_not(None))
    ).first()
    if seen is not None:
        return seen
    sent = session.exec(
        select(OutboxRow.org_id).where(col(OutboxRow.message_id).in_(ids), col(OutboxRow.org_id).is_not(None))
    ).first()
    if sent is not None:
        return sent
    prog = session.exec(select(Program.org_id).where(col(Program.thread_id).in_(ids))).first()
    return prog


def answers_staff(session: Session, thread_ids: Iterable[str], staff: Iterable[str]) -> bool:
    """True when the message answers mail that one of these staff addresses sent (a follow-up)."""
    ids, senders = list(thread_ids), [a.lower() for a in staff]
    if not ids or not senders:
        return False
    return session.exec(select(SeenMessage.id).where(
        col(SeenMessage.message_id).in_(ids), col(SeenMessage.sender).in_(senders))).first() is not None


def answers_us(session: Session, thread_ids: Iterable[str]) -> bool:
    """True when the message answers mail that hmisbot sent."""
    ids = list(thread_ids)
    found = session.exec(select(OutboxRow.id).where(col(OutboxRow.message_id).in_(ids))).first() if ids else None
    return found is not None


def handoff_user(session: Session, thread_ids: Iterable[str]) -> str | None:
    """The user a staff reply is about, when it answers one of our access hand-offs."""
    ids = list(thread_ids)
    if not ids:
        return None
    key = session.exec(
        select(OutboxRow.key).where(col(OutboxRow.message_id).in_(ids), OutboxRow.kind == "handoff")
    ).first()
    return key.rpartition(":handoff:")[2] if key else None


def org_by_address(session: Session, address: str) -> int | None:
    if not address:
        return None
    found = session.exec(select(Contact.org_id).where(Contact.email == address)).first()
    if found is None:
        found = session.exec(select(HmisUser.org_id).where(HmisUser.email == address)).first()
    return found


def org_by_name(session: Session, name: str) -> int | None:
    """Fuzzy match against every organization's name and aliases."""
    name = " ".join(name.split())
    if not name:
        return None
    choices: dict[tuple[int, int], str] = {}
    for org_id, org_name, aliases in session.exec(
        select(Organization.id, Organization.name, Organization.aliases)
    ).all():
        assert org_id is not None
        for i, alias in enumerate([org_name, *aliases]):
            choices[(org_id, i)] = alias
    best = process.extractOne(name, choices, scorer=fuzz.token_sort_ratio, processor=str.lower)
    if best and best[1] >= NAME_MATCH_THRESHOLD:
        return best[2][0]
    return None


def audit(
    session: Session,
    now: datetime,
    action: str,
    *,
    actor: str = "bot",
    org_id: int | None = None,
    user_id: int | None = None,
    seen_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(at=now, actor=actor, action=action, org_id=org_id, user_id=user_id, seen_id=seen_id,
                   detail=detail or {})
    )


def find_seen(session: Session, mailbox: str, uidvalidity: str, uid: str) -> SeenMessage | None:
    return session.exec(
        select(SeenMessage).where(
            SeenMessage.mailbox == mailbox, SeenMessage.uidvalidity == uidvalidity, SeenMessage.uid == uid
        )
    ).first()


def find_seen_by_content(session: Session, mailbox: str, message_id: str, sha256: str) -> SeenMessage | None:
    """After a UIDVALIDITY change, the same message is recognised by Message-ID and hash."""
    return session.exec(
        select(SeenMessage).where(
            SeenMessage.mailbox == mailbox, SeenMessage.message_id == message_id, SeenMessage.sha256 == sha256
        )
    ).first()


def mark_undeliverable(session: Session, addresses: Iterable[str], bounced_message_id: str | None) -> None:
    """A bounce proved these addresses dead: no reply or reminder goes to them again."""
    for address in addresses:
        for contact in session.exec(select(Contact).where(col(Contact.email) == address.lower())).all():
            contact.undeliverable = True
    if bounced_message_id:
        for row in session.exec(select(OutboxRow).where(OutboxRow.message_id == bounced_message_id)).all():
            row.status = "bounced"

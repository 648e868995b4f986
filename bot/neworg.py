"""A new organization from the review queue, for a form or request from an organization not on file.

Staff create it from the review item (``create_from_review``, one use case in
``bot.service``'s style: it returns why not, or None), then file the item's document
to it with the queue's usual filing (``bot.web.usecases.classify_item``), which the
item now points to. ``propose`` fills the form in: the name from what was read (the
form's organization or agency), else from the sender's domain; the domain is the
sender's, never a free mail service's; the sender may be recorded as the Executive
Director or the Program Manager.

An organization is never created twice. A name, alias or domain already on file
refuses it, by the rule ``import-orgs`` uses (``bot.orgimport.OrgIndex.exact``); a
merely similar name (``OrgIndex.similar``) is the caller's to confirm first
(``similar_names``). Kept out of ``bot.service`` so that module stays the shared one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.identity import FREEMAIL
from bot.core.state import ContactState, OrgState
from bot.orgimport import OrgIndex
from bot.store import repo
from bot.store.db import transaction
from bot.store.models import Organization, ReviewItem

if TYPE_CHECKING:
    from bot.app import App

CONTACT_ROLES = ("executive_director", "program_manager")
# The reasons decide() gives a form or request it could not place (bot.core.decide).
_UNKNOWN = ("unknown organization", "could not tell which organization")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
MAX_NAME = 200


@dataclass(frozen=True)
class NewOrg:
    item_id: int
    name: str
    domain: str = ""  # "" for none (a sender at a free mail service)
    contact_role: str = ""  # "" (none), executive_director or program_manager: the sender
    contact_name: str = ""


@dataclass(frozen=True)
class Proposal:
    """What the creation form is filled in with."""

    name: str
    domain: str
    sender: str
    contact_name: str
    free_mail: str  # the sender's free mail domain ("" when it is an organization's)


def unknown_org(item: ReviewItem) -> bool:
    """An open item about a form or request from an organization not on file."""
    return item.org_id is None and item.resolved_at is None and any(u in item.reason for u in _UNKNOWN)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower() if "@" in address else ""


def _from_domain(domain: str) -> str:
    """"valley-family.org" -> "Valley Family": a start for staff to correct, not a name."""
    head = domain.split(".")[0] if domain else ""
    return " ".join(w.capitalize() for w in re.split(r"[-_]+", head) if w)


def propose(item: ReviewItem, fields: list[dict[str, str]]) -> Proposal:
    """The form's prefill from the item's sender and the fields read from its documents."""
    domain = _domain(item.sender)
    free = domain if domain in FREEMAIL else ""
    read = next((f.get(k, "") for f in fields for k in ("organization", "agency") if f.get(k, "").strip()), "")
    person = next((f.get(k, "") for f in fields for k in ("signer_name", "user_name") if f.get(k, "").strip()), "")
    name = " ".join(read.split()) or ("" if free else _from_domain(domain))
    return Proposal(name, "" if free else domain, item.sender, " ".join(person.split()), free)


def _index(session: Session) -> OrgIndex:
    return OrgIndex(session.exec(select(Organization.id, Organization.name, Organization.aliases,
                                        Organization.email_domains)).all())  # type: ignore[arg-type]


def similar_names(session: Session, request: NewOrg) -> list[str]:
    """Organizations on file with a name close to the new one's (the same organization, misspelt?).

    Empty when the request is refused anyway (a bad field, or a name or domain on file):
    ``create_from_review`` then says why, rather than a question about similar names.
    """
    req = _clean(request)
    index = _index(session)
    if _problem(req) or index.exact(req.name, [], [req.domain] if req.domain else []):
        return []
    return [index.names[org_id] for org_id, _ in index.similar(req.name)]


def _problem(req: NewOrg) -> str | None:
    if not 2 <= len(req.name) <= MAX_NAME:
        return f"give the organization's name (2 to {MAX_NAME} characters)"
    if req.domain and not _DOMAIN.match(req.domain):
        return f"{req.domain!r} is not an email domain (like valleyfamily.org)"
    if req.domain in FREEMAIL:
        return f"{req.domain} is a free mail service, not the organization's domain: leave the domain empty"
    if req.contact_role not in ("", *CONTACT_ROLES):
        return f"unknown contact role {req.contact_role!r}"
    return None


def _clean(req: NewOrg) -> NewOrg:
    return NewOrg(req.item_id, " ".join(req.name.split()), req.domain.strip().lower().lstrip("@"),
                  req.contact_role, " ".join(req.contact_name.split())[:MAX_NAME])


def create_from_review(app: App, request: NewOrg, by: str) -> str | None:
    """Create the organization a review item is from, and point the item at it; return why not, or None."""
    req = _clean(request)
    if problem := _problem(req):
        return problem
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        item = session.get(ReviewItem, req.item_id)
        if item is None or not unknown_org(item):
            return f"review item #{req.item_id} is not waiting for an organization (someone may have just filed it)"
        index = _index(session)
        if found := index.exact(req.name, [], [req.domain] if req.domain else []):
            return f"{index.names[found.org_id]} is already on file (same {found.how}): file the item to it"
        sender = item.sender.strip().lower()
        if req.contact_role and "@" not in sender:
            return f"review item #{req.item_id} has no sender to record as the contact"
        if req.contact_role and (other := repo.org_by_address(session, sender)) is not None:
            return f"{sender} is already on file for organization #{other}: file the item to it"
        org = OrgState(name=req.name, domains=[req.domain] if req.domain else [])
        if req.contact_role:
            org.contacts.append(ContactState(sender, req.contact_role, req.contact_name))
        org_id = repo.save_org(session, org, now)
        # Only if nobody filed or created it meanwhile: of two clicks at once, the second rolls back.
        claimed = session.execute(update(ReviewItem).where(
            col(ReviewItem.id) == item.id, col(ReviewItem.org_id).is_(None), col(ReviewItem.resolved_at).is_(None))
            .values(org_id=org_id).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            return f"review item #{req.item_id} was settled meanwhile; nothing was created"
        repo.audit(session, now, "organization_created", actor=by, org_id=org_id, seen_id=item.seen_id,
                   detail={"name": req.name, "domain": req.domain or None, "contact": sender if req.contact_role
                           else None, "role": req.contact_role or None, "review_item": item.id})
    return None

"""Before staff file and accept a doubtful document: what is wrong with it, said in words.

Filing a review item accepts the form and mails the sender a receipt, so a click
on a document that failed its checks (not signed, CoC Representative section
filled in, the kind uncertain) or that came from another organization's domain
must be confirmed: the form is shown again with these concerns and a second
POST carrying ``confirm=1`` does it. Nothing here changes the database.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.store.models import Document, Organization, ReviewItem
from bot.web.labels import KINDS, check_label, words
from bot.web.usecases import Classify, Refused, _org_named

SURE = 0.8  # below this the bot's reading of the kind is "uncertain" (the classifier's review threshold)
FORMS = ("organization_agreement", "user_agreement", "hmis10_acknowledgement")


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def _doc_concerns(doc: Document, kind: str) -> list[str]:
    out = [f"{check_label(name, ok)}." for name, ok in doc.checks.items() if not ok]
    label = words(kind, KINDS)
    if doc.kind != kind:
        out.append(f"The bot read this file as {words(doc.kind, KINDS)}, not {label}.")
    elif doc.confidence < SURE:
        out.append(f"The bot was only {round(doc.confidence * 100)}% sure this is the {label}.")
    if doc.error:
        out.append("The bot could not read the file at all.")
    return out


def _domain_concern(session: Session, item: ReviewItem, org_name: str) -> list[str]:
    try:
        org = session.get(Organization, _org_named(session, org_name))
    except Refused:
        return []  # filing itself will refuse, with its own message
    sender = _domain(item.sender)
    domains = [d.lower().lstrip("@") for d in (org.email_domains if org else [])]
    if org is None or not sender or not domains or sender in domains:
        return []
    return [f"The sender's address is at @{sender}, but {org.name}'s domain is "
            + ", ".join(f"@{d}" for d in domains) + "."]


def concerns(session: Session, req: Classify) -> list[str]:
    """Why filing ``req`` may be a mistake; empty when nothing is doubtful."""
    item = session.get(ReviewItem, req.item_id)
    if item is None or item.resolved_at is not None:
        return []  # filing will say it is not open
    doc = session.get(Document, req.document_id) if req.document_id else None
    found = _doc_concerns(doc, req.kind) if doc is not None and req.kind in FORMS else []
    return found + _domain_concern(session, item, req.org_name)

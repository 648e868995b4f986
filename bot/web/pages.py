"""What the organization, user and review pages show, read in a few queries each.

The organization and user pages reuse the CLI's ``status --json`` shape
(``bot.status.org_json`` / ``user_json``) over one organization loaded with
``repo.load_org``, so the site, the CLI and the digests say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from bot.ces.rules import permissions_lacking
from bot.core.state import AWAITING_GRANT, OrgState
from bot.neworg import Proposal, propose, unknown_org
from bot.status import org_json, user_json
from bot.store import queries, repo
from bot.store.models import (
    AuditEvent,
    Contact,
    Document,
    HmisUser,
    Organization,
    OutboxRow,
    ReviewItem,
    SeenMessage,
)
from bot.web.board import Rules, review_late
from bot.web.timeline import Body, DocView, Entry, doc_view, org_timeline


class NotFound(LookupError):
    """The page's organization, user, item or document does not exist."""


@dataclass
class OrgPage:
    org: OrgState
    status: dict[str, Any]
    user_ids: dict[str, int]
    contacts: list[Contact]
    review: list[ReviewItem]
    timeline: list[Entry]
    review_links: dict[int, str] = field(default_factory=dict)  # item id -> its page of the queue

    @property
    def may_countersign(self) -> bool:
        return self.org.agreement == "accepted"


def org_page(session: Session, org_id: int, body: Body = lambda _: "", today: date | None = None) -> OrgPage:
    """One organization; ``today`` given, access past its due date shows as overdue (not "ready")."""
    try:
        org = repo.load_org(session, org_id)
    except KeyError:
        raise NotFound(f"no organization #{org_id}") from None
    contacts = list(session.exec(select(Contact).where(Contact.org_id == org_id).order_by(col(Contact.id))).all())
    review = queries.open_reviews(session, org_id)
    ids = {u.email: u.id for u in org.users if u.id is not None}
    links = {r.id: review_link(session, r.id) for r in review if r.id is not None}
    return OrgPage(org, org_json(org, today=today), ids, contacts, review, org_timeline(session, org, body), links)


def review_link(session: Session, item_id: int) -> str:
    """The queue's page that shows this open item (the queue pages by id, PER_PAGE a page)."""
    before = session.exec(select(func.count()).select_from(ReviewItem).where(
        queries.review_open(), col(ReviewItem.id) < item_id)).one()
    return f"/review?page={before // PER_PAGE + 1}#item-{item_id}"


@dataclass
class UserPage:
    org: OrgState
    row: HmisUser
    status: dict[str, Any]
    lacking: list[str]
    docs: list[DocView]
    events: list[AuditEvent]

    @property
    def may_grant(self) -> bool:
        # Access follows the CES steps: only a user the rules call ready (or overdue) is granted here.
        return self.row.access in AWAITING_GRANT


def _mentions(detail: dict[str, Any], email: str) -> bool:
    return any(email == str(v).lower() or (isinstance(v, list) and email in map(str, v)) for v in detail.values())


def user_page(session: Session, user_id: int, today: date | None = None) -> UserPage:
    row = session.get(HmisUser, user_id)
    if row is None:
        raise NotFound(f"no user #{user_id}")
    org = repo.load_org(session, row.org_id)
    state = org.user(row.email)
    assert state is not None
    email, name = row.email.lower(), " ".join(row.name.lower().split())
    docs = [d for d in session.exec(select(Document).where(Document.org_id == row.org_id)).all()
            if d.user_id == user_id or d.fields.get("email", "").lower() == email
            or (name and " ".join(d.fields.get("user_name", "").lower().split()) == name)]
    archived = {s for s in session.exec(select(SeenMessage.id).where(
        col(SeenMessage.id).in_([d.seen_id for d in docs]), col(SeenMessage.archive_path).is_not(None))).all()}
    # Through the org_id index (IS NULL too: a training roster's events belong to no organization).
    events = [e for e in session.exec(select(AuditEvent).where(
        (col(AuditEvent.org_id) == row.org_id) | col(AuditEvent.org_id).is_(None)).order_by(
        col(AuditEvent.at).desc())).all() if e.user_id == user_id or _mentions(e.detail, email)]
    lacking = sorted(p.label for p in permissions_lacking(state.role_enums())) if state.roles else []
    return UserPage(org, row, user_json(org, state, today=today), lacking,
                    [doc_view(d, d.seen_id in archived) for d in docs], events)


@dataclass
class ReviewCard:
    item: ReviewItem
    seen: SeenMessage | None
    org_name: str
    docs: list[DocView] = field(default_factory=list)
    late: bool = False
    body: str = ""  # the message's text, shown escaped
    replies: list[tuple[str, str]] = field(default_factory=list)  # (subject, text) of the mails it was answered with
    proposal: Proposal | None = None  # from an organization not on file: the new organization's prefill


@dataclass
class ReviewPage:
    cards: list[ReviewCard]
    org_names: list[str]  # for the organization field's suggestions
    page: int = 1
    pages: int = 1
    total: int = 0
    late: bool = False  # only the overdue items


def _replies(session: Session, seen_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for seen_id, subject, text in session.exec(select(OutboxRow.seen_id, OutboxRow.subject, OutboxRow.text).where(
            col(OutboxRow.seen_id).in_(seen_ids)).order_by(col(OutboxRow.id))).all():
        out.setdefault(seen_id or 0, []).append((subject, text))
    return out


PER_PAGE = 25  # review cards a page: a flood of items must not make a page no browser can load


def review_page(session: Session, rules: Rules, body: Body = lambda _: "", page: int = 1,
                late: bool = False) -> ReviewPage:
    open_items = queries.review_open()
    if late:  # the board's "overdue" counter: items waiting as long as the escalation rule allows
        open_items = col(ReviewItem.id).in_([i for i, at in session.exec(select(
            ReviewItem.id, ReviewItem.created_at).where(open_items)).all() if review_late(at, rules)])
    total = session.exec(select(func.count()).select_from(ReviewItem).where(open_items)).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    items = session.exec(select(ReviewItem).where(open_items).order_by(col(ReviewItem.id))
                         .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    seen_ids = [i.seen_id for i in items if i.seen_id is not None]
    seen = {s.id: s for s in session.exec(select(SeenMessage).where(col(SeenMessage.id).in_(seen_ids))).all()}
    docs: dict[int, list[DocView]] = {}
    for d in session.exec(select(Document).where(col(Document.seen_id).in_(seen_ids)).order_by(col(Document.id))):
        docs.setdefault(d.seen_id, []).append(doc_view(d, bool(seen[d.seen_id].archive_path)))
    names = dict(session.exec(select(Organization.id, Organization.name).order_by(col(Organization.name))).all())
    replies = _replies(session, [i for i in seen_ids if i is not None])
    cards = [ReviewCard(i, seen.get(i.seen_id) if i.seen_id else None, names.get(i.org_id, "") if i.org_id else "",
                        docs.get(i.seen_id or 0, []), review_late(i.created_at, rules),
                        body(seen[i.seen_id].archive_path) if i.seen_id in seen else "",
                        replies.get(i.seen_id or 0, []),
                        propose(i, [d.fields for d in docs.get(i.seen_id or 0, [])]) if unknown_org(i) else None)
             for i in items]
    return ReviewPage(cards, list(names.values()), page, pages, total, late)


def find(session: Session, email: str, name: str) -> str | None:
    """The page of a user (or, failing that, the organization of a contact) by address, or of an organization."""
    email = email.strip().lower()
    if email:
        user = session.exec(select(HmisUser.id).where(func.lower(HmisUser.email) == email)).first()
        if user is not None:
            return f"/users/{user}"
        org_id = session.exec(select(Contact.org_id).where(func.lower(Contact.email) == email)).first()
        return f"/orgs/{org_id}" if org_id is not None else None
    wanted = " ".join(name.lower().split())
    if not wanted:
        return None
    for org in session.exec(select(Organization)).all():
        if wanted in (" ".join(n.lower().split()) for n in [org.name, *org.aliases]):
            return f"/orgs/{org.id}"
    return None


def document_source(session: Session, doc_id: int) -> tuple[Document, str]:
    """A document and the archived message it came from (for its page previews)."""
    doc = session.get(Document, doc_id)
    seen = session.get(SeenMessage, doc.seen_id) if doc else None
    if doc is None or seen is None or not seen.archive_path:
        raise NotFound(f"no archived document #{doc_id}")
    return doc, seen.archive_path

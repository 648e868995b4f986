"""One organization's history as a timeline: messages, documents, state changes, replies.

Five or six queries for any organization: its seen messages, the documents read
from them (with the checks the bot made), the audit events (the bot's state changes
and staff actions), the mails it sent (their text; the HTML body is not loaded), and
its review items. A message's body is read from the archive (``bot.web.bodies``).
Entries are in the order things happened, oldest first, and a reply always comes
after the message it answers, even when the mailbox's arrival time is later than the
moment the bot answered (a server's clock, a delayed delivery).

The audit and outbox tables are the largest, so they are queried through their
indexes (``audit_event.org_id``; ``outbox.to_key`` and ``outbox.key``) and never with
a condition that makes the database read every row (an OR on an unindexed column).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for at most four columns
from sqlmodel import Session, col, select

from bot.core.state import OrgState
from bot.store.models import AuditEvent, Document, OutboxRow, ReviewItem, SeenMessage
from bot.web.labels import ACTIONS, KINDS, OUTCOMES, words


@dataclass
class DocView:
    id: int
    filename: str
    kind: str
    confidence: float
    status: str
    reason: str | None
    checks: dict[str, bool]
    fields: dict[str, str]
    text_source: str
    error: str | None
    pages: list[int]  # the pages that get a preview image (none when the file could not be read)
    seen_id: int


def doc_view(d: Document, has_archive: bool) -> DocView:
    assert d.id is not None
    pages = [] if d.error or not has_archive else (list(d.pages) or [1])
    return DocView(d.id, d.filename, d.kind, d.confidence, d.status, d.reason, dict(d.checks), dict(d.fields),
                   d.text_source, d.error, pages, d.seen_id)


@dataclass
class Entry:
    at: datetime
    kind: str  # message | state | reply | review
    title: str
    actor: str = ""
    lines: list[str] = field(default_factory=list)
    docs: list[DocView] = field(default_factory=list)
    late: bool = False
    body: str = ""  # a message's text or a reply's text, shown escaped
    seen_id: int | None = None  # the message this entry is, or answers
    rank: int = 0  # the order of entries at the same moment: the message, then what it caused


Body = Callable[[str | None], str]
_RANK = {"message": 0, "state": 1, "review": 2, "reply": 3}


def _detail(detail: dict[str, Any]) -> list[str]:
    out = []
    for key, value in detail.items():
        if value is None or value == "":
            continue  # "problem: None" says nothing
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        out.append(f"{key.replace('_', ' ').capitalize()}: {KINDS.get(shown, shown) if shown else shown}")
    return out


def _messages(session: Session, org_id: int) -> tuple[list[SeenMessage], dict[int, list[DocView]]]:
    seen = list(session.exec(select(SeenMessage).where(SeenMessage.org_id == org_id)).all())
    ids = [s.id for s in seen]
    archived = {s.id for s in seen if s.archive_path}
    by_seen: dict[int, list[DocView]] = {}
    # By seen_id (indexed): staff filing a document under this organization file its message too.
    for d in session.exec(select(Document).where(col(Document.seen_id).in_(ids)).order_by(col(Document.id))).all():
        by_seen.setdefault(d.seen_id, []).append(doc_view(d, d.seen_id in archived))
    return seen, by_seen


def _message_entry(s: SeenMessage, docs: list[DocView], body: Body) -> Entry:
    lines = [f"To the {s.mailbox} inbox · {words(s.kind, KINDS)} · {words(s.outcome, OUTCOMES)}"]
    if s.error:
        lines.append(f"Problem: {s.error}")
    return Entry(s.received_at, "message", f"Message from {s.sender}: {s.subject or '(no subject)'}",
                 s.sender, lines, docs, body=body(s.archive_path), seen_id=s.id)


def _events(session: Session, org: OrgState, seen_ids: set[int | None]) -> list[AuditEvent]:
    """The organization's events, and the cross-organization ones about its users (a training roster).

    Both halves use the org_id index (``IS NULL`` included); the second is filtered here.
    """
    emails = {u.email for u in org.users}
    rows = session.exec(select(AuditEvent).where(
        or_(col(AuditEvent.org_id) == org.id, col(AuditEvent.org_id).is_(None)))).all()
    return [e for e in rows if e.org_id == org.id or e.seen_id in seen_ids or _about(e.detail, emails)]


def _about(detail: dict[str, Any], emails: set[str]) -> bool:
    return any(isinstance(v, str) and v.lower() in emails for v in detail.values())


def _handoff_keys(session: Session, events: list[AuditEvent], mids: dict[int | None, str]) -> list[str]:
    """The outbox keys of the access hand-offs these events caused (``<message-id>:handoff:<email>``)."""
    ready = [e for e in events if e.action == "user_ready" and isinstance(e.detail.get("email"), str)]
    unknown = [e.seen_id for e in ready if e.seen_id is not None and e.seen_id not in mids]
    if unknown:  # e.g. a training roster: a message of no organization
        mids = mids | dict(session.exec(select(SeenMessage.id, SeenMessage.message_id)
                                        .where(col(SeenMessage.id).in_(unknown))).all())
    keys = [f"web:review:{e.detail['item']}:handoff:{e.detail['email']}" for e in ready if "item" in e.detail]
    return keys + [f"{mids[e.seen_id]}:handoff:{e.detail['email']}" for e in ready if e.seen_id in mids]


def _outbox(session: Session, org: OrgState, seen: list[SeenMessage], keys: list[str]) -> list[Entry]:
    """Mails to the organization's people (to_key index) and its hand-offs (key index), with their text."""
    ids = {s.id for s in seen}
    addresses = sorted({c.email for c in org.contacts} | {u.email for u in org.users} | {s.sender for s in seen})
    columns = (OutboxRow.kind, OutboxRow.to_addrs, OutboxRow.subject, OutboxRow.status, OutboxRow.created_at,
               OutboxRow.sent_at, OutboxRow.error, OutboxRow.org_id, OutboxRow.seen_id, OutboxRow.text)
    query = sa_select(*map(col, columns)).where(
        or_(col(OutboxRow.to_key).in_(addresses), col(OutboxRow.key).in_(keys)))
    out = []
    for _kind, to, subject, status, created, sent, error, org_id, seen_id, body in session.execute(query).all():
        if org_id not in (org.id, None) and seen_id not in ids:
            continue  # a person who also works for another organization: that one's mail
        lines = [f"To {', '.join(to)} · {_STATUS.get(status, status)}"] + ([f"Problem: {error}"] if error else [])
        out.append(Entry(sent or created, "reply", f"Mail sent: {subject}" if sent else f"Mail queued: {subject}",
                         "bot", lines, late=status in ("failed", "unknown"), body=body, seen_id=seen_id))
    return out


_STATUS = {"sent": "sent", "pending": "waiting to be sent", "failed": "could not be sent",
           "unknown": "may not have been sent (check with the recipient)", "bounced": "came back undeliverable"}


def _reviews(session: Session, org_id: int, seen_ids: list[int | None]) -> list[Entry]:
    query = select(ReviewItem).where(or_(col(ReviewItem.org_id) == org_id, col(ReviewItem.seen_id).in_(seen_ids)))
    out = []
    for r in session.exec(query).all():
        out.append(Entry(r.created_at, "review", f"Sent to the review queue (#{r.id}): {r.reason}", "bot",
                         late=r.resolved_at is None, seen_id=r.seen_id))
        if r.resolved_at is not None:
            out.append(Entry(r.resolved_at, "review", f"Review item #{r.id} resolved", r.resolved_by or "",
                             [r.resolution or ""]))
    return out


def in_order(entries: list[Entry]) -> list[Entry]:
    """Oldest first; what a message caused (state, review, reply) never before the message itself."""
    arrived = {e.seen_id: e.at for e in entries if e.kind == "message"}
    for e in entries:
        e.rank = _RANK.get(e.kind, 1)

    def key(e: Entry) -> tuple[datetime, int]:
        start = arrived.get(e.seen_id) if e.kind != "message" else None
        return (max(e.at, start) if start else e.at), e.rank

    return sorted(entries, key=key)


def org_timeline(session: Session, org: OrgState, body: Body = lambda _: "") -> list[Entry]:
    assert org.id is not None
    seen, docs = _messages(session, org.id)
    ids = {s.id for s in seen}
    events = _events(session, org, ids)
    keys = _handoff_keys(session, events, {s.id: s.message_id for s in seen})
    entries = [_message_entry(s, docs.get(s.id or 0, []), body) for s in seen]
    entries += [Entry(e.at, "state", words(e.action, ACTIONS), e.actor, _detail(e.detail),
                      seen_id=e.seen_id) for e in events]
    entries += _outbox(session, org, seen, keys) + _reviews(session, org.id, list(ids))
    return in_order(entries)

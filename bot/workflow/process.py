"""One message, one transaction: the orchestrator's inner step.

Reads (parse, screen, documents, kind), loads the organization, asks the pure core
to decide, then commits in ONE transaction: the seen-message row, the documents,
the organization's new state, review items, audit events and every outbox row.
The unique (mailbox, uidvalidity, uid) key on the seen row makes a second
instance's attempt at the same message fail harmlessly instead of acting twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import metrics
from bot.clock import arrival
from bot.core import notices
from bot.core.decide import Decision, Event, Inbound
from bot.core.identity import Evidence, Identity, identify
from bot.documents.detect import may_be_a_form
from bot.documents.model import FormResult
from bot.faults import checkpoint
from bot.mail.kinds import MessageKind, classify_message, own_text
from bot.mail.message import ParsedMessage, parse_message
from bot.mail.screen import Screen, screen
from bot.mailboxes.base import RawMessage
from bot.outbox.compose import REPLY_KINDS
from bot.outbox.outbox import enqueue
from bot.store import queries, repo
from bot.store.archive import archive_raw
from bot.store.db import transaction
from bot.store.models import Document, OutboxRow, ReviewItem, SeenMessage
from bot.workflow.routes import Ctx, route

if TYPE_CHECKING:
    from bot.workflow.deps import Pipeline

log = logging.getLogger(__name__)
ReadDocument = Callable[[bytes, str], Sequence[FormResult]]


@dataclass(frozen=True)
class Handled:
    """What became of one message, for the caller's report."""

    seen_id: int
    outcome: str  # processed | review
    kind: str
    org: str | None
    summary: str
    replies: tuple[str, ...]
    duplicate: bool = False


def read_forms(app: Pipeline, msg: ParsedMessage) -> tuple[tuple[FormResult, ...], tuple[str, ...]]:
    """The forms in the message's documents, and the names of the documents left unread.

    At most ``limits.max_attachments`` documents are read from one message: 200 small
    files in one mail must cost one review item, not 200 OCR runs and 200 items.
    """
    limits = app.config.limits
    max_bytes = int(limits.max_attachment_mb * 1024 * 1024)
    documents = [a for a in msg.attachments if may_be_a_form(a.filename, a.data)]
    out: list[FormResult] = []
    for att in documents[:limits.max_attachments]:
        if len(att.data) > max_bytes:
            out.append(FormResult(att.filename, "unknown", 0.0, (), error="attachment larger than the limit"))
            continue
        out.extend(app.read_document(att.data, att.filename))
    return tuple(out), tuple(a.filename for a in documents[limits.max_attachments:])


def _identify(session: Session, msg: ParsedMessage, forms: Sequence[FormResult], kind: MessageKind,
              staff: str | None) -> Identity:
    """Gather the evidence (the only database reads identification needs), then ask the pure core."""
    evidence = Evidence(
        sender=msg.from_addr, sender_domain=msg.from_domain, subject=msg.subject, body=own_text(msg.body_text),
        form_names=tuple(n for f in forms if f.is_form
                         for n in [f.fields.get("organization") or f.fields.get("agency") or ""] if n),
        form_emails=tuple(e.lower() for f in forms if f.is_form for e in [f.fields.get("email", "")] if e),
        record=queries.sender_record(session, msg.from_addr, msg.thread_ids), staff=staff is not None,
        may_found=kind.kind == "program_setup_request" or any(f.kind == "organization_agreement" for f in forms),
    )
    return identify(evidence, queries.known_orgs(session))


def _staff_duty(app: Pipeline, address: str) -> str | None:
    return next((duty for duty in ("implementation", "training", "access")
                 if address.lower() in app.staff_addresses(duty)), None)


@dataclass(frozen=True)
class Understood:
    """Everything read from one message before any state is touched."""

    data: bytes
    msg: ParsedMessage
    screen: Screen
    kind: MessageKind
    forms: tuple[FormResult, ...]
    problem: str | None = None  # why it cannot be read at all (too large, ...): goes to review
    unread: tuple[str, ...] = ()  # documents beyond the per-message limit, named in the review item


def understand(app: Pipeline, raw: RawMessage) -> Understood:
    with metrics.stage("parse"):
        msg = parse_message(raw.data)
    scr = screen(msg, app.config.trusted_authserv_ids)
    limit = app.config.limits.max_message_mb
    if msg.size > limit * 1024 * 1024:
        return Understood(raw.data, msg, scr, MessageKind("other", "too large"), (),
                          f"message of {msg.size / 1048576:.1f} MB is larger than the {limit:g} MB limit")
    start = time.perf_counter()
    forms, unread = read_forms(app, msg) if scr.auto is None else ((), ())
    # Documents are read in sandbox workers: attribute the wait to OCR when any page needed it.
    metrics.add("ocr" if any(f.text_source == "ocr" for f in forms) else "extract", time.perf_counter() - start)
    staff = _staff_duty(app, msg.from_addr)
    with Session(app.engine) as session:
        followup = repo.answers_staff(session, msg.thread_ids, app.staff_addresses("implementation"))
    kind = classify_message(msg, scr.auto, answers_setup_followup=followup, from_training_staff=staff == "training")
    return Understood(raw.data, msg, scr, kind, forms, unread=unread)


def move_lease(app: Pipeline) -> datetime:
    """Until when (real time) the instance deciding a message alone may move it out of the inbox."""
    return datetime.now(UTC) + timedelta(seconds=app.config.limits.send_lease_seconds)


def handle(app: Pipeline, raw: RawMessage, role: str, u: Understood | None = None) -> Handled | None:
    """Process one message in one transaction; None if another instance got there first."""
    now = app.clock.utcnow()
    u = u or understand(app, raw)
    msg, kind = u.msg, u.kind
    archive = archive_raw(app.archive_dir, msg.sha256, raw.data, now)
    try:
        with transaction(app.engine) as session:
            seen = SeenMessage(
                mailbox=raw.mailbox, uidvalidity=raw.uidvalidity or "", uid=raw.key, message_id=msg.message_id,
                sha256=msg.sha256, sender=msg.from_addr, subject=msg.subject[:300], kind=kind.kind,
                received_at=arrival(raw.received_at, now), processed_at=now, archive_path=str(archive), attempts=1,
                lease_until=move_lease(app),  # this instance moves it; another only once the lease is over
            )
            session.add(seen)
            session.flush()  # claims (mailbox, uidvalidity, uid): a racing instance fails here
            with metrics.stage("decide"):
                handled = _decide_and_record(app, session, seen, role, u, now)
            checkpoint("before_commit")
            commit_started = time.perf_counter()
        metrics.add("commit", time.perf_counter() - commit_started)
        return handled
    except IntegrityError:
        log.info("message %s in %s already taken by another instance", raw.key, raw.mailbox)
        return None


def _decide_and_record(app: Pipeline, session: Session, seen: SeenMessage, role: str, u: Understood,
                       now: datetime) -> Handled:
    assert seen.id is not None
    msg, kind, forms = u.msg, u.kind, u.forms
    staff = _staff_duty(app, msg.from_addr)
    ident = _identify(session, msg, forms, kind, staff)
    # A sender who may not act for the organization learns nothing about it: decide without it.
    org = repo.load_org(session, ident.org_id) if ident.org_id and ident.authorized else None
    inbound = Inbound(role, msg, u.screen, kind, forms, now, staff, ident.new_name, ident.standing, u.unread,
                      answers_bot=repo.answers_us(session, msg.thread_ids))
    ctx = Ctx(app, session, u, inbound, ident, org, staff,
              repo.handoff_user(session, msg.thread_ids) if staff == "access" else None, now)
    decision = route(ctx).decide(ctx)
    _add_notices(app, session, ctx, decision)
    saved_id = repo.save_org(session, decision.org, now) if decision.org and decision.org.name else None
    for other in decision.others:
        repo.save_org(session, other, now)
    repo.mark_undeliverable(session, decision.undeliverable, decision.bounced)
    seen.org_id = saved_id or ident.org_id
    decision.events.append(Event("identified", {"via": ident.via, "standing": ident.standing,
                                                "problem": ident.problem}))
    seen.outcome = decision.outcome
    seen.kind = decision.read_as.kind if decision.read_as else seen.kind
    _record(app, session, seen, msg, decision, saved_id, now)
    shown = seen.kind
    if shown == "other" and any(f.is_form for f in forms):
        shown = " + ".join(dict.fromkeys(f.kind for f in forms if f.is_form))
    return Handled(
        seen.id, decision.outcome, shown, decision.org.name if decision.org else None,
        "; ".join(decision.received + decision.review) or kind.reason,
        tuple(f"{m.template} -> {', '.join(m.to)}" for m in decision.mails),
    )


def _add_notices(app: Pipeline, session: Session, ctx: Ctx, decision: Decision) -> None:
    """The notices the decision's changes make due (steps complete, user ready, access granted)."""
    for after in [decision.org, *decision.others]:
        if after is None:
            continue
        before = ctx.org if ctx.org is not None and ctx.org.id == after.id else (
            repo.load_org(session, after.id) if after.id is not None else None)
        decision.mails.extend(notices.between(before, after, app.home_addresses, app.links))


def _too_many_replies(app: Pipeline, session: Session, to: str, now: datetime) -> bool:
    """Storm and loop guard: at most N automatic replies to one address per window."""
    limits = app.config.limits
    since = now - timedelta(minutes=limits.reply_window_minutes)
    recent = session.exec(select(OutboxRow.id).where(
        OutboxRow.to_key == to.lower(), col(OutboxRow.kind).in_(REPLY_KINDS), col(OutboxRow.created_at) > since
    )).all()
    return len(recent) >= limits.replies_per_window


def review_reason(reasons: Sequence[str], shown: int = 12) -> str:
    """The reasons of one review item, each once, the first ``shown`` of them in full."""
    unique = list(dict.fromkeys(r.strip() for r in reasons if r.strip()))
    more = len(unique) - shown
    return "\n".join(unique[:shown] + ([f"... and {more} more"] if more > 0 else []))[:4000]


def _record(
    app: Pipeline, session: Session, seen: SeenMessage, msg: ParsedMessage, decision: Decision,
    org_id: int | None, now: datetime,
) -> None:
    assert seen.id is not None
    emails = [d.user_email or "" for d in decision.docs]
    emails += [e.user or "" for e in decision.events]
    ids = repo.user_ids(session, emails)
    for doc in decision.docs:
        f = doc.form
        session.add(Document(
            seen_id=seen.id, filename=f.source, kind=f.kind, confidence=f.confidence, pages=list(f.pages),
            fields=dict(f.fields), checks=dict(f.checks), text_source=f.text_source, error=f.error,
            sha256=msg.sha256, org_id=org_id, user_id=ids.get(doc.user_email or ""), status=doc.status,
            reason=doc.reason,
        ))
    if decision.review:  # one item per message, however many reasons: a person reads the message once
        session.add(ReviewItem(seen_id=seen.id, reason=review_reason(decision.review), mailbox=seen.mailbox,
                               subject=msg.subject[:300], sender=msg.from_addr, org_id=org_id, created_at=now))
    for e in decision.events:
        repo.audit(session, now, e.action, org_id=e.org_id or org_id, user_id=ids.get(e.user or ""),
                   seen_id=seen.id, detail=e.detail)
    for mail in decision.mails:
        if mail.key == "reply" and queries.undeliverable(session, mail.to[0]):
            repo.audit(session, now, "reply_not_sent_undeliverable", org_id=org_id, seen_id=seen.id,
                       detail={"to": mail.to[0]})
            continue
        if mail.key == "reply" and _too_many_replies(app, session, mail.to[0], now):
            repo.audit(session, now, "reply_suppressed", org_id=org_id, seen_id=seen.id,
                       detail={"to": mail.to[0], "limit": app.config.limits.replies_per_window})
            log.warning("message %s: reply to %s suppressed (per-sender limit)", msg.message_id, mail.to[0])
            continue
        # A notice is about a state, not about this message: its key alone makes it once-only.
        key = mail.key if mail.key.startswith("notice:") else f"{msg.message_id}:{mail.key}"
        enqueue(
            session, app.env, key=key, kind=mail.template, to=mail.to,
            context=mail.context, now=now, domain=app.mail_domain,
            in_reply_to=msg.message_id if mail.key == "reply" else None,
            references=msg.references if mail.key == "reply" else (), seen_id=seen.id, org_id=org_id,
            reply_to=mail.reply_to,
        )
    log.info("message %s (%s): %s, %s, %d mail(s)", msg.message_id, seen.mailbox, seen.kind,
             decision.outcome, len(decision.mails))

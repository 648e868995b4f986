"""The scheduled jobs: reminders, escalations, digests. Top-level functions over an App.

Each job reads the state, asks the pure ``workflow.duties`` what is due, and queues
mails in the outbox under keys that name the period (the organization and day for
a reminder, the user and level for an escalation, the duty and day for a digest),
so a restart, a second instance or a second run the same day never sends twice.
``dry_run`` renders and returns the mails without writing anything.
Staff mails point at the item on the staff site (``web.base_url``), never at a
command: ``base_url`` and the item's ``path`` are part of their context.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from sqlmodel import Session, col, select

from bot.app import App
from bot.core.nextstep import steps_for
from bot.core.state import OrgState
from bot.outbox.outbox import enqueue
from bot.outbox.render import Rendered, render
from bot.status import load_all
from bot.store.db import transaction
from bot.store.models import HmisUser, MailboxState, Organization, OutboxRow, ReviewItem, SeenMessage
from bot.workflow.duties import (
    DUTY_OF_MAILBOX,
    NO_USERS,
    DigestData,
    Escalation,
    ReviewView,
    due_escalations,
    due_reminders,
    funnel,
    waiting_on_lahsa,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Planned:
    key: str
    kind: str
    to: list[str]
    context: dict[str, Any]
    org_id: int | None = None
    inline_png: bytes | None = None
    reply_to: str | None = None  # the inbox of the step the mail is about


def _queue(bot: App, planned: list[Planned], dry_run: bool) -> list[Rendered]:
    """Render (dry run) or enqueue; an existing key is skipped, which makes every job idempotent."""
    now = bot.clock.utcnow()
    shown: list[Rendered] = []
    if dry_run:
        with Session(bot.engine) as session:
            for p in planned:
                if session.exec(select(OutboxRow.id).where(OutboxRow.key == p.key)).first() is None:
                    shown.append(render(bot.env, p.kind, p.context))
        return shown
    with transaction(bot.engine) as session:
        for p in planned:
            row = enqueue(session, bot.env, key=p.key, kind=p.kind, to=p.to, context=p.context, now=now,
                          domain=bot.mail_domain, org_id=p.org_id, inline_png=p.inline_png, reply_to=p.reply_to)
            if row is not None:
                shown.append(render(bot.env, p.kind, p.context))
                if p.kind == "reminder" and p.org_id is not None:
                    org = session.get(Organization, p.org_id)
                    if org is not None:
                        org.last_reminded_on = bot.clock.today()
    return shown


def base_url(bot: App) -> str | None:
    """Where staff mails link to (``web.base_url``); None: they say "on the staff site"."""
    return bot.config.web.base_url if bot.config.web else None


def escalation_path(e: Escalation) -> str:
    """The site's page for what an escalation is about (its key says what that is)."""
    what, _, rest = e.key.partition(":")
    if what == "review":
        return f"/review#item-{rest}"
    if what == "access":
        return "/find?user=" + quote(rest.rpartition(":")[0], safe="@")
    return "/find?org=" + quote(e.org_name) if e.org_name else "/"


def _reviews(session: Session, bot: App) -> list[ReviewView]:
    items = session.exec(select(ReviewItem).where(col(ReviewItem.resolved_at).is_(None))).all()
    roles = {name: str(b.effective_role) for name, b in bot.config.mailboxes.items()}
    return [ReviewView(i.id or 0, i.reason, roles.get(i.mailbox, ""), i.subject, i.sender,
                       i.created_at.astimezone(bot.clock.tz).date()) for i in items]


def reminders(bot: App, dry_run: bool = False) -> list[Rendered]:
    today = bot.clock.today()
    with Session(bot.engine) as session:
        orgs = load_all(session)
        last = {o.id or 0: o.last_reminded_on for o in session.exec(select(Organization)).all()}
    due = due_reminders(orgs, last, today, bot.calendar, bot.config.schedule.reminder_every_business_days)
    home = bot.home_addresses
    planned = [Planned(f"reminder:{r.org_id}:{today.isoformat()}", "reminder", list(r.to), {
        "org_name": r.org_name, "org_missing": list(r.org_missing), "users": list(r.users),
        "names": list(r.names), "inbox": home.get(r.step, ""),
        "next_steps": [step.as_dict() for step in steps_for(r.codes, home, bot.links, new_user=r.new_users,
                                                            no_users=NO_USERS in r.org_missing)],
    }, r.org_id, reply_to=home.get(r.step)) for r in due]
    return _queue(bot, planned, dry_run)


def escalations(bot: App, dry_run: bool = False) -> list[Rendered]:
    today = bot.clock.today()
    if not bot.calendar.is_business_day(today):
        return []
    sched = bot.config.schedule
    with Session(bot.engine) as session:
        orgs = load_all(session)
        reviews = _reviews(session, bot)
    due = due_escalations(orgs, reviews, today, bot.calendar, sched.escalation_after_business_days,
                          sched.review_escalation_business_days, bot.clock.tz)
    planned = []
    for e in due:
        duty = getattr(bot.config.staff, e.duty)
        to = str(duty.backup) if e.level == 2 and duty.backup else str(duty.primary)
        planned.append(Planned(f"escalation:{e.key}", "escalation", [to],
                               {"subject": e.subject, "detail": e.detail, "level": e.level, "duty": e.duty,
                                "path": escalation_path(e), "base_url": base_url(bot)}))
    if not dry_run:
        _mark_overdue(bot, today)
    return _queue(bot, planned, dry_run)


def _mark_overdue(bot: App, today: date) -> None:
    with transaction(bot.engine) as session:
        for user in session.exec(select(HmisUser).where(HmisUser.access == "ready")).all():
            if user.access_due and today > user.access_due:
                user.access = "overdue"


def digest_data(bot: App, duty: str, orgs: list[OrgState] | None = None) -> DigestData:
    """What one duty's digest says; ``orgs`` lets the three digests share one load."""
    today = bot.clock.today()
    now = bot.clock.utcnow()
    since = now - _since_last_business_day(bot, today)
    with Session(bot.engine) as session:
        orgs = load_all(session) if orgs is None else orgs
        reviews = _reviews(session, bot)
        seen = session.exec(select(SeenMessage).where(col(SeenMessage.processed_at) >= since,
                                                      col(SeenMessage.outcome).in_(["processed", "review"]))).all()
        boxes = session.exec(select(MailboxState)).all()
        failed = session.exec(select(OutboxRow).where(col(OutboxRow.status).in_(["failed", "unknown"]))).all()
    roles = {name: str(b.effective_role) for name, b in bot.config.mailboxes.items()}
    data = DigestData(duty=duty, funnel=funnel(orgs))
    data.arrivals = [{"mailbox": s.mailbox, "sender": s.sender, "subject": s.subject, "kind": s.kind,
                      "outcome": s.outcome} for s in seen if DUTY_OF_MAILBOX.get(roles.get(s.mailbox, "")) == duty]
    data.waiting, data.overdue = waiting_on_lahsa(duty, orgs, today)
    data.review = [r for r in reviews if DUTY_OF_MAILBOX.get(r.mailbox_role) == duty]
    stall = bot.config.schedule.stalled_mailbox_after
    for box in boxes:
        if box.last_ok_at is None or (now - box.last_ok_at).total_seconds() > stall:
            data.health.append(f"mailbox {box.mailbox}: no successful check since "
                               f"{box.last_ok_at.isoformat() if box.last_ok_at else 'ever'} {box.last_error or ''}")
    data.health.extend(f"mail to {', '.join(r.to_addrs)} {r.status}: {r.error or ''}" for r in failed)
    return data


def _since_last_business_day(bot: App, today: date) -> timedelta:
    """A Monday digest covers the weekend too: everything since the previous business day."""
    prev = today - timedelta(days=1)
    while not bot.calendar.is_business_day(prev):
        prev -= timedelta(days=1)
    return timedelta(days=(today - prev).days)


def digests(bot: App, dry_run: bool = False) -> list[Rendered]:
    today = bot.clock.today()
    if not bot.calendar.is_business_day(today):
        return []
    planned = []
    with Session(bot.engine) as session:
        orgs = load_all(session)
    for duty in ("implementation", "training", "access"):
        data = digest_data(bot, duty, orgs)
        if not data.has_news:
            continue  # nothing to say: no mail
        ctx = {"duty": duty, "today": today.isoformat(), "arrivals": data.arrivals, "waiting": data.waiting,
               "overdue": data.overdue, "health": data.health, "funnel": data.funnel,
               "funnel_max": max([n for _, n in data.funnel] + [1]),
               "review": [r.__dict__ for r in data.review], "base_url": base_url(bot)}
        to = [str(getattr(bot.config.staff, duty).primary)]
        # No PNG chart: the table-cell bars say the same in every client, images blocked or not.
        planned.append(Planned(f"digest:{duty}:{today.isoformat()}", "digest", to, ctx))
    return _queue(bot, planned, dry_run)

"""The scheduled jobs: reminders, escalations, digests. Top-level functions over an App.

Each job reads the state (the read model, ``store.queries``), asks the pure
``workflow.duties`` what is due or ``core.digest`` what a digest says, and queues
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
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlmodel import Session, col, select

from bot.app import App
from bot.core.digest import (
    DigestData,
    ReviewView,
    Wait,
    arrival_view,
    forms_missing,
    funnel,
    waiting_on_lahsa,
    waiting_on_orgs,
)
from bot.core.duties import (
    DUTY_OF_MAILBOX,
    NO_USERS,
    Escalation,
    due_escalations,
    due_reminders,
)
from bot.core.nextstep import steps_for
from bot.core.state import OrgState
from bot.core.text import local_date, local_time
from bot.outbox.outbox import enqueue
from bot.outbox.render import Rendered, render
from bot.store.db import transaction
from bot.store.models import HmisUser, MailboxState, Organization, OutboxRow
from bot.store.queries import arrivals, load_all, open_reviews

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


def _queue(app: App, planned: list[Planned], dry_run: bool) -> list[Rendered]:
    """Render (dry run) or enqueue; an existing key is skipped, which makes every job idempotent."""
    now = app.clock.utcnow()
    shown: list[Rendered] = []
    if dry_run:
        with Session(app.engine) as session:
            for p in planned:
                if session.exec(select(OutboxRow.id).where(OutboxRow.key == p.key)).first() is None:
                    shown.append(render(app.env, p.kind, p.context))
        return shown
    with transaction(app.engine) as session:
        for p in planned:
            row = enqueue(session, app.env, key=p.key, kind=p.kind, to=p.to, context=p.context, now=now,
                          domain=app.mail_domain, org_id=p.org_id, inline_png=p.inline_png, reply_to=p.reply_to)
            if row is not None:
                shown.append(render(app.env, p.kind, p.context))
                if p.kind == "reminder" and p.org_id is not None:
                    org = session.get(Organization, p.org_id)
                    if org is not None:
                        org.last_reminded_on = app.clock.today()
    return shown


def base_url(app: App) -> str | None:
    """Where staff mails link to (``web.base_url``); None: they say "on the staff site"."""
    return app.config.web.base_url if app.config.web else None


def escalation_path(e: Escalation) -> str:
    """The site's page for what an escalation is about (its key says what that is)."""
    what, _, rest = e.key.partition(":")
    if what == "review":
        return f"/review#item-{rest}"
    if what == "access":
        return "/find?user=" + quote(rest.rpartition(":")[0], safe="@")
    return "/find?org=" + quote(e.org_name) if e.org_name else "/"


def _reviews(session: Session, app: App) -> list[ReviewView]:
    items = open_reviews(session)
    roles = {name: str(b.effective_role) for name, b in app.config.mailboxes.items()}
    return [ReviewView(i.id or 0, i.reason, roles.get(i.mailbox, ""), i.subject, i.sender,
                       i.created_at.astimezone(app.clock.tz).date()) for i in items]


def reminders(app: App, dry_run: bool = False) -> list[Rendered]:
    today = app.clock.today()
    with Session(app.engine) as session:
        orgs = load_all(session)
        last = {o.id or 0: o.last_reminded_on for o in session.exec(select(Organization)).all()}
    due = due_reminders(orgs, last, today, app.calendar, app.config.schedule.reminder_every_business_days)
    home = app.home_addresses
    planned = [Planned(f"reminder:{r.org_id}:{today.isoformat()}", "reminder", list(r.to), {
        "org_name": r.org_name, "org_missing": list(r.org_missing), "users": list(r.users),
        "names": list(r.names), "inbox": home.get(r.step, ""),
        "next_steps": [step.as_dict() for step in steps_for(r.codes, home, app.links, new_user=r.new_users,
                                                            no_users=NO_USERS in r.org_missing)],
    }, r.org_id, reply_to=home.get(r.step)) for r in due]
    return _queue(app, planned, dry_run)


def escalations(app: App, dry_run: bool = False) -> list[Rendered]:
    today = app.clock.today()
    if not app.calendar.is_business_day(today):
        return []
    sched = app.config.schedule
    with Session(app.engine) as session:
        orgs = load_all(session)
        reviews = _reviews(session, app)
    due = due_escalations(orgs, reviews, today, app.calendar, sched.escalation_after_business_days,
                          sched.review_escalation_business_days, app.clock.tz)
    planned = []
    for e in due:
        duty = getattr(app.config.staff, e.duty)
        to = str(duty.backup) if e.level == 2 and duty.backup else str(duty.primary)
        planned.append(Planned(f"escalation:{e.key}", "escalation", [to],
                               {"subject": e.subject, "detail": e.detail, "level": e.level, "duty": e.duty,
                                "path": escalation_path(e), "base_url": base_url(app)}))
    if not dry_run:
        _mark_overdue(app, today)
    return _queue(app, planned, dry_run)


def _mark_overdue(app: App, today: date) -> None:
    with transaction(app.engine) as session:
        for user in session.exec(select(HmisUser).where(HmisUser.access == "ready")).all():
            if user.access_due and today > user.access_due:
                user.access = "overdue"


def digest_data(app: App, duty: str, orgs: list[OrgState] | None = None) -> DigestData:
    """What one duty's digest says; ``orgs`` lets the three digests share one load."""
    today, now, tz = app.clock.today(), app.clock.utcnow(), app.clock.tz
    since = now - _since_last_business_day(app, today)
    # A duty reads the mail of its own inboxes (the join inbox is implementation's, ...).
    boxes = [name for name, b in app.config.mailboxes.items() if DUTY_OF_MAILBOX.get(str(b.effective_role)) == duty]
    with Session(app.engine) as session:
        orgs = load_all(session) if orgs is None else orgs
        reviews = _reviews(session, app)
        arrived = arrivals(session, since, boxes)
        health = _health(session, app, now)
    data = DigestData(duty=duty, funnel=funnel(orgs), health=health)
    data.arrivals = [arrival_view(a) for a in arrived]
    data.waiting, data.overdue = waiting_on_lahsa(duty, orgs, today)
    data.waiting_on_orgs = waiting_on_orgs(duty, orgs, today, app.calendar, tz)
    if duty == "access":  # the User Agreement and HMIS 10 form go to HMISsupport@, the access duty's inbox
        data.forms_missing = forms_missing(orgs, today, app.calendar, tz)
    data.review = [r for r in reviews if DUTY_OF_MAILBOX.get(r.mailbox_role) == duty]
    return data


def _health(session: Session, app: App, now: datetime) -> list[str]:
    """Mailboxes not checked successfully for too long, and mail that could not be sent."""
    stall = app.config.schedule.stalled_mailbox_after
    out = []
    for box in session.exec(select(MailboxState)).all():
        if box.last_ok_at is None or (now - box.last_ok_at).total_seconds() > stall:
            since = local_time(box.last_ok_at, app.clock.tz) if box.last_ok_at else "ever"
            out.append(f"mailbox {box.mailbox}: no successful check since {since} {box.last_error or ''}")
    failed = session.exec(select(OutboxRow).where(col(OutboxRow.status).in_(["failed", "unknown"]))).all()
    out.extend(f"mail to {', '.join(r.to_addrs)} {r.status}: {r.error or ''}" for r in failed)
    return out


def _since_last_business_day(app: App, today: date) -> timedelta:
    """A Monday digest covers the weekend too: everything since the previous business day."""
    prev = today - timedelta(days=1)
    while not app.calendar.is_business_day(prev):
        prev -= timedelta(days=1)
    return timedelta(days=(today - prev).days)


def _wait_view(w: Wait) -> dict[str, str]:
    """A wait for the template: its line, and the organization's page on the staff site."""
    return {"line": w.line, "org": w.org, "path": "/find?org=" + quote(w.org)}


def digests(app: App, dry_run: bool = False) -> list[Rendered]:
    today = app.clock.today()
    if not app.calendar.is_business_day(today):
        return []
    planned = []
    with Session(app.engine) as session:
        orgs = load_all(session)
    for duty in ("implementation", "training", "access"):
        data = digest_data(app, duty, orgs)
        if not data.has_news:
            continue  # nothing to say: no mail
        ctx = {"duty": duty, "today": local_date(today), "arrivals": data.arrivals, "waiting": data.waiting,
               "overdue": data.overdue, "health": data.health, "funnel": data.funnel,
               "funnel_max": max([n for _, n in data.funnel] + [1]),
               "waiting_on_orgs": [_wait_view(w) for w in data.waiting_on_orgs],
               "forms_missing": [_wait_view(w) for w in data.forms_missing],
               "review": [r.__dict__ for r in data.review], "base_url": base_url(app)}
        to = [str(getattr(app.config.staff, duty).primary)]
        # No PNG chart: the table-cell bars say the same in every client, images blocked or not.
        planned.append(Planned(f"digest:{duty}:{today.isoformat()}", "digest", to, ctx))
    return _queue(app, planned, dry_run)


# Every scheduled job by name: what `hmisbot remind|escalate|digest` and the scheduler's
# jobs run (one table, so that a name can only ever mean one of these functions).
JOBS = {"reminders": reminders, "escalations": escalations, "digests": digests}

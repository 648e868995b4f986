"""Application services the CLI, the scheduler and the staff site call: poll, review, grant.

Each function is one use case over an ``App``. None prints: each returns data, or why
it did nothing (a string; None when done). The CLI parses and prints (``bot.cli``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from bot.app import App
from bot.core import notices, transitions
from bot.core.state import OrgState
from bot.mailboxes.base import MailboxError
from bot.outbox.outbox import FlushPolicy, enqueue, flush, recover_interrupted
from bot.store import queries, repo
from bot.store.db import transaction
from bot.store.models import Organization, ReviewItem
from bot.workflow.health import record_failure
from bot.workflow.poll import PollReport, poll_mailbox


def poll_one(app: App, name: str, *, backfill: bool = False, between: Callable[[], object] | None = None,
             news: Callable[[], bool] | None = None, urgent: Callable[[], bool] | None = None,
             answered: Callable[[], object] | None = None) -> PollReport:
    """Poll one mailbox (the hooks are ``poll_mailbox``'s); the one place a failed check is handled.

    A mailbox that cannot be reached is recorded (``record_failure``: staff hear of a
    stall once), forgotten (the next poll reconnects) and reported as failed.
    """
    try:
        return poll_mailbox(app, name, backfill=backfill, between=between, news=news, urgent=urgent,
                            answered=answered)
    except (MailboxError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        record_failure(app, name, error)
        app.forget_mailbox(name)  # reconnect next time
        return PollReport(name, failed=[f"mailbox check failed: {error}"])


def poll_all(app: App, names: list[str], *, backfill: bool = False) -> tuple[list[PollReport], dict[str, int]]:
    """Poll each mailbox, then flush the outbox (also between slices of a long drain).

    A mailbox that cannot be reached is reported as failed (``poll_one``); the other
    mailboxes are still polled.
    """
    reports = [poll_one(app, name, backfill=backfill, between=lambda: flush_outbox(app)) for name in names]
    return reports, flush_outbox(app)


def flush_outbox(app: App) -> dict[str, int]:
    recover_interrupted(app.engine)
    policy = FlushPolicy(hourly_cap=app.config.send.hourly_cap,
                         lease=timedelta(seconds=app.config.limits.send_lease_seconds))
    return flush(app.engine, app.sender(), app.config.send.from_, app.clock.utcnow(), policy)


def open_review(app: App) -> list[ReviewItem]:
    with Session(app.engine) as session:
        return queries.open_reviews(session)


def resolve_review(app: App, item_id: int, note: str, by: str) -> bool:
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        item = session.get(ReviewItem, item_id)
        if item is None or item.resolved_at is not None:
            return False
        item.resolved_at, item.resolution, item.resolved_by = now, note, by
        repo.audit(session, now, "review_resolved", actor=by, org_id=item.org_id, detail={"id": item_id, "note": note})
    return True


def grant_access(app: App, email: str, by: str) -> str | None:
    """Record that a user's HMIS access was granted (the one use case for the CLI and the site).

    Returns why it was not recorded, or None. The rule is ``core.transitions.grant_access``.
    """
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        org_id = repo.org_by_address(session, email.lower())
        org = repo.load_org(session, org_id) if org_id else None
        user = org.user(email) if org is not None else None
        if org is None or user is None:
            return f"no user {email}"
        before = copy.deepcopy(org)
        if (problem := transitions.grant_access(user, now)) is not None:
            return problem
        repo.save_org(session, org, now)
        repo.audit(session, now, "access_granted", actor=by, org_id=org.id, user_id=user.id)
        queue_notices(app, session, before, org)
    return None


def queue_notices(app: App, session: Session, before: OrgState | None, after: OrgState) -> None:
    """Queue what a staff action's change makes due (``core.notices``), in the action's transaction."""
    now = app.clock.utcnow()
    for mail in notices.between(before, after, app.home_addresses, app.links):
        enqueue(session, app.env, key=mail.key, kind=mail.template, to=mail.to, context=mail.context, now=now,
                domain=app.mail_domain, org_id=after.id, reply_to=mail.reply_to)


def mark_program_set_up(app: App, org_name: str, program_name: str, by: str) -> str | None:
    """Record that a program's setup is done; it now waits for the Program Manager's confirmation.

    The one use case for the CLI and the site; the rule is ``core.transitions.mark_program_set_up``.
    Returns why it was not recorded, or None.
    """
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        org_id = repo.org_by_name(session, org_name)
        org = repo.load_org(session, org_id) if org_id else None
        if org is None:
            return f"no organization {org_name!r}"
        program = org.program(program_name)
        if program is None:
            return f"{org.name} has no program {program_name!r}"
        if (problem := transitions.mark_program_set_up(program, now)) is not None:
            return problem
        repo.save_org(session, org, now)
        repo.audit(session, now, "program_set_up", actor=by, org_id=org.id, detail={"program": program.name})
    return None


def countersign_agreement(app: App, name: str, by: str) -> str | None:
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        org_id = repo.org_by_name(session, name)
        org = session.get(Organization, org_id) if org_id else None
        if org is None:
            return f"no organization {name!r}"
        if org.agreement not in ("accepted", "countersigned"):
            return f"{org.name}: agreement is {org.agreement}, not accepted"
        # One conditional UPDATE: of two countersignatures at once (or one repeated), only the
        # first changes the row and is audited; the second is a no-op.
        changed = session.execute(update(Organization).where(
            col(Organization.id) == org.id, col(Organization.agreement) == "accepted").values(
            agreement="countersigned").execution_options(synchronize_session=False))
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            repo.audit(session, now, "agreement_countersigned", actor=by, org_id=org.id)
    return None

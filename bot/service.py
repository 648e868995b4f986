"""Application services the CLI (and later the web view) call: poll, review, grant.

Each function is one use case over an ``App``; the CLI only parses and prints.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.app import App
from bot.core import transitions
from bot.mailboxes.base import MailboxError
from bot.outbox.outbox import FlushPolicy, flush, recover_interrupted
from bot.store import repo
from bot.store.db import transaction
from bot.store.models import Organization, ReviewItem
from bot.workflow.health import record_failure
from bot.workflow.poll import PollReport, poll_mailbox


def poll_all(bot: App, names: list[str], *, backfill: bool = False) -> tuple[list[PollReport], dict[str, int]]:
    """Poll each mailbox, then flush the outbox (also between slices of a long drain).

    A mailbox that cannot be reached is recorded (``record_failure``: staff hear of a
    stall once) and reported as failed; the other mailboxes are still polled.
    """
    reports = []
    for name in names:
        try:
            reports.append(poll_mailbox(bot, name, backfill=backfill, between=lambda: flush_outbox(bot)))
        except (MailboxError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            record_failure(bot, name, error)
            bot.forget_mailbox(name)  # reconnect next time
            reports.append(PollReport(name, failed=[f"mailbox check failed: {error}"]))
    return reports, flush_outbox(bot)


def flush_outbox(bot: App) -> dict[str, int]:
    recover_interrupted(bot.engine)
    policy = FlushPolicy(hourly_cap=bot.config.send.hourly_cap,
                         lease=timedelta(seconds=bot.config.limits.send_lease_seconds))
    return flush(bot.engine, bot.sender(), bot.config.send.from_, bot.clock.utcnow(), policy)


def print_poll(reports: list[PollReport], sent: dict[str, int]) -> None:
    for r in reports:
        typer.echo(f"{r.mailbox}: {len(r.handled)} processed, {r.skipped} skipped, {r.baseline} left as baseline,"
                   f" {len(r.failed)} failed")
        for line in r.failed:
            typer.echo(f"  FAILED {line}")
    typer.echo("outbox: " + ", ".join(f"{k} {v}" for k, v in sent.items()))


def print_status(report: dict[str, Any]) -> None:
    for org in report["organizations"]:
        progs = ", ".join(f"{p['name']} [{p['setup']}]" for p in org["programs"]) or "no programs"
        typer.echo(f"{org['name']}: agreement {org['agreement']}; {progs};"
                   f" step 3 {'open' if org['ready_for_step3'] else 'closed'}")
        for u in org["users"]:
            due = f" due {u['access_due']}" if u["access_due"] else ""
            typer.echo(f"    {u['email']:34} {u['access']}{due}  missing: {'; '.join(u['missing']) or '-'}")
    typer.echo(f"review queue: {len(report['review'])} item(s)")


def open_review(bot: App) -> list[ReviewItem]:
    with Session(bot.engine) as session:
        return list(session.exec(select(ReviewItem).where(col(ReviewItem.resolved_at).is_(None))
                                 .order_by(col(ReviewItem.id))).all())


def resolve_review(bot: App, item_id: int, note: str, by: str) -> bool:
    now = bot.clock.utcnow()
    with transaction(bot.engine) as session:
        item = session.get(ReviewItem, item_id)
        if item is None or item.resolved_at is not None:
            return False
        item.resolved_at, item.resolution, item.resolved_by = now, note, by
        repo.audit(session, now, "review_resolved", actor=by, org_id=item.org_id, detail={"id": item_id, "note": note})
    return True


def grant_access(bot: App, email: str, by: str) -> str | None:
    """Record that a user's HMIS access was granted (the one use case for the CLI and the site).

    Returns why it was not recorded, or None. The rule is ``core.transitions.grant_access``.
    """
    now = bot.clock.utcnow()
    with transaction(bot.engine) as session:
        org_id = repo.org_by_address(session, email.lower())
        org = repo.load_org(session, org_id) if org_id else None
        user = org.user(email) if org is not None else None
        if org is None or user is None:
            return f"no user {email}"
        if (problem := transitions.grant_access(user, now)) is not None:
            return problem
        repo.save_org(session, org, now)
        repo.audit(session, now, "access_granted", actor=by, org_id=org.id, user_id=user.id)
    return None


def countersign_agreement(bot: App, name: str, by: str) -> str | None:
    now = bot.clock.utcnow()
    with transaction(bot.engine) as session:
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

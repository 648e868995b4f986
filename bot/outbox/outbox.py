"""The outbox: mails decided inside a message's transaction, sent after it commits.

A row is created with an idempotency key (same decision, same key), its final
Message-ID and its rendered text, in the same transaction as the state change
that caused it; so a crash either loses both or keeps both. ``flush`` sends
pending rows and records what happened: sent, retry later (transient), failed
(permanent, shown to staff), or unknown (the connection broke after DATA: never
resent blindly, shown to staff).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot import metrics
from bot.faults import checkpoint
from bot.outbox.compose import compose, make_message_id
from bot.outbox.render import render
from bot.outbox.senders.base import PermanentSendError, Sender, TransientSendError, UnknownOutcomeError
from bot.store.db import transaction
from bot.store.models import OutboxRow

log = logging.getLogger(__name__)
RETRY_BASE = timedelta(minutes=2)
MAX_TRANSIENT_ATTEMPTS = 8


def enqueue(
    session: Session,
    env: Environment,
    *,
    key: str,
    kind: str,
    to: list[str],
    context: dict[str, Any],
    now: datetime,
    domain: str,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    seen_id: int | None = None,
    org_id: int | None = None,
    inline_png: bytes | None = None,
    reply_to: str | None = None,
) -> OutboxRow | None:
    """Add one mail to the outbox unless a row with this key exists (then do nothing)."""
    if session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).first() is not None:
        return None
    rendered = render(env, kind, context)
    refs = " ".join([*references, in_reply_to] if in_reply_to else references) or None
    row = OutboxRow(
        key=key,
        kind=kind,
        to_addrs=to,
        to_key=(to[0] if to else "").lower(),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        in_reply_to=in_reply_to,
        references=refs,
        reply_to=reply_to,
        message_id=make_message_id(key, domain),
        seen_id=seen_id,
        org_id=org_id,
        created_at=now,
        inline_png=inline_png,
    )
    session.add(row)
    return row


def pending(session: Session, now: datetime, limit: int = 200, after_id: int = 0) -> list[OutboxRow]:
    """Due rows in id order, a page at a time (``after_id``: the last id of the previous page)."""
    due = or_(col(OutboxRow.next_attempt_at).is_(None), col(OutboxRow.next_attempt_at) <= now)
    return list(session.exec(
        select(OutboxRow).where(col(OutboxRow.status) == "pending", col(OutboxRow.id) > after_id, due)
        .order_by(col(OutboxRow.id)).limit(limit)
    ).all())


def _record(engine: Engine, row_id: int, **changes: Any) -> None:
    with transaction(engine) as session:
        session.execute(update(OutboxRow).where(col(OutboxRow.id) == row_id).values(**changes))


def _committing(engine: Engine, row_id: int) -> None:
    checkpoint("during_data")  # payload sent, final dot not: the server must discard it
    _record(engine, row_id, status="committing")
    checkpoint("before_final_dot")  # recorded as maybe-delivered, dot not yet sent


def _claim(engine: Engine, row: OutboxRow, lease: timedelta) -> bool:
    """Take the row for this instance: only one of several instances wins (conditional UPDATE)."""
    with transaction(engine) as session:
        result = session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == row.id, col(OutboxRow.status) == "pending")
            .values(status="sending", attempts=OutboxRow.attempts + 1, lease_until=datetime.now(UTC) + lease)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


@dataclass
class FlushPolicy:
    hourly_cap: int = 500
    lease: timedelta = timedelta(minutes=2)
    breaker_after: int = 3  # consecutive failures that stop the batch: the server is unwell


def sent_last_hour(engine: Engine, now: datetime) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OutboxRow.id).where(
            OutboxRow.status == "sent", col(OutboxRow.sent_at) > now - timedelta(hours=1))).all())


def flush(engine: Engine, sender: Sender, from_addr: str, now: datetime,
          policy: FlushPolicy | None = None) -> dict[str, int]:
    """Send what is due; return counts by result. One connection for the whole batch."""
    policy = policy or FlushPolicy()
    counts = {"sent": 0, "retry": 0, "failed": 0, "unknown": 0, "held": 0}
    budget = policy.hourly_cap - sent_last_hour(engine, now)
    failures_in_a_row = 0
    for row in _due(engine, now):
        if budget <= 0 or failures_in_a_row >= policy.breaker_after:
            counts["held"] += 1  # stays pending: the cap or the breaker holds it for the next flush
            continue
        if not _claim(engine, row, policy.lease):
            continue  # another instance is sending it
        with metrics.stage("send"):
            result = _send_one(engine, sender, from_addr, now, row)
        counts[result] += 1
        failures_in_a_row = 0 if result == "sent" else failures_in_a_row + 1
        budget -= result == "sent"
    if counts["held"]:
        log.error("outbox: %d mail(s) held (hourly cap %d or %d failures in a row)", counts["held"],
                  policy.hourly_cap, policy.breaker_after)
    return counts


def _due(engine: Engine, now: datetime) -> Iterator[OutboxRow]:
    """Every due row, page by page: a backlog larger than a page is sent in one flush."""
    last = 0
    while True:
        with Session(engine) as session:
            page = pending(session, now, after_id=last)
        if not page:
            return
        yield from page
        last = page[-1].id or last


def _send_one(engine: Engine, sender: Sender, from_addr: str, now: datetime, row: OutboxRow) -> str:
    assert row.id is not None
    row_id = row.id
    msg = compose(
        sender=from_addr, to=row.to_addrs, subject=row.subject, text=row.text, html=row.html,
        message_id=row.message_id, kind=row.kind, date=now, in_reply_to=row.in_reply_to,
        references=row.references, inline_png=row.inline_png, reply_to=row.reply_to,
    )
    try:
        sender.send(msg, before_commit=lambda: _committing(engine, row_id))
    except TransientSendError as exc:
        attempts = row.attempts + 1
        status = "failed" if attempts >= MAX_TRANSIENT_ATTEMPTS else "pending"
        _record(engine, row_id, status=status, error=str(exc)[:500], lease_until=None,
                next_attempt_at=now + RETRY_BASE * (2 ** min(attempts, 8)))
        log.warning("outbox %s: transient failure (attempt %d): %s", row.key, attempts, exc)
        return "retry" if status == "pending" else "failed"
    except PermanentSendError as exc:
        _record(engine, row_id, status="failed", error=str(exc)[:500], lease_until=None)
        log.error("outbox %s: refused for good: %s", row.key, exc)
        return "failed"
    except UnknownOutcomeError as exc:
        _record(engine, row_id, status="unknown", error=str(exc)[:500], lease_until=None)
        log.error("outbox %s: outcome unknown, not resent: %s", row.key, exc)
        return "unknown"
    _record(engine, row_id, status="sent", sent_at=now, error=None, lease_until=None)
    log.info("outbox %s: sent %s to %s", row.key, row.message_id, ", ".join(row.to_addrs))
    return "sent"


def recover_interrupted(engine: Engine) -> dict[str, int]:
    """Rows whose sender died (lease expired): resend if it died before the commit point.

    'sending' means the server never got the final dot, so the message was discarded
    and a resend is safe; 'committing' means it may have been delivered: the outcome
    is unknown and staff decide (shown in the digest), never a blind second send.
    """
    now = datetime.now(UTC)
    with transaction(engine) as session:
        expired = col(OutboxRow.lease_until) < now
        resent = session.execute(update(OutboxRow).where(col(OutboxRow.status) == "sending", expired)
                                 .values(status="pending", lease_until=None))
        unknown = session.execute(update(OutboxRow).where(col(OutboxRow.status) == "committing", expired)
                                  .values(status="unknown", lease_until=None, error="interrupted after DATA"))
        return {"resent": resent.rowcount, "unknown": unknown.rowcount}  # type: ignore[attr-defined]

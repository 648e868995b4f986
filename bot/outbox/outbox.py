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
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

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
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        in_reply_to=in_reply_to,
        references=refs,
        message_id=make_message_id(key, domain),
        seen_id=seen_id,
        org_id=org_id,
        created_at=now,
        inline_png=inline_png,
    )
    session.add(row)
    return row


def pending(session: Session, now: datetime, limit: int = 200) -> list[OutboxRow]:
    rows = session.exec(
        select(OutboxRow).where(OutboxRow.status == "pending").order_by(col(OutboxRow.id)).limit(limit)
    ).all()
    return [r for r in rows if r.next_attempt_at is None or r.next_attempt_at <= now]


def _record(engine: Engine, row_id: int, **changes: Any) -> None:
    with transaction(engine) as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        for key, value in changes.items():
            setattr(row, key, value)


def flush(engine: Engine, sender: Sender, from_addr: str, now: datetime) -> dict[str, int]:
    """Send what is due; return counts by result. One connection for the whole batch."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "unknown": 0}
    with Session(engine) as session:
        rows = pending(session, now)
    for row in rows:
        assert row.id is not None
        msg = compose(
            sender=from_addr, to=row.to_addrs, subject=row.subject, text=row.text, html=row.html,
            message_id=row.message_id, kind=row.kind, date=now, in_reply_to=row.in_reply_to,
            references=row.references, inline_png=row.inline_png,
        )
        # Count the attempt before sending: if we die mid-send, the row is not blindly resent.
        _record(engine, row.id, attempts=row.attempts + 1, status="sending")
        try:
            sender.send(msg)
        except TransientSendError as exc:
            attempts = row.attempts + 1
            status = "failed" if attempts >= MAX_TRANSIENT_ATTEMPTS else "pending"
            _record(engine, row.id, status=status, error=str(exc)[:500],
                    next_attempt_at=now + RETRY_BASE * (2 ** min(attempts, 8)))
            counts["retry" if status == "pending" else "failed"] += 1
            log.warning("outbox %s: transient failure, retry later: %s", row.key, exc)
        except PermanentSendError as exc:
            _record(engine, row.id, status="failed", error=str(exc)[:500])
            counts["failed"] += 1
            log.error("outbox %s: refused for good: %s", row.key, exc)
        except UnknownOutcomeError as exc:
            _record(engine, row.id, status="unknown", error=str(exc)[:500])
            counts["unknown"] += 1
            log.error("outbox %s: outcome unknown, not resent: %s", row.key, exc)
        else:
            _record(engine, row.id, status="sent", sent_at=now, error=None)
            counts["sent"] += 1
            log.info("outbox %s: sent %s to %s", row.key, row.message_id, ", ".join(row.to_addrs))
    return counts


def recover_interrupted(engine: Engine) -> int:
    """Rows left 'sending' by a crash: their outcome is unknown; staff decide (never resend blindly)."""
    with transaction(engine) as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.status == "sending")).all()
        for row in rows:
            row.status, row.error = "unknown", "interrupted while sending"
        return len(rows)

"""Retention: purge archived mail and per-message records older than the configured years.

HUD guidance keeps HMIS records for seven years (``retention_years``). The tracking
state of organizations and users stays; what goes is the raw mail in the archive and
the rows that describe single messages (seen messages, their documents, resolved
review items, sent outbox rows). Every purge is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import col, select

from bot.app import App
from bot.store import repo
from bot.store.db import transaction
from bot.store.models import Document, OutboxRow, ReviewItem, SeenMessage


@dataclass(frozen=True)
class Purged:
    cutoff: datetime
    files: int
    messages: int
    documents: int


def cutoff(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _old_files(root: Path, before: datetime) -> list[Path]:
    if not root.exists():
        return []
    return [p for p in root.rglob("*.eml") if p.stat().st_mtime < before.timestamp()]


def purge(bot: App, dry_run: bool = False) -> Purged:
    now = bot.clock.utcnow()
    before = cutoff(now, bot.config.retention_years)
    files = _old_files(bot.archive_dir, before)
    with transaction(bot.engine) as session:
        old = [s.id for s in session.exec(select(SeenMessage).where(col(SeenMessage.received_at) < before)).all()]
        docs = session.exec(select(Document.id).where(col(Document.seen_id).in_(old))).all()
        if not dry_run:
            session.execute(delete(Document).where(col(Document.seen_id).in_(old)))
            session.execute(delete(ReviewItem).where(col(ReviewItem.seen_id).in_(old),
                                                     col(ReviewItem.resolved_at).is_not(None)))
            sent_before = (col(OutboxRow.created_at) < before) & (col(OutboxRow.status) == "sent")
            sent_before = (col(OutboxRow.created_at) < before) & (col(OutboxRow.status) == "sent")
            session.execute(delete(OutboxRow).where(sent_before))
            kept = set(session.exec(select(ReviewItem.seen_id).where(col(ReviewItem.seen_id).in_(old))).all())
            session.execute(delete(SeenMessage).where(col(SeenMessage.id).in_([i for i in old if i not in kept])))
            repo.audit(session, now, "purge", detail={"cutoff": before.isoformat(), "files": len(files),
                                                      "messages": len(old), "documents": len(docs)})
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
    return Purged(before, len(files), len(old), len(docs))

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
from sqlmodel import Session, col, select

from bot.app import App
from bot.store import queries, repo
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


def _files_to_drop(session: Session, gone: list[int]) -> list[Path]:
    """The archive files of the purged messages that no remaining message still points at.

    Chosen from the database, never from file times: a file's mtime is the machine's
    clock at the moment it was written, while the cutoff is on the bot's clock (which
    ``--now`` may move), and the two must not be compared. The archive is keyed by
    content hash, so one file may serve a purged message and a newer copy of it.
    """
    paths = set(session.exec(select(SeenMessage.archive_path).where(col(SeenMessage.id).in_(gone))).all())
    kept = set(session.exec(select(SeenMessage.archive_path).where(
        col(SeenMessage.archive_path).in_([p for p in paths if p]), col(SeenMessage.id).not_in(gone))).all())
    return [Path(p) for p in sorted(p for p in paths if p and p not in kept)]


def purge(app: App, dry_run: bool = False) -> Purged:
    now = app.clock.utcnow()
    before = cutoff(now, app.config.retention_years)
    with transaction(app.engine) as session:
        old = [i for i in session.exec(select(SeenMessage.id).where(col(SeenMessage.received_at) < before)).all() if i]
        docs = session.exec(select(Document.id).where(col(Document.seen_id).in_(old))).all()
        in_review = set(session.exec(select(ReviewItem.seen_id).where(
            col(ReviewItem.seen_id).in_(old), queries.review_open())).all())
        files = _files_to_drop(session, [i for i in old if i not in in_review])
        if not dry_run:
            session.execute(delete(Document).where(col(Document.seen_id).in_(old)))
            session.execute(delete(ReviewItem).where(col(ReviewItem.seen_id).in_(old),
                                                     col(ReviewItem.resolved_at).is_not(None)))
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

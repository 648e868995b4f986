"""Draining a mailbox: what to fetch, what to skip, and where each message goes after.

Rules that keep mail from being lost or answered twice:
- the first time a mailbox is seen, whatever already waits in it is recorded as
  ``baseline`` and left alone unless ``--backfill`` is asked for: connecting the bot
  to a full inbox must not mail hundreds of people;
- a message already decided (same mailbox, UIDVALIDITY and UID, or after a
  UIDVALIDITY change the same Message-ID and content hash) is only moved, never
  decided again;
- the move to Processed / Needs Review happens after the commit; a crash between
  the two leaves the message in the inbox, where the next poll only moves it;
- only the instance that decided a message moves it, unless that instance's lease
  on the move has run out (it died): two concurrent IMAP MOVEs of one message can
  both copy it;
- a message that fails ``max_attempts`` times goes to review with its error,
  and the batch goes on.

Draining a backlog must not make new mail wait for it: every ``SLICE`` messages
the folder is listed again and what arrived meanwhile goes ahead of the rest, and
the caller's ``between`` hook runs (the service flushes the outbox there, so
replies leave during the drain instead of all at its end).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import memory, metrics
from bot.clock import arrival
from bot.faults import checkpoint
from bot.mail.message import message_id_of
from bot.mailboxes.base import Mailbox, RawMessage
from bot.store import repo
from bot.store.db import transaction
from bot.store.models import MailboxState, ReviewItem, SeenMessage
from bot.workflow.process import Handled, Understood, handle, move_lease, understand

if TYPE_CHECKING:
    from bot.workflow.deps import Pipeline

log = logging.getLogger(__name__)
DONE = ("processed", "review")
READ_AHEAD = 8  # messages read ahead of the commit: keeps both sandbox workers busy behind a slow scan
SLICE = 25  # messages between two looks for new arrivals (and two `between` calls): ~6 s of a backlog
PIECE = 5  # messages a FETCH in a drain: breaking off for new mail refetches at most PIECE - 1


@dataclass
class PollReport:
    mailbox: str
    handled: list[tuple[str, Handled]] = field(default_factory=list)
    baseline: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)


def _state(session: Session, name: str) -> MailboxState:
    state = session.get(MailboxState, name)
    if state is None:
        state = MailboxState(mailbox=name)
        session.add(state)
    return state


def _make_state(app: Pipeline, name: str) -> None:
    """Create the mailbox's state row if missing: another instance may be creating it at this moment."""
    with Session(app.engine) as session:
        if session.get(MailboxState, name) is not None:
            return
    with contextlib.suppress(IntegrityError), transaction(app.engine) as session:
        session.add(MailboxState(mailbox=name))


def _record_baseline(app: Pipeline, box: Mailbox, uidvalidity: str, keys: tuple[str, ...]) -> int:
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        for key in keys:
            if repo.find_seen(session, box.name, uidvalidity, key) is None:
                session.add(SeenMessage(mailbox=box.name, uidvalidity=uidvalidity, uid=key, sha256="",
                                        outcome="baseline", received_at=now))
        state = _state(session, box.name)
        state.baseline_done, state.uidvalidity, state.last_ok_at = True, uidvalidity, now
    log.info("mailbox %s: first connection, %d waiting message(s) left unanswered (use --backfill)",
             box.name, len(keys))
    return len(keys)


def _todo(app: Pipeline, box: Mailbox, uidvalidity: str, keys: tuple[str, ...], backfill: bool) -> list[str]:
    with Session(app.engine) as session:
        rows = session.exec(
            select(SeenMessage.uid, SeenMessage.outcome).where(
                SeenMessage.mailbox == box.name, SeenMessage.uidvalidity == uidvalidity
            )
        ).all()
    known = dict(rows)
    # Decided messages still in the folder are fetched too: their move after the commit
    # did not happen, and _one only moves them.
    return [k for k in keys if backfill or known.get(k) != "baseline"]


def poll_mailbox(app: Pipeline, name: str, *, backfill: bool = False, between: Callable[[], object] | None = None,
                 news: Callable[[], bool] | None = None, urgent: Callable[[], bool] | None = None,
                 answered: Callable[[], object] | None = None) -> PollReport:
    """Drain the mailbox; `between` runs every SLICE messages, `answered` after each new arrival is decided.

    `news()` says (once) that the IDLE watcher announced mail in this mailbox: the folder
    is listed again before the next message. `urgent()` says that new mail waits
    elsewhere (another mailbox's job waits for the turn): the slice ends after the
    message being decided, so `between` can hand the turn over.
    """
    box = app.mailbox(name)
    role = app.role_of(name)
    report = PollReport(name)
    listing = box.list_pending()
    uidvalidity = listing.uidvalidity or ""
    _make_state(app, name)
    with transaction(app.engine) as session:
        state = _state(session, name)
        first = not state.baseline_done
        if state.uidvalidity and state.uidvalidity != uidvalidity:
            log.warning("mailbox %s: UIDVALIDITY changed %s -> %s; matching by Message-ID and hash",
                        name, state.uidvalidity, uidvalidity)
        state.uidvalidity = uidvalidity
    if first and not backfill:
        report.baseline = _record_baseline(app, box, uidvalidity, listing.keys)
        return report
    todo = _todo(app, box, uidvalidity, listing.keys, backfill)
    _drain(app, box, role, _arrivals_first(box, uidvalidity, todo, news), report, between, urgent, answered)
    with transaction(app.engine) as session:
        state = _state(session, name)
        state.baseline_done, state.last_ok_at, state.last_error, state.stalled_reported = (
            True, app.clock.utcnow(), None, False)
    return report


def _already(app: Pipeline, raw: RawMessage) -> SeenMessage | None:
    with Session(app.engine) as session:
        seen = repo.find_seen(session, raw.mailbox, raw.uidvalidity or "", raw.key)
        if seen is not None:
            return seen
        # After a UIDVALIDITY change: the same message by Message-ID and content hash. Only the
        # header is parsed here; the whole message is parsed once, by understand().
        return repo.find_seen_by_content(session, raw.mailbox, message_id_of(raw.data),
                                         hashlib.sha256(raw.data).hexdigest())


@dataclass
class _Prepared:
    """What can be worked out for a message before its turn to commit (in a worker thread)."""

    seen: SeenMessage | None
    understood: Understood | None = None
    error: Exception | None = None


def _prepare(app: Pipeline, raw: RawMessage) -> _Prepared:
    seen = None
    try:
        seen = _already(app, raw)
        if seen is not None and seen.outcome in DONE:
            return _Prepared(seen)
        return _Prepared(seen, understand(app, raw))
    except Exception as exc:  # reported in order, by _one, as this message's failure
        # Keep the earlier row: _one replaces it and counts this attempt on top of it.
        return _Prepared(seen, error=exc)


def _arrivals_first(box: Mailbox, uidvalidity: str, keys: Sequence[str],
                    news: Callable[[], bool] | None = None) -> Iterator[tuple[RawMessage, bool]]:
    """The messages of `keys`, each with whether it arrived after the first listing.

    The folder is listed again every SLICE messages, and before the next message as
    soon as `news()` says the server announced mail: what arrived since goes ahead of
    the rest of the backlog (a person waiting at their desk is answered in seconds, not
    after the weekend's mail). Fetching goes PIECE messages at a time, so breaking off
    for new mail wastes at most a few fetched messages.
    """
    queue, known, fresh = list(keys), set(keys), set[str]()
    fetched = 0

    def arrivals() -> list[str] | None:
        """Keys listed now and not before; None if UIDVALIDITY changed (keys mean nothing)."""
        listing = box.list_pending()
        if (listing.uidvalidity or "") != uidvalidity:
            log.warning("mailbox %s: UIDVALIDITY changed during the drain; the next poll goes on", box.name)
            return None
        return [k for k in listing.keys if k not in known]

    while queue:
        piece, queue = queue[:PIECE], queue[PIECE:]
        new: list[str] | None = []
        for raw in box.fetch(piece):  # left early: the adapter's generator is closed with it
            yield raw, raw.key in fresh
            fetched += 1
            if (news is not None and news()) or fetched % SLICE == 0:
                new = arrivals()
                if new is None:
                    return
                if new:  # the rest of this piece is fetched again, after the new mail
                    queue = piece[piece.index(raw.key) + 1:] + queue
                    break
        if not new and not queue and news is not None and news():
            new = arrivals()  # announced while the last piece was decided (the wake is used up)
            if new is None:
                return
        if new:
            log.info("mailbox %s: %d new message(s) go ahead of %d waiting", box.name, len(new), len(queue))
            known.update(new)
            fresh.update(new)
            queue = new + queue


def _drain(app: Pipeline, box: Mailbox, role: str, raws: Iterator[tuple[RawMessage, bool]], report: PollReport,
           between: Callable[[], object] | None = None, urgent: Callable[[], bool] | None = None,
           answered: Callable[[], object] | None = None) -> None:
    """Read the next messages' documents on both cores while this one commits.

    Reading (parsing, OCR in the sandbox pool's worker processes) runs ahead in
    threads, a bounded window of messages at a time so memory stays flat; decisions
    and commits stay in the order `raws` gives (new arrivals ahead of the backlog read
    so far), one transaction per message.

    A slice ends (and `between` runs: the service flushes the outbox and passes the
    turn) every SLICE messages, and whenever `urgent()` says mail waits elsewhere.
    `answered` runs after each new arrival is decided (the scheduler flushes the outbox).
    """
    window: deque[tuple[RawMessage, Future[_Prepared], bool]] = deque()
    done = since = 0

    def settle_oldest() -> None:
        nonlocal done, since
        raw, ahead, fresh = window.popleft()
        _one(app, box, role, raw, ahead, report)
        done += 1
        since += 1
        if not done % SLICE:
            # Freed message buffers and parse trees back to the OS: the bot process's peak
            # grew ~15% from N=200 to N=2,000 without it (bench/backlog.py).
            memory.give_back()
        if fresh and answered is not None:
            try:
                answered()  # its sender waits: the reply leaves now, not a slice of backlog later
            except Exception:  # a failed flush is retried by the next one; the drain goes on
                log.exception("mailbox %s: the after-new-mail hook failed", box.name)
        if since < SLICE and not (urgent is not None and urgent()):
            return
        since = 0
        if between is not None:
            try:
                between()
            except Exception:  # a failed flush is retried by the next one; the drain goes on
                log.exception("mailbox %s: the between-slices hook failed", box.name)

    with (ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="read") as pool,
          ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-new") as express):
        for raw, fresh in metrics.timed_iter("fetch", raws):
            checkpoint("after_fetch")
            if fresh:
                # New mail goes ahead of the backlog already read ahead (after earlier new
                # mail), and is read by a thread of its own instead of queueing behind the
                # window's: under load the window alone held it back ~9 s (bench/latency.py).
                ahead = sum(1 for _ in itertools.takewhile(lambda w: w[2], window))
                window.insert(ahead, (raw, express.submit(_prepare, app, raw), True))
            else:
                window.append((raw, pool.submit(_prepare, app, raw), False))
            if len(window) > READ_AHEAD:
                settle_oldest()
        while window:
            settle_oldest()


def _one(app: Pipeline, box: Mailbox, role: str, raw: RawMessage, ahead: Future[_Prepared], report: PollReport) -> None:
    prepared = ahead.result()
    seen = prepared.seen
    if seen is not None and seen.outcome in DONE:
        if _same_key(seen, raw) and not _take_move(app, seen.id):
            report.skipped += 1  # already moved, or its decider is moving it now
            return
        box.settle(raw, "review" if seen.outcome == "review" else "processed")
        _mark_settled(app, seen.id)
        report.skipped += 1
        return
    if seen is not None and seen.outcome in ("baseline", "failed"):
        _forget(app, seen.id)  # re-decided below under the same key
    try:
        if prepared.error is not None:
            raise prepared.error
        assert prepared.understood is not None
        handled = handle(app, raw, role, prepared.understood)
    except Exception as exc:  # one bad message must not stop the batch
        _failed(app, box, raw, exc, (seen.attempts if seen else 0) + 1, report)
        return
    if handled is None:
        report.skipped += 1
        return
    checkpoint("after_commit")
    box.settle(raw, "review" if handled.outcome == "review" else "processed")
    checkpoint("after_move")
    _mark_settled(app, handled.seen_id)
    report.handled.append((raw.key, handled))


def _same_key(seen: SeenMessage, raw: RawMessage) -> bool:
    return seen.uid == raw.key and seen.uidvalidity == (raw.uidvalidity or "")


def _take_move(app: Pipeline, seen_id: int | None) -> bool:
    """Claim the move of a decided message still in the inbox: not when it is settled,
    nor while the instance that decided it may still be moving it (its lease runs)."""
    now = datetime.now(UTC)
    with transaction(app.engine) as session:
        taken = session.execute(update(SeenMessage).where(
            col(SeenMessage.id) == seen_id, col(SeenMessage.settled).is_(False),
            or_(col(SeenMessage.lease_until).is_(None), col(SeenMessage.lease_until) < now),
        ).values(lease_until=move_lease(app)))
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def _mark_settled(app: Pipeline, seen_id: int | None) -> None:
    with transaction(app.engine) as session:
        seen = session.get(SeenMessage, seen_id)
        if seen is not None:
            seen.settled = True


def _forget(app: Pipeline, seen_id: int | None) -> None:
    with transaction(app.engine) as session:
        seen = session.get(SeenMessage, seen_id)
        if seen is not None:
            session.delete(seen)


def _headers(data: bytes) -> tuple[str, str, str]:
    """Message-ID, sender address and subject of a message that could not be processed.

    The Message-ID is the one a processed message gets (``message_id_of``: from the header,
    else derived from the content); sender and subject are '' if unreadable.
    """
    message_id = message_id_of(data)[:300]
    try:
        head = BytesHeaderParser(policy=policy.default).parsebytes(data)
        return message_id, parseaddr(str(head.get("From", "")))[1].lower()[:300], str(head.get("Subject", ""))[:300]
    except Exception:  # the headers may be as broken as the rest
        return message_id, "", ""


def _failed(app: Pipeline, box: Mailbox, raw: RawMessage, exc: Exception, attempts: int, report: PollReport) -> None:
    """Count the failure; after max_attempts the message goes to review with its error."""
    now = app.clock.utcnow()
    error = f"{type(exc).__name__}: {exc}"[:1000]
    log.error("message %s in %s failed (attempt %d): %s\n%s", raw.key, raw.mailbox, attempts, error,
              traceback.format_exc(limit=5))
    poison = attempts >= app.config.limits.max_attempts
    message_id, sender, subject = _headers(raw.data)  # so that staff can find it in the review queue
    with transaction(app.engine) as session:
        seen = SeenMessage(mailbox=raw.mailbox, uidvalidity=raw.uidvalidity or "", uid=raw.key, sha256="",
                           message_id=message_id, sender=sender, subject=subject,
                           outcome="review" if poison else "failed", attempts=attempts, error=error,
                           received_at=arrival(raw.received_at, now), processed_at=now, lease_until=move_lease(app))
        session.add(seen)
        if poison:
            session.flush()
            session.add(ReviewItem(seen_id=seen.id, reason=f"failed {attempts} times: {error}", mailbox=raw.mailbox,
                                   subject=subject, sender=sender, created_at=now))
    if poison:
        box.settle(raw, "review")
    report.failed.append(f"{raw.key}: {error}")

"""What an IT team watches: ``/healthz`` (no login) and Prometheus' ``/metrics``.

Both are read from the database at request time, so they describe every instance
sharing it (the poller, ``run`` and ``web`` are separate processes). ``/healthz``
names mailboxes by their configuration key only and gives counts and times: no
address, subject or person, since anyone who reaches the port may read it.
``/metrics`` carries no personal data either, but counts of the queues describe
LAHSA's work, so it answers only connections from ``web.trusted_proxies`` or the
host itself, or a scraper presenting ``web.metrics_token_env``'s token.
Stage timings (OCR seconds) live in the process that did the work: they come from
the file that process publishes (``$HMISBOT_METRICS``, ``bot.metrics``).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, text
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.app import App
from bot.store import queries
from bot.store.models import MailboxState, OutboxRow, ReviewItem, SeenMessage
from bot.web.http import web

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Box:
    name: str
    last_ok_at: datetime | None
    stalled: bool


def mailboxes(session: Session, bot: App) -> list[Box]:
    """Every configured mailbox with its last good check; stalled as the digest and the alert say."""
    now, stall = bot.clock.utcnow(), bot.config.schedule.stalled_mailbox_after
    states = {s.mailbox: s for s in session.exec(select(MailboxState)).all()}
    out = []
    for name in bot.config.mailboxes:
        ok = states[name].last_ok_at if name in states else None
        out.append(Box(name, ok, ok is None or (now - ok).total_seconds() > stall))
    return out


def _backlog(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(OutboxRow).where(
        col(OutboxRow.status) == "pending")).one())


def health(bot: App) -> tuple[int, dict[str, Any]]:
    """200 while the database answers (a stalled mailbox is reported, not fatal to the site); else 503."""
    try:
        with Session(bot.engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            boxes, backlog = mailboxes(session, bot), _backlog(session)
    except Exception as exc:
        log.error("healthz: database unreachable: %s", exc)
        return 503, {"status": "down", "database": False}
    return 200, {
        "status": "degraded" if any(b.stalled for b in boxes) else "ok",
        "database": True,
        "mailboxes": [{"name": b.name, "last_ok_at": b.last_ok_at.isoformat() if b.last_ok_at else None,
                       "stalled": b.stalled} for b in boxes],
        "outbox_backlog": backlog,
    }


class DatabaseCollector(Collector):
    """Reads the counts at scrape time; nothing is kept between scrapes."""

    def __init__(self, bot: App) -> None:
        self.bot = bot

    def collect(self) -> Iterator[Metric]:
        with Session(self.bot.engine) as session:
            yield from self._messages(session)
            yield from self._outbox(session)
            review = GaugeMetricFamily("hmisbot_review_queue_size", "Open review items (a person must decide)")
            review.add_metric([], session.exec(select(func.count()).select_from(ReviewItem).where(
                queries.review_open())).one())
            yield review
            yield from self._mailboxes(session)
        yield from _stages()

    def _messages(self, session: Session) -> Iterator[Metric]:
        fam = GaugeMetricFamily("hmisbot_messages", "Messages recorded, by mailbox and outcome (purge lowers it)",
                                labels=["mailbox", "outcome"])
        rows = session.exec(select(SeenMessage.mailbox, SeenMessage.outcome, func.count())
                            .group_by(col(SeenMessage.mailbox), col(SeenMessage.outcome))).all()
        for mailbox, outcome, n in rows:
            fam.add_metric([mailbox, outcome], n)
        yield fam

    def _outbox(self, session: Session) -> Iterator[Metric]:
        rows = session.exec(select(OutboxRow.kind, OutboxRow.status, func.count())
                            .group_by(col(OutboxRow.kind), col(OutboxRow.status))).all()
        sent = GaugeMetricFamily("hmisbot_mails_sent", "Mails sent (replies, reminders, staff mail), by kind",
                                 labels=["kind"])
        queued = GaugeMetricFamily("hmisbot_outbox", "Outbox rows by status (pending is the backlog)",
                                   labels=["status"])
        by_status: dict[str, int] = {}
        for kind, status, n in rows:
            if status == "sent":
                sent.add_metric([kind], n)
            by_status[status] = by_status.get(status, 0) + n
        for status, n in sorted(by_status.items()):
            queued.add_metric([status], n)
        yield sent
        yield queued

    def _mailboxes(self, session: Session) -> Iterator[Metric]:
        last = GaugeMetricFamily("hmisbot_mailbox_last_ok_timestamp_seconds",
                                 "When each mailbox was last checked successfully (0: never)", labels=["mailbox"])
        stalled = GaugeMetricFamily("hmisbot_mailbox_stalled", "1 when the mailbox counts as stalled",
                                    labels=["mailbox"])
        for box in mailboxes(session, self.bot):
            last.add_metric([box.name], box.last_ok_at.timestamp() if box.last_ok_at else 0.0)
            stalled.add_metric([box.name], 1.0 if box.stalled else 0.0)
        yield last
        yield stalled


def _stages() -> Iterator[Metric]:
    totals = metrics.load(os.environ.get("HMISBOT_METRICS"))
    seconds = CounterMetricFamily("hmisbot_stage_seconds", "Wall time per pipeline stage (ocr, parse, decide ...)",
                                  labels=["stage"])
    count = CounterMetricFamily("hmisbot_stage_runs", "Times each pipeline stage ran", labels=["stage"])
    for stage, t in sorted(totals.items()):
        seconds.add_metric([stage], t["seconds"])
        count.add_metric([stage], t["count"])
    yield seconds
    yield count
    ocr = CounterMetricFamily("hmisbot_ocr_seconds", "Wall time spent reading messages whose documents needed OCR")
    ocr.add_metric([], totals.get("ocr", {}).get("seconds", 0.0))
    yield ocr


def _is_loopback(client: Any) -> bool:
    try:
        return bool(client) and ipaddress.ip_address(str(client[0])).is_loopback
    except ValueError:  # a Unix socket or a test client: no address
        return False


def may_scrape(request: Request) -> bool:
    """From the host itself or the trusted proxy, or with the configured bearer token."""
    w = web(request)
    if _is_loopback(request.scope.get("client")) or w.gate.proxies.trusts(request.scope):
        return True
    env = w.bot.config.web.metrics_token_env if w.bot.config.web else None
    token = os.environ.get(env, "") if env else ""
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


async def healthz(request: Request) -> Response:
    status, body = await run_in_threadpool(health, web(request).bot)
    return JSONResponse(body, status)


async def prometheus(request: Request) -> Response:
    if not may_scrape(request):
        return PlainTextResponse("metrics are served to the host, the trusted proxy or a bearer token only", 403)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(web(request).bot))
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


ROUTES = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", prometheus, methods=["GET"])]

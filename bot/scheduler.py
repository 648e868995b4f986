"""`hmisbot run`: APScheduler wiring for pollers, reminders, escalations and digests.

Jobs have fixed ids (``poll:<mailbox>``, ``reminders``, ``escalations``, ``digests``),
live in a persistent job store in the tracking database, coalesce misfires and never
run two instances at once. Job functions are importable top-level functions taking
only strings, so the store can persist them. Mailboxes whose server has IDLE get a
watcher thread that wakes their poll job at once when mail arrives; the interval
job remains as the safety net. Periods are in the outbox keys, so a restart never
sends a reminder, escalation or digest twice.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Config, Schedule, load_config
from bot.mailboxes.backoff import Backoff

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


class _Turns:
    """One job at a time inside a process (SQLite allows one writer, and an IMAP
    connection must not be shared between threads), with a way for a long job to let
    waiting ones go first: a backlog drain in one mailbox passes its turn between
    slices, so mail to the other mailboxes is not held until the drain ends.

    Turns go in the order they were asked for, and a job that passes its turn queues
    again behind those already waiting. A passer that did not count as waiting (as
    before) was skipped by the next pass_turn: with three mailboxes draining at once,
    the last one to get the turn kept it to the end of its backlog, and a new message
    in one of the other two waited as long (52-60 s in bench/latency.py)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._queue: deque[object] = deque()  # one ticket per job waiting, first come first served

    @property
    def _waiting(self) -> int:
        return len(self._queue)

    def waiting(self) -> bool:
        """Whether a job waits for the turn (read without the lock: a hint, not a promise)."""
        return bool(self._queue)

    def _take(self) -> None:
        """Queue for the turn and wait for it (called with the condition held)."""
        ticket = object()
        self._queue.append(ticket)
        try:
            self._cond.wait_for(lambda: not self._busy and self._queue[0] is ticket)
        except BaseException:
            self._queue.remove(ticket)  # interrupted: do not block the jobs behind
            self._cond.notify_all()
            raise
        self._queue.popleft()
        self._busy = True

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._cond:
            self._take()
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def pass_turn(self) -> None:
        """Called by the job holding the turn: every job already waiting runs first."""
        with self._cond:
            if not self._queue:
                return
            self._busy = False
            self._cond.notify_all()
            self._take()


_WORK = _Turns()
_APPS: dict[tuple[str, str | None], App] = {}
_WAKE: dict[str, threading.Event] = {}


def _app(config_path: str, now_iso: str | None) -> App:
    from bot.app import App
    from bot.clock import parse_now
    from bot.store.db import init_db

    key = (config_path, now_iso)
    if key not in _APPS:
        config = load_config(config_path)
        now = parse_now(now_iso, ZoneInfo(config.timezone)) if now_iso else None
        app = App.build(config, now)
        init_db(app.engine)
        _APPS[key] = app
    return _APPS[key]


def _woken(mailbox: str) -> threading.Event:
    """Set by the mailbox's IDLE watcher when it wakes the poll job."""
    return _WAKE.setdefault(mailbox, threading.Event())


def job_poll(config_path: str, now_iso: str | None, mailbox: str) -> None:
    from bot.service import flush_outbox, poll_one

    app = _app(config_path, now_iso)
    woken = _woken(mailbox)

    def between() -> None:  # every few dozen messages of a long drain, or sooner when mail waits elsewhere
        flush_outbox(app)
        _WORK.pass_turn()

    def news() -> bool:
        # The drain lists the folder again right after asking: the wake is used up.
        if not woken.is_set():
            return False
        woken.clear()
        return True

    def urgent() -> bool:
        # New mail announced in another mailbox whose job waits for the turn: hand it over
        # after this message, not after the slice.
        return _WORK.waiting() and any(e.is_set() for name, e in _WAKE.items() if name != mailbox)

    with _WORK.hold():
        while True:
            woken.clear()
            poll_one(app, mailbox, between=between, news=news, urgent=urgent, answered=lambda: flush_outbox(app))
            flush_outbox(app)
            # A wake while this run was under way (or waiting for _WORK) would be
            # dropped by APScheduler (max_instances=1): poll again now instead.
            if not woken.is_set():
                return


def _job(name: str, config_path: str, now_iso: str | None) -> None:
    from bot.jobs import JOBS
    from bot.service import flush_outbox

    app = _app(config_path, now_iso)
    with _WORK.hold():
        JOBS[name](app)
        flush_outbox(app)


def job_reminders(config_path: str, now_iso: str | None) -> None:
    _job("reminders", config_path, now_iso)


def job_escalations(config_path: str, now_iso: str | None) -> None:
    _job("escalations", config_path, now_iso)


def job_digests(config_path: str, now_iso: str | None) -> None:
    _job("digests", config_path, now_iso)


def cron(spec: str, tz: str) -> CronTrigger:
    days, at = Schedule.at(spec)
    return CronTrigger(day_of_week="mon-fri" if days == "weekdays" else "*", hour=at.hour, minute=at.minute,
                       timezone=ZoneInfo(tz))


def build_scheduler(config: Config, config_path: str, now_iso: str | None, url: str) -> BackgroundScheduler:
    sched = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url, tablename=f"apscheduler_jobs_{config.instance}")},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=ZoneInfo(config.timezone),
    )
    args: list[Any] = [config_path, now_iso]
    for name, box in config.mailboxes.items():
        sched.add_job(job_poll, "interval", seconds=box.poll_every, args=[*args, name], id=f"poll:{name}",
                      replace_existing=True, next_run_time=datetime.now(ZoneInfo(config.timezone)))
    sched.add_job(job_reminders, cron(config.schedule.reminders, config.timezone), args=args, id="reminders",
                  replace_existing=True)
    sched.add_job(job_escalations, "cron", day_of_week="mon-fri", hour="8-17", minute=5, args=args,
                  id="escalations", replace_existing=True, timezone=ZoneInfo(config.timezone))
    sched.add_job(job_digests, cron(config.schedule.digest, config.timezone), args=args, id="digests",
                  replace_existing=True)
    return sched


def _watch(sched: BackgroundScheduler, app: App, name: str, stop: threading.Event) -> None:
    """Wait in IDLE on a connection of its own; wake the poll job when the server says so."""
    from bot.app import build_mailbox

    box = build_mailbox(name, app.config.mailboxes[name], app.config)
    backoff = Backoff(initial=1.0, maximum=60.0)
    away = False  # the connection broke: mail may have arrived unannounced meanwhile
    top: tuple[str, int] | None = None  # UIDVALIDITY and highest UID seen in the folder

    def wake() -> None:
        _woken(name).set()
        # During shutdown the scheduler or its job may already be gone: nothing left to wake.
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            sched.modify_job(f"poll:{name}", next_run_time=datetime.now(app.clock.tz))

    def arrived() -> bool:
        """Whether the folder holds a UID never seen before. A wake makes the drain list the
        folder at once and other drains hand over their turn, so it must mean new mail: in
        bench/latency.py announcements kept coming for seconds after a burst of mail that
        had been listed already. UIDs only grow, so a higher one is new mail."""
        nonlocal top
        listing = box.list_pending()
        uids = [int(k) for k in listing.keys if k.isdigit()]
        if len(uids) < len(listing.keys):
            return True  # not UIDs: cannot tell, so wake
        now = (listing.uidvalidity or "", max(uids, default=0))
        new = top is None or now[0] != top[0] or now[1] > top[1]
        top = now if top is None or now[0] != top[0] else (now[0], max(now[1], top[1]))
        return new

    while not stop.is_set():
        try:
            if away:
                box.list_pending()  # reconnects, or raises while the server is still away
                away = False
                backoff.reset()
                log.info("IDLE on %s: reconnected; polling for mail that arrived meanwhile", name)
                wake()
            if box.wait(timeout=min(app.config.mailboxes[name].poll_every, 25 * 60)) and arrived():
                wake()
        except Exception as exc:  # a watcher must never die: the interval poll is the safety net
            if stop.is_set():
                break  # shutting down: whatever the connection said no longer matters
            away = True
            delay = backoff.next_delay()
            log.warning("IDLE on %s failed (%s: %s); retrying in %.0f s, the interval poll continues",
                        name, type(exc).__name__, exc, delay)
            stop.wait(delay)
    with contextlib.suppress(Exception):  # closing a connection that already died
        box.close()


def serve(app: App, config_path: str, now_iso: str | None) -> int:
    """Run until SIGTERM or SIGINT; then finish the running job and stop cleanly."""
    _APPS[(config_path, now_iso)] = app  # the jobs share the CLI's app (engine, adapters)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sched = build_scheduler(app.config, config_path, now_iso, app.config.database_url)
    sched.start()
    watchers = [threading.Thread(target=_watch, args=(sched, app, name, stop), daemon=True, name=f"idle:{name}")
                for name, box in app.config.mailboxes.items() if box.backend == "imap"]
    for w in watchers:
        w.start()
    log.info("hmisbot running: %s", ", ".join(j.id for j in sched.get_jobs()))
    stop.wait()
    log.info("stopping: waiting for running jobs")
    sched.shutdown(wait=True)
    return 0

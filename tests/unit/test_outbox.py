"""The outbox: idempotent keys, one sender per row across instances, crash recovery, caps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from bot.outbox.outbox import FlushPolicy, enqueue, flush, recover_interrupted
from bot.outbox.render import make_env
from bot.outbox.senders.base import TransientSendError
from bot.store.db import transaction
from bot.store.models import OutboxRow

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
CTX = {"org_name": "Hope", "org_missing": ["x"], "users": [], "names": ["Maria"], "inbox": "JoinHMIS@lahsa.org",
       "next_steps": []}


class Recorder:
    def __init__(self, fail: type[Exception] | None = None, crash_at_commit: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail
        self.crash_at_commit = crash_at_commit
        self.lock = threading.Lock()

    def send(self, msg: EmailMessage, before_commit=None) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            raise self.fail("boom")
        if before_commit:
            before_commit()
        if self.crash_at_commit:
            raise KeyboardInterrupt  # stands for SIGKILL between the final dot and our record
        with self.lock:
            self.sent.append(str(msg["Message-ID"]))

    def close(self) -> None: ...


pytestmark = pytest.mark.usefixtures("migrated")  # `engine` (tests/conftest.py), with the tables


def _queue(engine, n: int, key: str = "k") -> None:  # type: ignore[no-untyped-def]
    env = make_env()
    with transaction(engine) as s:
        for i in range(n):
            enqueue(s, env, key=f"{key}{i}", kind="reminder", to=[f"u{i}@x.org"], context=CTX, now=NOW,
                    domain="lahsa.org")


def _statuses(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return [r.status for r in s.exec(select(OutboxRow).order_by(OutboxRow.id)).all()]


def test_same_key_is_queued_once(engine) -> None:  # type: ignore[no-untyped-def]
    _queue(engine, 1)
    _queue(engine, 1)
    assert _statuses(engine) == ["pending"]


def test_two_instances_flushing_at_once_send_each_row_once(engine) -> None:  # type: ignore[no-untyped-def]
    _queue(engine, 30)
    sender = Recorder()
    threads = [threading.Thread(target=flush, args=(engine, sender, "a@lahsa.org", NOW)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sender.sent) == 30 and len(set(sender.sent)) == 30
    assert _statuses(engine) == ["sent"] * 30


def test_crash_before_the_commit_point_resends_after_it_does_not(engine) -> None:  # type: ignore[no-untyped-def]
    _queue(engine, 2)
    with transaction(engine) as s:  # a dead instance's claims, lease expired
        rows = s.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
        rows[0].status, rows[1].status = "sending", "committing"
        for r in rows:
            r.lease_until = datetime.now(UTC) - timedelta(seconds=1)
    assert recover_interrupted(engine) == {"resent": 1, "unknown": 1}
    sender = Recorder()
    flush(engine, sender, "a@lahsa.org", NOW)
    assert len(sender.sent) == 1 and _statuses(engine) == ["sent", "unknown"]


def test_a_live_claim_is_not_taken_over(engine) -> None:  # type: ignore[no-untyped-def]
    _queue(engine, 1)
    with transaction(engine) as s:
        row = s.exec(select(OutboxRow)).one()
        row.status, row.lease_until = "sending", datetime.now(UTC) + timedelta(minutes=1)
    assert recover_interrupted(engine) == {"resent": 0, "unknown": 0}


def test_commit_point_is_recorded_before_delivery(engine) -> None:  # type: ignore[no-untyped-def]
    _queue(engine, 1)
    with pytest.raises(KeyboardInterrupt):
        flush(engine, Recorder(crash_at_commit=True), "a@lahsa.org", NOW)
    assert _statuses(engine) == ["committing"]


def test_hourly_cap_and_breaker_hold_mail_pending(engine) -> None:  # type: ignore[no-untyped-def]
    _queue(engine, 5)
    counts = flush(engine, Recorder(), "a@lahsa.org", NOW, FlushPolicy(hourly_cap=2))
    assert counts["sent"] == 2 and counts["held"] == 3
    assert flush(engine, Recorder(), "a@lahsa.org", NOW, FlushPolicy(hourly_cap=2))["sent"] == 0
    _queue(engine, 5, key="b")
    counts = flush(engine, Recorder(fail=TransientSendError), "a@lahsa.org", NOW + timedelta(hours=2),
                   FlushPolicy(breaker_after=2))
    assert counts["retry"] == 2 and counts["held"] == 6

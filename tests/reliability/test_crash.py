"""Exactly-once under SIGKILL: a 200-message backlog, the bot killed at each stage boundary.

The bot runs as production does, ``python -m bot --config X --now T poll --once``, over a
private Dovecot (the three LAHSA inboxes) with ``send: smtp`` to aiosmtpd. A failpoint
(bot/faults.py, ``HMISBOT_CRASH_AT=stage:N``) SIGKILLs it the N-th time a life reaches
the stage, as the OOM killer or a power cut would. The lives go through the stage
boundaries in turn, each killed in the middle of the backlog: after a fetch, inside a
message's transaction, between COMMIT and the IMAP move, between the move and marking
it settled, then in SMTP DATA (payload sent, final dot not) until a life gets through
and exits 0. Then every message must have been decided exactly once, answered exactly
once, moved exactly once and never deleted, and the outbox must hold nothing pending
or half-sent.

``before_final_dot`` is the one ambiguity SMTP leaves: the payload is sent and the row
says 'committing' when the process dies. The server may or may not have the mail, so
the bot does not resend it: the row becomes 'unknown' and staff see it in the digest.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.store.models import OutboxRow, SeenMessage
from tests.integration.conftest import SmtpServer
from tests.integration.dovecot import DovecotServer
from tests.reliability.conftest import (
    Mail,
    backlog,
    check_exactly_once,
    cli,
    decided,
    deliver,
    where_is,
    write_config,
)
from tests.support.db import rows
from tests.support.pipeline import cli_in_process, received, replies_by_parent

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BACKLOG = 200
LEASE = 1  # limits.send_lease_seconds: a dead sender's claim expires after this
MAX_LIVES = 10  # bounded restarts
N = 40  # each polling life dies the N-th time it reaches its stage: about a fifth of the backlog
SEND_N = 40  # each sending life dies in its N-th SMTP DATA (the drain also flushes every SLICE decisions)


def _setup(tmp_path: Path, db_url: str, lahsa: DovecotServer, smtp: SmtpServer, size: int,
           tag: str) -> tuple[Path, list[Mail]]:
    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"send_lease_seconds": LEASE})
    code, out = cli_in_process(config, "poll", "--once")  # first contact, with the inboxes still empty
    assert code == 0, out
    mails = backlog(size, tag=tag)
    deliver(lahsa, mails)
    assert _inbox(lahsa) == size
    return config, mails


def _killed(run: subprocess.CompletedProcess[str]) -> bool:
    return run.returncode == -9


def _inbox(lahsa: DovecotServer) -> int:
    return sum(where_is(lahsa)["INBOX"].values())


def _done(engine: Engine) -> int:
    return sum(decided(engine).values())


def _unsettled(engine: Engine) -> int:
    return sum(not s.settled for s in rows(engine, SeenMessage) if s.outcome in ("processed", "review"))


def _life(config: Path, crash_at: str) -> None:
    """One `poll --once` that must die by SIGKILL at the failpoint; then its leases expire."""
    run = cli(config, "poll", "--once", crash_at=crash_at)
    assert _killed(run), f"not killed at {crash_at}: rc={run.returncode}\n{run.stdout}{run.stderr[-4000:]}"
    time.sleep(LEASE + 0.2)


def test_exactly_once_under_sigkill_at_every_stage(lahsa: DovecotServer, smtp: SmtpServer, secrets: None,
                                                   db_url: str, engine: Engine, tmp_path: Path) -> None:
    config, mails = _setup(tmp_path, db_url, lahsa, smtp, BACKLOG, tag="crash")
    t0 = time.monotonic()

    # Killed after a fetch: what was read but not committed is simply read again.
    _life(config, f"after_fetch:{N}")
    done = _done(engine)
    assert 0 < done <= N - 1  # fewer when documents are read ahead of the commits
    assert _inbox(lahsa) == BACKLOG - done
    # Killed inside a message's transaction, before COMMIT: it rolls back, nothing half-done.
    _life(config, f"before_commit:{N}")
    assert _done(engine) == done + N - 1
    done += N - 1
    assert _inbox(lahsa) == BACKLOG - done
    # Killed after COMMIT, before the move: decided but still in INBOX; the next life only moves it.
    _life(config, f"after_commit:{N}")
    assert _done(engine) == done + N
    done += N
    assert _inbox(lahsa) == BACKLOG - done + 1
    # Killed after the move, before the message is marked settled.
    _life(config, f"after_move:{N}")
    assert _done(engine) == done + N
    done += N
    assert _inbox(lahsa) == BACKLOG - done
    assert _unsettled(engine) == 1
    # The drains flushed the outbox every SLICE decisions, and every death so far came at a
    # checkpoint of the drain, never inside a flush: no reply can have gone out twice.
    answered = replies_by_parent(smtp.handler)
    assert answered and max(answered.values()) == 1, answered.most_common(3)

    # Killed in SMTP DATA (payload sent, final dot not): the server drops the mail, the
    # row is still 'sending', and it is sent again once its lease has expired.
    sending_lives = 0
    for _ in range(MAX_LIVES):
        before = len(smtp.handler.received)
        run = cli(config, "poll", "--once", crash_at=f"during_data:{SEND_N}")
        if not _killed(run):
            break
        sending_lives += 1
        assert len(smtp.handler.received) == before + SEND_N - 1
        assert Counter(r.status for r in rows(engine, OutboxRow))["sending"] == 1
        time.sleep(LEASE + 0.2)
    assert run.returncode == 0, f"rc={run.returncode}\n{run.stdout}{run.stderr[-4000:]}"
    assert "Traceback" not in run.stderr
    assert sending_lives >= 2  # the backlog's mail took several sending lives
    assert _done(engine) == BACKLOG

    # Nothing is left to do, and nothing was done twice.
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    assert out.count("0 processed, 0 skipped") == 3, out
    assert "outbox: sent 0, retry 0, failed 0, unknown 0" in out
    check_exactly_once(engine, lahsa, smtp, mails)
    handoffs = sum(m.what == "account" for m in mails)
    assert len(rows(engine, OutboxRow)) == len(smtp.handler.received) == BACKLOG + handoffs  # a reply each
    seen = [s for s in rows(engine, SeenMessage) if s.outcome in ("processed", "review")]
    assert all(s.attempts == 1 and s.error is None for s in seen)
    # The one killed between its move and its 'settled' mark is in its folder but stays
    # unmarked (it is no longer in INBOX to be seen again); nothing reads the flag.
    assert _unsettled(engine) == 1
    print(f"crash test: {sending_lives} sending lives, {time.monotonic() - t0:.1f} s after the backlog arrived")


def test_before_final_dot_is_unknown_never_resent_and_reported(lahsa: DovecotServer, smtp: SmtpServer,
                                                               secrets: None, db_url: str, engine: Engine,
                                                               tmp_path: Path) -> None:
    n = 12
    config, mails = _setup(tmp_path, db_url, lahsa, smtp, 24, tag="final-dot")
    first = cli(config, "poll", "--once", crash_at=f"before_final_dot:{n}")
    assert _killed(first), first.stdout + first.stderr
    # The backlog was decided; the N-th mail's payload went out, its final dot did not.
    assert _done(engine) == len(mails) and _inbox(lahsa) == 0
    assert len(smtp.handler.received) == n - 1
    [committing] = [r for r in rows(engine, OutboxRow) if r.status == "committing"]

    time.sleep(LEASE + 0.2)  # the dead sender's lease expires
    rest = cli(config, "poll", "--once")
    assert rest.returncode == 0, rest.stdout + rest.stderr
    [row] = [r for r in rows(engine, OutboxRow) if r.id == committing.id]
    assert row.status == "unknown" and row.error == "interrupted after DATA"

    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0 and "outbox: sent 0" in out, out
    check_exactly_once(engine, lahsa, smtp, mails, lost=frozenset({row.message_id}))
    assert row.message_id not in {str(m["Message-ID"]) for m in received(smtp.handler)}  # never resent
    assert len(smtp.handler.received) == len(rows(engine, OutboxRow)) - 1

    # Staff are told: every duty's digest lists the mail whose fate is unknown.
    code, digest = cli_in_process(config, "digest", "--dry-run")
    assert code == 0, digest
    line = f"mail to {', '.join(row.to_addrs)} unknown: interrupted after DATA"
    assert digest.count(line) == 3, digest  # in each duty's digest

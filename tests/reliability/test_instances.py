"""Several instances: two `hmisbot run` processes on one PostgreSQL database and the
same three Dovecot mailboxes, configs differing only in ``instance``.

Both poll every 2 s and are woken by IMAP IDLE when mail arrives, so they race for
the same messages and the same outbox rows all the time. The database arbitrates:
the unique (mailbox, uidvalidity, uid) key of the seen row lets one instance decide a
message, a lease on the seen row lets only that instance move it (two concurrent IMAP
MOVEs of one message can both copy it), and the conditional UPDATE of the outbox claim
lets one instance send a mail. Checked: every message decided once and answered once,
nothing left, deleted or copied twice, both instances did part of the work, and both
stop on SIGTERM with exit 0.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.store.db import make_engine
from bot.store.models import OutboxRow, SeenMessage
from tests.integration.conftest import RunningBot, SmtpServer
from tests.integration.dovecot import DovecotServer
from tests.reliability.conftest import (
    backlog,
    bot_env,
    check_exactly_once,
    cli,
    decided,
    deliver,
    where_is,
    write_config,
)
from tests.support.db import first_contact_made, pg_database, rows
from tests.support.pipeline import NOW, cli_in_process
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MESSAGES = 100


class Instance(RunningBot):
    """One `hmisbot run` instance of several sharing a database."""

    def __init__(self, config: Path) -> None:
        super().__init__(config, NOW, env=bot_env())

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"{self.log.parent.name}: hmisbot run exited with {self.proc.returncode}:\n"
                        f"{self.text()[-6000:]}")
        return True


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    e = make_engine(pg_url)
    yield e
    e.dispose()


def _unexpected_tracebacks(log: str) -> list[str]:
    """Tracebacks in a service log, but for APScheduler 3's own shutdown race: a job that
    falls due while ``shutdown`` runs is submitted to the executor it has just shut down
    ("cannot schedule new futures after shutdown"), logged, and not run. Harmless."""
    blocks = [re.split(r"\n\d{4}-\d\d-\d\d ", b, maxsplit=1)[0]
              for b in log.split("Traceback (most recent call last):")[1:]]
    return [b for b in blocks if "cannot schedule new futures after" not in b]


def test_two_instances_share_the_work_and_never_act_twice(lahsa: DovecotServer, smtp: SmtpServer, secrets: None,
                                                          pg_url: str, pg_engine: Engine, tmp_path: Path) -> None:
    configs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        configs.append(write_config(tmp_path / name, pg_url, lahsa, smtp, poll_every="2s", instance=name))
    assert configs[0].read_text().replace("instance: a", "instance: b") == configs[1].read_text()

    code, out = cli_in_process(configs[0], "init")  # the schema first: see test_first_start_on_an_empty_database
    assert code == 0, out
    instances = [Instance(c) for c in configs]  # both at once
    try:
        logs = lambda: "\n".join(f"== {i.log.parent.name}\n{i.text()[-3000:]}" for i in instances)  # noqa: E731
        wait_for("both running, first contact made", lambda: all(i.alive() for i in instances) and all(
            "hmisbot running" in i.text() for i in instances) and first_contact_made(pg_engine), 60, logs)
        time.sleep(2.5)  # a full poll interval: both instances are past their first contact

        mails = backlog(MESSAGES, tag="two", pdfs=2)
        t0 = time.monotonic()
        deliver(lahsa, mails)
        handoffs = sum(m.what == "account" for m in mails)

        def settled() -> bool:
            assert all(i.alive() for i in instances)
            if sum(decided(pg_engine).values()) < MESSAGES:
                return False
            statuses = Counter(r.status for r in rows(pg_engine, OutboxRow))
            return statuses["sent"] == MESSAGES + handoffs and sum(where_is(lahsa)["INBOX"].values()) == 0

        wait_for("every message settled and answered", settled, 120, logs)
        took = time.monotonic() - t0
        time.sleep(4)  # two more poll intervals: a late duplicate would show now

        codes = [i.stop() for i in instances]
    finally:
        for i in instances:
            i.kill()
    assert codes == [0, 0], logs()
    for i in instances:
        text = i.text()
        assert "stopping: waiting for running jobs" in text
        assert _unexpected_tracebacks(text) == [], text[-6000:]

    check_exactly_once(pg_engine, lahsa, smtp, mails)
    assert len(smtp.handler.received) == MESSAGES + handoffs
    # Both did part of the work (each logs the messages it decided and the mails it sent).
    decided_by = {i.log.parent.name: i.text().count("bot.workflow.process: message <two.") for i in instances}
    sent_by = {i.log.parent.name: len(re.findall(r"bot\.outbox\.outbox: outbox <two\.\d+@[^>]+>:\w+: sent ", i.text()))
               for i in instances}
    assert sum(decided_by.values()) == MESSAGES, decided_by
    assert sum(sent_by.values()) == MESSAGES + handoffs, sent_by
    assert all(decided_by[n] + sent_by[n] > 0 for n in decided_by), (decided_by, sent_by)  # they did compete
    print(f"two instances: settled in {took:.1f} s; decided {decided_by}, sent {sent_by}")


LEASE = 8  # limits.send_lease_seconds, also the decider's lease on moving a message


def test_only_the_decider_moves_a_message_until_its_lease_runs_out(lahsa: DovecotServer, smtp: SmtpServer,
                                                                   secrets: None, db_url: str, engine: Engine,
                                                                   tmp_path: Path) -> None:
    """Another instance that finds a just-decided message still in the inbox leaves the
    move to the instance that decided it; only when that one's lease has run out (it
    died between COMMIT and the move) does it move the message itself."""
    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"send_lease_seconds": LEASE})
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    mails = backlog(3, tag="lease", pdfs=0)  # an account question (support), a question, a setup request
    deliver(lahsa, mails)
    [first] = [m for m in mails if m.inbox == "training"]  # the first mailbox polled

    killed = cli(config, "poll", "--once", crash_at="after_commit:1")  # decided, not moved
    assert killed.returncode == -9, killed.stdout + killed.stderr
    t0 = time.monotonic()
    assert decided(engine) == Counter([first.message_id])
    code, out = cli_in_process(config, "poll", "--once")  # "another instance", within the lease
    within = time.monotonic() - t0 < LEASE
    assert code == 0, out
    assert within, "the second poll took longer than the lease: inconclusive"
    assert "training: 0 processed, 1 skipped" in out, out
    assert where_is(lahsa)["INBOX"] == Counter([first.message_id])  # left to its decider
    [row] = [s for s in rows(engine, SeenMessage) if s.message_id == first.message_id]
    assert not row.settled

    time.sleep(max(0.0, LEASE + 0.5 - (time.monotonic() - t0)))  # the decider's lease runs out
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    assert "training: 0 processed, 1 skipped" in out, out
    assert where_is(lahsa)["INBOX"] == Counter()
    [row] = [s for s in rows(engine, SeenMessage) if s.message_id == first.message_id]
    assert row.settled
    check_exactly_once(engine, lahsa, smtp, mails)


def test_first_start_on_an_empty_database(lahsa: DovecotServer, smtp: SmtpServer, secrets: None,
                                          tmp_path: Path) -> None:
    """Instances started together on a new database (or after an upgrade with a new
    migration) all migrate it at once: each must start, not only the first."""
    for round_ in range(2):
        with contextlib.closing(pg_database()) as database:
            url = next(database)
            configs = []
            for name in ("a", "b", "c"):
                (tmp_path / f"{round_}{name}").mkdir()
                configs.append(write_config(tmp_path / f"{round_}{name}", url, lahsa, smtp, instance=name))
            procs = [subprocess.Popen([sys.executable, "-m", "bot", "--config", str(c), "init"], env=bot_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in configs]
            outs = [p.communicate(timeout=120)[0] for p in procs]
            assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(o[-1500:] for o in outs)

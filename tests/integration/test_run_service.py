"""`hmisbot run` as a real process against the private Dovecot and aiosmtpd.

The poll interval is 300 s, so a reply within a few seconds can only come from the
IMAP IDLE watcher waking the poll job. The service must also survive a Dovecot
restart (reconnect, then answer mail that arrived meanwhile) and stop with exit
code 0 on SIGTERM.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.integration.conftest import RunningBot, SmtpServer
from tests.integration.dovecot import DovecotServer
from tests.support.db import first_contact_made, seen_rows
from tests.support.pipeline import NOW, SUPPORT, TRAINING, ids_in, replies_by_parent, simple_mail, write_config
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

POLL_EVERY = 300.0
TICK = 0.05  # how often to look: the latencies are measured


class Service(RunningBot):
    def __init__(self, config: Path) -> None:
        super().__init__(config, NOW, stop_timeout=20)


@pytest.fixture
def service(lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, tmp_path: Path,
            ) -> Iterator[tuple[Service, Path]]:
    config = write_config(tmp_path, db_url, lahsa, smtp, poll_every=f"{POLL_EVERY:.0f}s")
    svc = Service(config)
    yield svc, config
    svc.kill()


def ready(engine: Engine, svc: Service) -> bool:
    """First contact made with all three inboxes, and each IDLE watcher connected."""
    if svc.proc.poll() is not None:
        pytest.fail(f"hmisbot run exited with {svc.proc.returncode}:\n{svc.text()[-6000:]}")
    text = svc.text()
    # Each mailbox connects twice: the poll job's connection and its IDLE watcher's.
    if any(text.count(f"{name}: connected to") < 2 for name in ("training", "support", "join")):
        return False
    return first_contact_made(engine)


def test_run_wakes_on_idle_survives_a_server_restart_and_stops_on_sigterm(service, lahsa, smtp, engine):
    svc, _config = service
    wait_for("service ready", lambda: ready(engine, svc), 40, svc.text, every=TICK)
    time.sleep(0.3)  # let the watchers enter IDLE after their SELECT

    # New mail: the watcher's IDLE wakes the poll job long before the 300 s interval.
    first = simple_mail("training", "Question about HMIS", "<run.1@example.net>")
    lahsa.append(TRAINING, first)
    took = wait_for("reply to run.1", lambda: "<run.1@example.net>" in replies_by_parent(smtp.handler), 15,
                    svc.text, every=TICK)
    assert took < 10 < POLL_EVERY
    wait_for("run.1 settled", lambda: ids_in(lahsa, TRAINING, "INBOX") == [], 10, svc.text, every=TICK)
    assert ids_in(lahsa, TRAINING, "Needs Review") == ["<run.1@example.net>"]

    # Dovecot goes away under the running service and comes back; mail that arrives
    # right after is answered without waiting for the interval poll.
    lahsa.stop()
    time.sleep(1.5)
    lahsa.start()
    second = simple_mail("support", "Locked out", "<run.2@example.net>", sender="Rosa Gomez <rosa@example.org>",
                         body="Hi, I am locked out of my HMIS account and cannot log in. Can you reset my password?")
    lahsa.append(SUPPORT, second)
    took = wait_for("reply to run.2", lambda: "<run.2@example.net>" in replies_by_parent(smtp.handler), 20,
                    svc.text, every=TICK)
    assert took < 15
    wait_for("run.2 settled", lambda: ids_in(lahsa, SUPPORT, "Processed") == ["<run.2@example.net>"], 10,
             svc.text, every=TICK)
    assert "IDLE on support: reconnected" in svc.text()

    # SIGTERM: a clean stop, exit code 0.
    t0 = time.monotonic()
    assert svc.stop() == 0
    assert time.monotonic() - t0 < 15
    text = svc.text()
    assert "stopping: waiting for running jobs" in text
    assert "Traceback" not in text

    # Each message answered exactly once; the database agrees.
    assert replies_by_parent(smtp.handler) == Counter({"<run.1@example.net>": 1, "<run.2@example.net>": 1})
    assert {s.message_id: (s.mailbox, s.outcome) for s in seen_rows(engine)} == {
        "<run.1@example.net>": ("training", "review"), "<run.2@example.net>": ("support", "processed")}
    handoffs = [r for r in smtp.handler.received if b"X-HMISbot-Kind: support_handoff" in r.content]
    assert len(handoffs) == 1

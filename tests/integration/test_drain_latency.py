"""New mail during a backlog drain, against Dovecot: answered in seconds, not after slices.

bench/latency.py --backlog 400 showed new messages waiting 44-60 s for their reply. One
cause is shown here: the drain looked for new mail only every SLICE messages, decided it
behind the messages already read ahead and sent its reply at the slice's end (now the
IDLE watcher's announcement makes it list the folder before the next message, new mail
goes to the head of the window, and its reply is sent once decided). The other (a job
passing its turn did not count as waiting) is in tests/unit/test_turns.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from tests.integration.conftest import SmtpServer
from tests.integration.dovecot import DovecotServer
from tests.support.db import seen_rows
from tests.support.pipeline import NOW, SUPPORT, cli_in_process, ids_in, replies_by_parent, simple_mail, write_config


def _bot(config: Path) -> Any:
    from bot.app import App
    from bot.clock import parse_now
    from bot.config import load_config
    from bot.store.db import init_db

    cfg = load_config(config)
    bot = App.build(cfg, parse_now(NOW, ZoneInfo(cfg.timezone)))
    init_db(bot.engine)
    return bot


def test_announced_mail_is_decided_next_and_its_reply_leaves_at_once(
        lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, engine: Engine, tmp_path: Path) -> None:
    from bot.service import flush_outbox
    from bot.workflow.poll import SLICE, poll_mailbox

    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"replies_per_window": 1000})
    code, out = cli_in_process(config, "poll", "--once")  # first contact: nothing waiting yet
    assert code == 0, out
    for i in range(2 * SLICE):
        lahsa.append(SUPPORT, simple_mail("support", f"Question {i}", f"<backlog.{i}@example.net>",
                                          sender=f"Person {i} <p{i}@example.net>"))
    bot = _bot(config)
    urgent_id = "<urgent.1@example.net>"
    asked = [0]
    decided_at_hook: list[tuple[int, bool]] = []  # (messages decided, its reply sent) at `answered`

    def news() -> bool:  # the IDLE watcher, after the third message was fetched: mail arrived
        asked[0] += 1
        if asked[0] != 3:
            return False
        lahsa.append(SUPPORT, simple_mail("support", "Urgent", urgent_id,
                                          sender="Waiting Person <waiting@example.net>"))
        return True

    def between() -> None:  # `answered`
        flush_outbox(bot)
        decided_at_hook.append((len(seen_rows(engine)), replies_by_parent(smtp.handler)[urgent_id] == 1))

    def flush_outbox_and_look() -> None:  # `between`, every SLICE
        flush_outbox(bot)

    try:
        report = poll_mailbox(bot, "support", between=flush_outbox_and_look, news=news, answered=between)
    finally:
        bot.close()
    assert len(report.handled) == 2 * SLICE + 1 and report.failed == []
    order = [s.message_id for s in seen_rows(engine) if s.mailbox == "support"]
    # Before: decided behind the slice being read (index >= SLICE); now ahead of the three
    # backlog messages read before it arrived.
    assert order.index(urgent_id) == 0, order[:5]
    # Its reply left as soon as it was decided, not a slice of backlog later.
    assert decided_at_hook == [(1, True)], decided_at_hook
    assert ids_in(lahsa, SUPPORT, "INBOX") == []


def test_urgent_elsewhere_ends_the_slice_after_the_message_being_decided(
        lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, engine: Engine, tmp_path: Path) -> None:
    """`urgent()` (another mailbox's job waits, with new mail) makes the drain run
    `between` (where the service passes the turn) after the next message, not at the slice's end."""
    from bot.workflow.poll import SLICE, poll_mailbox

    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"replies_per_window": 1000})
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    for i in range(SLICE):
        lahsa.append(SUPPORT, simple_mail("support", f"Question {i}", f"<backlog.{i}@example.net>",
                                          sender=f"Person {i} <p{i}@example.net>"))
    bot = _bot(config)
    asked, at_hook = [0], []

    def urgent() -> bool:
        asked[0] += 1
        return asked[0] == 4

    try:
        poll_mailbox(bot, "support", between=lambda: at_hook.append(len(seen_rows(engine))), urgent=urgent)
    finally:
        bot.close()
    assert at_hook == [4], at_hook  # before: [] (the drain ended first)


def test_the_idle_watcher_wakes_for_new_mail_not_for_mail_moved_out(
        lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, tmp_path: Path) -> None:
    """A wake now makes the drain list the folder at once and other drains pass their turn,
    so the watcher wakes only for a UID it has not seen (a guard: this Dovecot sends no
    EXISTS for messages moved out, so it passes without the filter too)."""
    from bot import scheduler

    config = write_config(tmp_path, db_url, lahsa, smtp, poll_every="5s")  # IDLE ends within 5 s of `stop`
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    bot = _bot(config)
    for i in range(3):
        lahsa.append(SUPPORT, simple_mail("support", f"Question {i}", f"<old.{i}@example.net>"))
    woken = scheduler._woken("support")

    class Sched:
        def modify_job(self, *_: object, **__: object) -> None:
            pass

    stop = threading.Event()
    watcher = threading.Thread(target=scheduler._watch, args=(Sched(), bot, "support", stop), daemon=True)
    try:
        watcher.start()
        deadline = time.monotonic() + 10
        while not woken.is_set() and time.monotonic() < deadline:  # what waited at the start wakes it
            time.sleep(0.05)
        time.sleep(1)  # back in IDLE
        woken.clear()
        box = bot.mailbox("support")
        for raw in list(box.fetch(box.list_pending().keys)):  # the drain moving mail out
            box.settle(raw, "processed")
        assert not woken.wait(3), "woken by messages moved out"
        lahsa.append(SUPPORT, simple_mail("support", "New", "<new.1@example.net>"))
        assert woken.wait(10), "not woken by new mail"
    finally:
        stop.set()
        bot.close()
        scheduler._WAKE.pop("support", None)
    watcher.join(15)

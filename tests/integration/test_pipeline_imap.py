"""`hmisbot poll` end to end over IMAP: a private Dovecot, aiosmtpd, SQLite and PostgreSQL.

The bot is configured exactly as in production (``backend: imap`` for the three LAHSA
addresses, ``send: backend: smtp``); mail is APPENDed with imapclient as another
client would deliver it, and the CLI runs as a subprocess or in-process. Checked:
where each message ends up on the server (nothing deleted, nothing marked \\Seen by
the fetch), what the SMTP server received (one reply per message, threaded), and the
database rows. Also: first contact, --backfill, a UIDVALIDITY change, a message that
keeps failing, and a stalled mailbox.
"""

from __future__ import annotations

import glob
import os
import time
from collections import Counter
from typing import Any

import pytest

from bot.config import ConfigError
from bot.store.models import MailboxState, Organization, OutboxRow, Program, ReviewItem
from tests.integration.conftest import SMTP_USER
from tests.integration.dovecot import USERS, DovecotServer
from tests.support.db import rows, seen_rows
from tests.support.pipeline import (
    ACCESS,
    IMPLEMENTATION,
    JOIN,
    NOW,
    SUPPORT,
    TRAINING,
    USER_OF,
    all_flags,
    cli,
    cli_in_process,
    demo_mail,
    folder,
    has_folder,
    ids_in,
    message_id,
    parse,
    received,
    replies_by_parent,
    simple_mail,
    uidvalidity,
    write_config,
)

pytestmark = pytest.mark.integration


# -- 1. poll --once, end to end -----------------------------------------------------------------

E2E = {  # subject -> (outcome, reply template or None)
    "Signed HMIS Organization Agreement - Hope Harbor": ("processed", "receipt"),
    "Program setup for CES - Hope Harbor Services": ("processed", "receipt"),
    "HMIS 10 acknowledgement": ("processed", "wrong_inbox"),
    "Locked out of HMIS": ("processed", "receipt"),
    "Automatic reply: Program setup": ("processed", None),
    "Question": ("review", None),  # a stranger's mail that is not about CES: a person looks, nobody answers
    "Forms": ("review", "resend"),
}


def test_poll_once_end_to_end_as_a_subprocess(lahsa, smtp, secrets, db_url, engine, tmp_path):
    config = write_config(tmp_path, db_url, lahsa, smtp)
    code, out = cli_in_process(config, "poll", "--once")  # first contact with empty inboxes
    assert code == 0, out
    assert out.count("0 processed, 0 skipped, 0 left as baseline, 0 failed") == 3

    mail = {subject: demo_mail(subject) for subject in E2E}
    for inbox, raw in mail.values():
        lahsa.append(USER_OF[inbox], raw)
    assert not any(has_folder(lahsa, user, name) for user in USERS for name in ("Processed", "Needs Review"))

    done = cli(config, "poll", "--once")  # a separate process, as cron or an operator runs it
    assert done.returncode == 0, done.stdout + done.stderr
    assert "training: 2 processed" in done.stdout and "support: 2 processed" in done.stdout
    assert "join: 3 processed" in done.stdout
    assert "outbox: sent 6, retry 0, failed 0, unknown 0" in done.stdout

    # On the server: every message moved to the folder of its outcome, byte for byte,
    # the folders created on first use, nothing left behind, deleted or marked \Seen.
    assert all(has_folder(lahsa, user, "Processed") for user in USERS)
    assert has_folder(lahsa, TRAINING, "Needs Review") and has_folder(lahsa, SUPPORT, "Needs Review")
    assert not has_folder(lahsa, JOIN, "Needs Review")  # made on first use only
    for box, user in USER_OF.items():
        sent_here = {message_id(raw): (raw, E2E[subj][0]) for subj, (inbox, raw) in mail.items() if inbox == box}
        assert folder(lahsa, user, "INBOX") == []
        for name, outcome in (("Processed", "processed"), ("Needs Review", "review")):
            expected = sorted(raw for raw, o in sent_here.values() if o == outcome)
            assert sorted(raw for raw, _ in folder(lahsa, user, name)) == expected, (box, name)
    assert all_flags(lahsa) <= {b"\\Recent"}  # no \Seen from the fetch, no \Deleted

    # SMTP: one reply per message that deserves one, threaded under it, plus the hand-off.
    mails = received(smtp.handler)
    assert len(mails) == 6
    assert all(r.login == SMTP_USER.encode() for r in smtp.handler.received)
    want = {message_id(raw): E2E[subj][1] for subj, (_, raw) in mail.items() if E2E[subj][1]}
    got = {str(m["In-Reply-To"]): str(m["X-HMISbot-Kind"]) for m in mails if m["In-Reply-To"]}
    assert got == want
    assert replies_by_parent(smtp.handler) == Counter(list(want))  # exactly once each
    for m in mails:
        if m["In-Reply-To"]:
            assert str(m["In-Reply-To"]) in str(m["References"])
            assert m["Auto-Submitted"] == "auto-replied"
    # Each reply names, in Reply-To, the inbox of the step it is about: an answer lands there.
    step_inbox = {"Signed HMIS Organization Agreement - Hope Harbor": TRAINING,
                  "Program setup for CES - Hope Harbor Services": JOIN,
                  "HMIS 10 acknowledgement": SUPPORT,  # sent to JoinHMIS@, belongs in HMISsupport@
                  "Locked out of HMIS": SUPPORT, "Forms": SUPPORT}
    by_parent = {str(m["In-Reply-To"]): m for m in mails if m["In-Reply-To"]}
    assert {subj: str(by_parent[message_id(mail[subj][1])]["Reply-To"]) for subj in step_inbox} == step_inbox
    [handoff] = [m for m in mails if not m["In-Reply-To"]]
    assert handoff["X-HMISbot-Kind"] == "support_handoff" and handoff["To"] == ACCESS
    auto_id = message_id(mail["Automatic reply: Program setup"][1])
    assert auto_id not in got

    # The database: one seen row per message with its outcome, settled on the server.
    seen = {s.message_id: s for s in seen_rows(engine)}
    assert {mid: s.outcome for mid, s in seen.items()} == {message_id(raw): E2E[subj][0]
                                                           for subj, (_, raw) in mail.items()}
    assert all(s.settled and s.attempts == 1 and s.error is None for s in seen.values())
    for s in seen.values():
        user = USER_OF[s.mailbox]
        assert s.uidvalidity == uidvalidity(lahsa, user)
    hope = {o.name: o.agreement for o in rows(engine, Organization)}
    assert hope["Hope Harbor Services"] == "accepted"
    assert {p.name: p.setup for p in rows(engine, Program)} == {
        "Hope Harbor Street Outreach": "requested", "Harbor Bridge Shelter": "requested",
        "Harbor Homes PSH": "not_needed"}
    reasons = sorted(r.reason for r in rows(engine, ReviewItem))
    assert any("could not read forms.pdf" in r for r in reasons)
    assert any("not a form or a request handled automatically" in r for r in reasons)
    outbox = rows(engine, OutboxRow)
    assert len(outbox) == 6 and {r.status for r in outbox} == {"sent"}
    states = {m.mailbox: m for m in rows(engine, MailboxState)}
    assert set(states) == {"training", "support", "join"}
    assert all(m.baseline_done and m.last_error is None for m in states.values())

    # Polling again finds nothing and sends nothing.
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0 and "outbox: sent 0" in out
    assert len(smtp.handler.received) == 6


def test_poll_over_tls_with_a_private_ca(lahsa, smtp_server, secrets, db_url, engine, tmp_path):
    """security: ssl (IMAP) and starttls (SMTP), trusting the test CA through `ca_file`."""
    server = smtp_server("starttls")
    config = write_config(tmp_path, db_url, lahsa, server, tls=True)
    assert cli_in_process(config, "poll", "--once")[0] == 0
    inbox, raw = demo_mail("Signed HMIS Organization Agreement - Hope Harbor")
    lahsa.append(USER_OF[inbox], raw)
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    assert "training: 1 processed" in out
    [got] = server.handler.received
    assert got.tls and got.login == SMTP_USER.encode()
    assert str(parse(got.content)["In-Reply-To"]) == message_id(raw)
    assert ids_in(lahsa, TRAINING, "Processed") == [message_id(raw)]

    # Without the CA file the server's certificate is refused: nothing happens, exit 1.
    text = config.read_text().replace(f"ca_file: {lahsa.cafile}", "ca_file: missing-ca.pem")
    config.write_text(text)
    with pytest.raises(ConfigError, match=r"ca_file: cannot load .*missing-ca\.pem"):
        cli_in_process(config, "poll", "--once")  # the CLI's main() turns this into exit code 2


# -- 2. first contact, --backfill --------------------------------------------------------------


def test_first_contact_leaves_waiting_mail_until_backfill(lahsa, smtp, secrets, db_url, engine, tmp_path):
    waiting = [demo_mail("Signed HMIS Organization Agreement - Hope Harbor"), demo_mail("Locked out of HMIS")]
    for inbox, raw in waiting:
        lahsa.append(USER_OF[inbox], raw)
    config = write_config(tmp_path, db_url, lahsa, smtp)

    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    assert "training: 0 processed, 0 skipped, 1 left as baseline" in out
    assert "support: 0 processed, 0 skipped, 1 left as baseline" in out
    assert smtp.handler.received == []
    assert ids_in(lahsa, TRAINING, "INBOX") == [message_id(waiting[0][1])]
    assert ids_in(lahsa, SUPPORT, "INBOX") == [message_id(waiting[1][1])]
    assert all_flags(lahsa) <= {b"\\Recent"}  # still unread for the people who read these inboxes
    assert sorted((s.mailbox, s.outcome) for s in seen_rows(engine)) == [
        ("support", "baseline"), ("training", "baseline")]

    # Mail that arrives after first contact is answered; the baseline is still left alone.
    later = simple_mail("training", "Question about HMIS", "<later.1@example.net>")
    lahsa.append(TRAINING, later)
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0 and "training: 1 processed, 0 skipped, 0 left as baseline" in out
    assert list(replies_by_parent(smtp.handler)) == ["<later.1@example.net>"]
    assert ids_in(lahsa, TRAINING, "INBOX") == [message_id(waiting[0][1])]

    # --backfill answers what waited, once.
    code, out = cli_in_process(config, "poll", "--once", "--backfill")
    assert code == 0, out
    assert "training: 1 processed" in out and "support: 1 processed" in out
    parents = replies_by_parent(smtp.handler)
    assert parents == Counter({"<later.1@example.net>": 1, message_id(waiting[0][1]): 1,
                               message_id(waiting[1][1]): 1})
    assert ids_in(lahsa, TRAINING, "INBOX") == [] and ids_in(lahsa, SUPPORT, "INBOX") == []
    assert ids_in(lahsa, TRAINING, "Processed") == [message_id(waiting[0][1])]
    assert ids_in(lahsa, TRAINING, "Needs Review") == ["<later.1@example.net>"]  # a question: for a person
    assert {s.outcome for s in seen_rows(engine)} == {"processed", "review"}
    assert len(seen_rows(engine)) == 3  # the baseline rows became the decisions, not extra rows

    total = len(smtp.handler.received)
    for args in (("poll", "--once"), ("poll", "--once", "--backfill")):
        code, out = cli_in_process(config, *args)
        assert code == 0 and "outbox: sent 0" in out
    assert len(smtp.handler.received) == total


# -- 3. UIDVALIDITY change ------------------------------------------------------------------------


def recreate_inbox(dovecot: DovecotServer, user: str, messages: list[bytes]) -> None:
    """What a server migration or index rebuild does: INBOX emptied and its UID state
    dropped, then the messages appended again (new UIDVALIDITY, UIDs from 1 again).

    Dovecot refuses DELETE INBOX, so its Maildir UID list and index go instead.
    """
    c = dovecot.client(user)
    try:
        c.select_folder("INBOX")
        uids = c.search(["ALL"])
        if uids:
            c.delete_messages(uids)
            c.expunge()
    finally:
        c.logout()
    maildir = dovecot.home(user) / "Maildir"
    for path in glob.glob(str(maildir / "dovecot-uid*")) + glob.glob(str(maildir / "dovecot.index*")):
        os.remove(path)
    time.sleep(1.05)  # Dovecot derives the new UIDVALIDITY from the clock
    for raw in messages:
        dovecot.append(user, raw)


def test_uidvalidity_change_neither_repeats_nor_skips(lahsa, smtp, secrets, db_url, engine, tmp_path):
    config = write_config(tmp_path, db_url, lahsa, smtp)
    assert cli_in_process(config, "poll", "--once")[0] == 0
    a = simple_mail("training", "First question", "<uv.a@example.net>")
    b = simple_mail("training", "Second question", "<uv.b@example.net>", sender="Ana Ruiz <ana@example.org>")
    pending = simple_mail("training", "Waiting question", "<uv.p@example.net>", sender="Bo Li <bo@example.org>")
    lahsa.append(TRAINING, a)
    lahsa.append(TRAINING, b)
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0 and "training: 2 processed" in out
    old_validity = uidvalidity(lahsa, TRAINING)
    lahsa.append(TRAINING, pending)  # arrives, but the folder changes before the next poll

    # The folder comes back with A and B restored (in the other order, so A's old UID
    # is now B's), the unanswered message, and one new message.
    new = simple_mail("training", "New question", "<uv.c@example.net>", sender="Cy Doe <cy@example.org>")
    recreate_inbox(lahsa, TRAINING, [b, a, pending, new])
    assert uidvalidity(lahsa, TRAINING) != old_validity

    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    assert "training: 2 processed, 2 skipped" in out
    assert replies_by_parent(smtp.handler) == Counter(
        {"<uv.a@example.net>": 1, "<uv.b@example.net>": 1, "<uv.p@example.net>": 1, "<uv.c@example.net>": 1})
    assert ids_in(lahsa, TRAINING, "INBOX") == []
    # A and B were only moved again (the restored copies join the earlier ones).
    assert Counter(m for m in ids_in(lahsa, TRAINING, "Needs Review")) == Counter(
        {"<uv.a@example.net>": 2, "<uv.b@example.net>": 2, "<uv.p@example.net>": 1, "<uv.c@example.net>": 1})
    seen = seen_rows(engine)
    assert Counter(s.message_id for s in seen) == Counter(
        ["<uv.a@example.net>", "<uv.b@example.net>", "<uv.p@example.net>", "<uv.c@example.net>"])
    by_id = {s.message_id: s for s in seen}
    assert by_id["<uv.a@example.net>"].uidvalidity == old_validity
    assert by_id["<uv.c@example.net>"].uidvalidity == uidvalidity(lahsa, TRAINING)
    [state] = [m for m in rows(engine, MailboxState) if m.mailbox == "training"]
    assert state.uidvalidity == uidvalidity(lahsa, TRAINING)

    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0 and "outbox: sent 0" in out and len(smtp.handler.received) == 4


# -- 4. a message that keeps failing ------------------------------------------------------------


def test_failing_message_is_retried_then_sent_to_review(lahsa, smtp, secrets, db_url, engine, tmp_path,
                                                        monkeypatch):
    from bot.app import App

    real = App.read_document
    calls: Counter[str] = Counter()

    def flaky(self: App, data: bytes, source: str) -> Any:
        """The documents reader as the workflow calls it, broken for one attachment."""
        calls[source] += 1
        if source == "poison.pdf":
            raise RuntimeError("pdf engine crashed on poison.pdf")
        return real(self, data, source)

    monkeypatch.setattr(App, "read_document", flaky)
    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"max_attempts": 3})
    assert cli_in_process(config, "poll", "--once")[0] == 0
    _, agreement = demo_mail("Signed HMIS Organization Agreement - Hope Harbor")
    pdf = next(parse(agreement).iter_attachments()).get_content()
    poison = simple_mail("training", "Our agreement", "<poison@example.org>", attachment=("poison.pdf", pdf),
                         sender="Sam Poe <sam@example.org>")
    lahsa.append(TRAINING, agreement)
    lahsa.append(TRAINING, poison)
    lahsa.append(SUPPORT, simple_mail("support", "Password reset", "<fine@example.net>",
                                      body="I am locked out of my HMIS account, please reset my password."))

    for attempt in (1, 2):
        code, out = cli_in_process(config, "poll", "--once")
        assert code == 1, out  # something needs attention
        assert "FAILED" in out and "RuntimeError: pdf engine crashed on poison.pdf" in out
        assert ids_in(lahsa, TRAINING, "INBOX") == ["<poison@example.org>"]
        [row] = [s for s in seen_rows(engine) if s.uid and s.outcome == "failed"]
        assert row.attempts == attempt and "pdf engine crashed" in (row.error or "")
        assert rows(engine, ReviewItem) == []
    assert calls["poison.pdf"] == 2
    # The rest of the batch went through on the first poll.
    assert ids_in(lahsa, TRAINING, "Processed") == [message_id(agreement)]
    assert ids_in(lahsa, SUPPORT, "Processed") == ["<fine@example.net>"]

    code, out = cli_in_process(config, "poll", "--once")  # attempt 3 = limits.max_attempts
    assert code == 1 and "RuntimeError" in out
    assert calls["poison.pdf"] == 3
    assert ids_in(lahsa, TRAINING, "INBOX") == []
    assert ids_in(lahsa, TRAINING, "Needs Review") == ["<poison@example.org>"]
    [item] = rows(engine, ReviewItem)
    assert item.mailbox == "training" and item.resolved_at is None
    assert item.reason == "failed 3 times: RuntimeError: pdf engine crashed on poison.pdf"
    [poisoned] = [s for s in seen_rows(engine) if s.outcome == "review"]
    assert poisoned.attempts == 3 and poisoned.mailbox == "training"

    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0 and calls["poison.pdf"] == 3
    # Nobody was answered about the poison message; the others exactly once.
    parents = replies_by_parent(smtp.handler)
    assert parents == Counter({message_id(agreement): 1, "<fine@example.net>": 1})
    assert all_flags(lahsa) <= {b"\\Recent"}


# -- 6. a stalled mailbox -------------------------------------------------------------------------


def test_unreachable_server_is_recorded_and_reported_once(lahsa, smtp, secrets, db_url, engine, tmp_path):
    config = write_config(tmp_path, db_url, lahsa, smtp, schedule={"stalled_mailbox_after": "10m"})
    code, out = cli_in_process(config, "poll", "--once", now="2026-11-30T10:00:00-08:00")
    assert code == 0, out
    lahsa.stop()

    # 5 minutes later: failing, not yet stalled; the CLI says so and exits 1.
    early = cli(config, "poll", "--once", now="2026-11-30T10:05:00-08:00")
    assert early.returncode == 1, early.stderr
    assert early.stdout.count("FAILED mailbox check failed: MailboxError") == 3
    assert "Traceback" not in early.stderr
    states = {m.mailbox: m for m in rows(engine, MailboxState)}
    assert all(m.last_error and "MailboxError" in m.last_error and not m.stalled_reported for m in states.values())
    assert smtp.handler.received == []

    # 20 minutes later: stalled; the implementation duty hears once per mailbox.
    for now in ("2026-11-30T10:20:00-08:00", "2026-11-30T10:25:00-08:00"):
        code, out = cli_in_process(config, "poll", "--once", now=now)
        assert code == 1 and out.count("FAILED mailbox check failed") == 3
    mails = received(smtp.handler)
    assert [str(m["X-HMISbot-Kind"]) for m in mails] == ["mailbox_stalled"] * 3
    assert {str(m["To"]) for m in mails} == {IMPLEMENTATION}
    bodies = [m.get_body(("plain",)).get_content() for m in mails]  # type: ignore[union-attr]
    for address in USERS:
        assert sum(address in b for b in bodies) == 1
    assert {m.mailbox: m.stalled_reported for m in rows(engine, MailboxState)} == {
        "training": True, "support": True, "join": True}
    stalled_rows = [r for r in rows(engine, OutboxRow) if r.kind == "mailbox_stalled"]
    assert len(stalled_rows) == 3 and {r.status for r in stalled_rows} == {"sent"}

    # The server comes back: the next poll clears the error; a later stall is reported anew.
    lahsa.start()
    code, out = cli_in_process(config, "poll", "--once", now="2026-11-30T10:30:00-08:00")
    assert code == 0, out
    states = {m.mailbox: m for m in rows(engine, MailboxState)}
    assert all(m.last_error is None and not m.stalled_reported for m in states.values())
    assert len(smtp.handler.received) == 3


def test_new_mail_goes_ahead_of_a_backlog_and_replies_leave_during_the_drain(
        lahsa, smtp, secrets, db_url, engine, tmp_path):
    """A drain lists the inbox again every SLICE messages: what arrived meanwhile is
    decided next, before the rest of the backlog, and the service's `between` hook
    (an outbox flush) sends the replies already decided."""
    from zoneinfo import ZoneInfo

    from bot.app import App
    from bot.clock import parse_now
    from bot.config import load_config
    from bot.service import flush_outbox
    from bot.store.db import init_db
    from bot.workflow.poll import READ_AHEAD, SLICE, poll_mailbox

    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"replies_per_window": 1000})
    code, out = cli_in_process(config, "poll", "--once")  # first contact: nothing waiting yet
    assert code == 0, out
    backlog = [simple_mail("support", f"Question {i}", f"<backlog.{i}@example.net>",
                           sender=f"Person {i} <p{i}@example.net>") for i in range(4 * SLICE)]
    for raw in backlog:
        lahsa.append(SUPPORT, raw)
    cfg = load_config(config)
    bot = App.build(cfg, parse_now(NOW, ZoneInfo(cfg.timezone)))
    init_db(bot.engine)
    sent_at_hook: list[int] = []

    def between() -> None:
        flush_outbox(bot)
        sent_at_hook.append(len(smtp.handler.received))
        if len(sent_at_hook) == 1:  # someone writes in while the backlog drains
            lahsa.append(SUPPORT, simple_mail("support", "Urgent", "<urgent.1@example.net>",
                                              sender="Waiting Person <waiting@example.net>"))

    try:
        report = poll_mailbox(bot, "support", between=between)
    finally:
        bot.close()
    assert len(report.handled) == len(backlog) + 1 and report.failed == []
    # replies left during the drain, not all at its end
    assert sent_at_hook[0] >= SLICE - 1 and sent_at_hook[1] >= 2 * SLICE - 1, sent_at_hook
    order = [s.message_id for s in sorted(seen_rows(engine), key=lambda s: s.id or 0) if s.mailbox == "support"]
    # It arrived after the first slice was decided; the slice then being fetched (fetching runs
    # READ_AHEAD ahead of deciding) goes first, then the new message, then the rest of the backlog.
    urgent = order.index("<urgent.1@example.net>")
    assert SLICE <= urgent <= 2 * SLICE + READ_AHEAD, urgent
    assert order[urgent + 1:] == sorted(order[urgent + 1:], key=lambda m: int(m.split(".")[1].split("@")[0]))
    assert len(order) - urgent > SLICE  # well before the backlog's end
    assert ids_in(lahsa, SUPPORT, "INBOX") == []

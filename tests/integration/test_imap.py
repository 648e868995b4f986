"""ImapMailbox against a real (private) Dovecot: fetch, move, IDLE, and broken connections."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from imapclient import IMAPClient

from bot.mailboxes.base import LoginFailed, MailboxError
from bot.mailboxes.imap import ImapMailbox
from bot.mailboxes.oauth import OAuthError

pytestmark = pytest.mark.integration

MakeMailbox = Callable[..., ImapMailbox]


def message(subject: str, size: int = 0, msgid: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = "Case Manager <cm@hopeharbor.org>"
    m["To"] = "LAHSA.Training@lahsa.org"
    m["Subject"] = subject
    m["Message-ID"] = msgid or make_msgid(domain="hopeharbor.org")
    m.set_content("Please find attached.\n" + "x" * size)
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


def folder_subjects(dovecot, user: str, folder: str) -> list[str]:
    c: IMAPClient = dovecot.client(user)
    try:
        if not c.folder_exists(folder):
            return []
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        data = c.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
        return sorted(v[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip() for v in data.values())
    finally:
        c.logout()


def test_fetch_peeks_and_settle_moves_to_created_folders(dovecot, mail_user, make_mailbox):
    bodies = [message(f"form {i}") for i in range(3)]
    for b in bodies:
        dovecot.append(mail_user, b)
    mb = make_mailbox()

    listing = mb.list_pending()
    assert listing.uidvalidity and listing.uidvalidity.isdigit()
    assert len(listing.keys) == 3
    msgs = list(mb.fetch(listing.keys))
    assert [m.data for m in msgs] == bodies
    assert all(m.uidvalidity == listing.uidvalidity and m.mailbox == "training" for m in msgs)
    assert all(m.received_at is not None and m.received_at.tzinfo is not None for m in msgs)

    # BODY.PEEK: nothing was marked \Seen.
    c = dovecot.client(mail_user)
    c.select_folder("INBOX", readonly=True)
    assert c.search(["SEEN"]) == []
    assert not c.folder_exists("Processed") and not c.folder_exists("Needs Review")
    c.logout()

    mb.settle(msgs[0], "processed")
    mb.settle(msgs[1], "review")
    assert folder_subjects(dovecot, mail_user, "Processed") == ["form 0"]
    assert folder_subjects(dovecot, mail_user, "Needs Review") == ["form 1"]
    assert folder_subjects(dovecot, mail_user, "INBOX") == ["form 2"]
    assert mb.list_pending().keys == (msgs[2].key,)
    # Settling again what is already gone is harmless.
    mb.settle(msgs[0], "processed")
    assert folder_subjects(dovecot, mail_user, "Processed") == ["form 0"]


def test_fetch_in_batches_and_list_after_uid(dovecot, mail_user, make_mailbox):
    uids = [dovecot.append(mail_user, message(f"m{i}")) for i in range(5)]
    mb = make_mailbox(batch=2)
    listing = mb.list_pending()
    assert listing.keys == tuple(str(u) for u in uids)
    assert [m.key for m in mb.fetch(listing.keys)] == list(listing.keys)
    assert mb.list_pending(after_uid=uids[2]).keys == tuple(str(u) for u in uids[3:])
    assert mb.list_pending(after_uid=uids[-1]).keys == ()
    # A UID that is not there (moved by someone else) is skipped, not an error.
    assert [m.key for m in mb.fetch([str(uids[0]), "999999"])] == [str(uids[0])]


def test_settle_without_move_capability_uses_copy_and_uid_expunge(dovecot, mail_user, make_mailbox, monkeypatch):
    for i in range(2):
        dovecot.append(mail_user, message(f"old server {i}"))
    real = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability", lambda self, cap: cap != "MOVE" and real(self, cap))
    mb = make_mailbox()
    first, second = list(mb.fetch(mb.list_pending().keys))
    mb.settle(first, "processed")
    assert folder_subjects(dovecot, mail_user, "INBOX") == ["old server 1"]
    assert folder_subjects(dovecot, mail_user, "Processed") == ["old server 0"]

    # Without UIDPLUS either: no EXPUNGE at all; the copy left behind is \Deleted and not listed.
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, cap: cap not in ("MOVE", "UIDPLUS") and real(self, cap)
    )
    mb.settle(second, "review")
    assert folder_subjects(dovecot, mail_user, "Needs Review") == ["old server 1"]
    assert mb.list_pending().keys == ()
    assert folder_subjects(dovecot, mail_user, "INBOX") == ["old server 1"]  # still there, flagged


def test_idle_wakes_on_new_mail_and_times_out_without(dovecot, mail_user, make_mailbox):
    mb = make_mailbox()
    assert mb.list_pending().keys == ()
    t0 = time.monotonic()
    assert mb.wait(0.4) is False
    assert 0.35 <= time.monotonic() - t0 < 3

    timer = threading.Timer(0.3, lambda: dovecot.append(mail_user, message("while idling")))
    timer.start()
    t0 = time.monotonic()
    try:
        assert mb.wait(20) is True
    finally:
        timer.join()
    assert time.monotonic() - t0 < 10
    assert len(mb.list_pending().keys) == 1

    # Mail that arrived between two calls (not during IDLE) still wakes at once.
    dovecot.append(mail_user, message("between calls"))
    t0 = time.monotonic()
    assert mb.wait(20) is True
    assert time.monotonic() - t0 < 5


def test_wait_sleeps_when_server_has_no_idle(mail_user, make_mailbox, monkeypatch):
    real = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability", lambda self, cap: cap != "IDLE" and real(self, cap))
    mb = make_mailbox()
    t0 = time.monotonic()
    assert mb.wait(0.3) is False
    assert time.monotonic() - t0 >= 0.3


def test_connection_cut_during_fetch_is_retried_on_a_new_connection(dovecot, mail_user, make_mailbox, tcp_proxy):
    bodies = [message(f"big {i}", size=60_000) for i in range(3)]
    for b in bodies:
        dovecot.append(mail_user, b)
    proxy = tcp_proxy(dovecot.port)
    mb = make_mailbox(port=proxy.port)
    listing = mb.list_pending()

    proxy.arm(after_bytes=70_000)  # the cut falls inside the second message's literal
    assert [m.data for m in mb.fetch(listing.keys)] == bodies
    assert proxy.cuts == 1 and proxy.connections == 2


def test_connection_cut_every_time_raises_then_recovers(dovecot, mail_user, make_mailbox, tcp_proxy):
    bodies = [message(f"big {i}", size=60_000) for i in range(2)]
    for b in bodies:
        dovecot.append(mail_user, b)
    proxy = tcp_proxy(dovecot.port)
    mb = make_mailbox(port=proxy.port)
    listing = mb.list_pending()

    proxy.arm(after_bytes=30_000, times=5)
    with pytest.raises(MailboxError, match="fetch failed"):
        list(mb.fetch(listing.keys))
    assert proxy.cuts == 2  # the reused connection, then the one retry
    proxy.disarm()
    assert [m.data for m in mb.fetch(listing.keys)] == bodies


def test_server_restart_between_calls(dovecot, mail_user, make_mailbox):
    dovecot.append(mail_user, message("before restart"))
    mb = make_mailbox()
    assert len(mb.list_pending().keys) == 1
    dovecot.restart()
    dovecot.append(mail_user, message("after restart"))
    listing = mb.list_pending()  # the dead connection is replaced without an error
    assert len(listing.keys) == 2
    msgs = list(mb.fetch(listing.keys))
    mb.settle(msgs[0], "processed")
    assert folder_subjects(dovecot, mail_user, "Processed") == ["before restart"]


def test_server_down_raises_mailbox_error_then_recovers(dovecot, mail_user, make_mailbox):
    dovecot.append(mail_user, message("waiting"))
    mb = make_mailbox()
    mb.list_pending()
    dovecot.stop()
    try:
        with pytest.raises(MailboxError):
            mb.list_pending()
        with pytest.raises(MailboxError):
            mb.wait(1)
    finally:
        dovecot.start()
    assert len(mb.list_pending().keys) == 1


def test_uidvalidity_change_settles_the_right_message(dovecot, mail_user, make_mailbox):
    a, b = message("agreement A", msgid="<a@hopeharbor.org>"), message("roster B", msgid="<b@hopeharbor.org>")
    for body in (a, b):
        dovecot.append(mail_user, body, folder="Intake")
    mb = make_mailbox(folder="Intake")
    listing = mb.list_pending()
    msg_a, _msg_b = list(mb.fetch(listing.keys))
    assert msg_a.data == a

    # Recreate the folder with the messages in the other order: A's old UID is now B's.
    c = dovecot.client(mail_user)
    c.delete_folder("Intake")
    c.create_folder("Intake")
    c.append("Intake", b)
    c.append("Intake", a)
    new_validity = str(c.select_folder("Intake")[b"UIDVALIDITY"])
    c.logout()
    assert new_validity != listing.uidvalidity

    mb.settle(msg_a, "processed")
    assert folder_subjects(dovecot, mail_user, "Processed") == ["agreement A"]
    assert folder_subjects(dovecot, mail_user, "Intake") == ["roster B"]
    assert mb.list_pending().uidvalidity == new_validity


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_modes(dovecot, mail_user, make_mailbox, security):
    body = message("over tls")
    dovecot.append(mail_user, body)
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    mb = make_mailbox(security=security, port=port, ssl_context=dovecot.ssl_context())
    assert [m.data for m in mb.fetch(mb.list_pending().keys)] == [body]


def test_tls_certificate_is_verified_by_default(dovecot, mail_user, make_mailbox):
    mb = make_mailbox(security="ssl", port=dovecot.ssl_port)  # no context: system CAs only
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        mb.list_pending()


def test_wrong_password_is_a_mailbox_error(make_mailbox):
    mb = make_mailbox(password="not-the-password")
    with pytest.raises(MailboxError, match=r"(?i)authentication failed"):
        mb.list_pending()


def test_xoauth2_login(dovecot, mail_user, make_mailbox):
    # The test Dovecot checks an XOAUTH2 bearer token against the passdb password.
    dovecot.append(mail_user, message("oauth"))
    assert len(make_mailbox(token_provider=lambda: "secret").list_pending().keys) == 1
    with pytest.raises(MailboxError, match=r"(?i)authentication failed"):
        make_mailbox(token_provider=lambda: "expired-token").list_pending()

    def broken_provider() -> str:
        raise OAuthError("token request failed: invalid_client")

    with pytest.raises(MailboxError, match="invalid_client"):
        make_mailbox(token_provider=broken_provider).list_pending()


def test_a_refused_login_names_the_account_and_where_its_secret_comes_from(mail_user, make_mailbox):
    mb = make_mailbox(password="not-the-password", credential="password from HMISBOT_TRAINING_PASSWORD")
    with pytest.raises(LoginFailed) as err:
        mb.list_pending()
    message = str(err.value)
    assert f"login failed for {mail_user} (password from HMISBOT_TRAINING_PASSWORD): " in message
    assert "[AUTHENTICATIONFAILED]" in message and "b'" not in message and "list failed" not in message
    tokens = make_mailbox(token_provider=lambda: "expired-token", credential="XOAUTH2 token for app a1")
    with pytest.raises(LoginFailed, match=rf"login failed for {mail_user} \(XOAUTH2 token for app a1\)"):
        tokens.list_pending()


def test_poll_with_a_wrong_password_says_which_login_failed(dovecot, tmp_path):
    """Through the CLI, as an operator meets it: the address and the variable to fix, no bytes repr."""
    import subprocess
    import sys

    import yaml

    from tests.integration.dovecot import USERS

    dovecot.start()
    join = USERS[2]
    config = {"database": f"sqlite:///{tmp_path / 'db.sqlite3'}", "archive_dir": "archive",
              "send": {"backend": "outbox_dir", "path": "outbox", "from": "LAHSA HMIS <HMISsupport@lahsa.org>"},
              "mailboxes": {"join": {"address": join, "backend": "imap", "host": dovecot.host, "port": dovecot.port,
                                     "security": "none", "password_env": "HMISBOT_JOIN_PASSWORD"}},
              "staff": {d: {"primary": f"{d}@lahsa.org"} for d in ("implementation", "training", "access")}}
    (tmp_path / "mailboxes.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "HMISBOT_JOIN_PASSWORD": "not-the-password"}
    out = subprocess.run([sys.executable, "-m", "bot", "--config", str(tmp_path / "mailboxes.yaml"), "poll", "--once"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 1
    assert f"login failed for {join} (password from HMISBOT_JOIN_PASSWORD)" in out.stdout
    assert "b'" not in out.stdout and "list failed" not in out.stdout
    assert "not-the-password" not in out.stdout + out.stderr

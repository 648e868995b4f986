"""SmtpSender against an in-process aiosmtpd: TLS modes, AUTH, failure kinds, reuse."""

from __future__ import annotations

import socket
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from bot.mailboxes.oauth import OAuthError
from bot.outbox.senders.base import PermanentSendError, TransientSendError, UnknownOutcomeError
from bot.outbox.senders.smtp import SmtpSender

pytestmark = pytest.mark.integration


def reply(subject: str = "Your HMIS agreement was received", bcc: str | None = None) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "LAHSA HMIS <HMISsupport@lahsa.org>"
    m["To"] = "Case Manager <cm@hopeharbor.org>"
    if bcc:
        m["Bcc"] = bcc
    m["Subject"] = subject
    m["Message-ID"] = make_msgid(domain="lahsa.org")
    m.set_content("Thank you.\n.\nA line with a lone dot above must survive.\n")
    return m


@pytest.fixture
def senders():
    made: list[SmtpSender] = []

    def make(server, **kw) -> SmtpSender:
        kw.setdefault("security", "none")
        s = SmtpSender(server.host, server.port, local_hostname="localhost", timeout=5, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def test_plain_send_is_received(smtp_server, senders):
    server = smtp_server("plain")
    msg = reply(bcc="implementation@lahsa.org")
    senders(server).send(msg)
    [got] = server.handler.received
    assert got.mail_from == "HMISsupport@lahsa.org"
    assert got.rcpt_tos == ["cm@hopeharbor.org", "implementation@lahsa.org"]
    assert msg["Message-ID"].encode() in got.content
    assert b"Bcc" not in got.content  # Bcc goes in the envelope only
    assert b"\r\n.\r\nA line with a lone dot" in got.content
    assert got.login is None and not got.tls


def test_starttls_with_password_auth(smtp_server, senders, smtp_credentials):
    server = smtp_server("starttls")
    sender = senders(
        server,
        security="starttls",
        username=smtp_credentials.user,
        password=smtp_credentials.password,
        ssl_context=server.client_context(),
    )
    sender.send(reply())
    [got] = server.handler.received
    assert got.tls and got.login == smtp_credentials.user.encode()


def test_implicit_tls_with_xoauth2(smtp_server, senders, smtp_credentials):
    server = smtp_server("ssl")
    sender = senders(
        server,
        security="ssl",
        username=smtp_credentials.user,
        token_provider=lambda: smtp_credentials.token,
        ssl_context=server.client_context(),
    )
    sender.send(reply())
    [got] = server.handler.received
    assert got.tls and got.login == smtp_credentials.user.encode()


def test_tls_certificate_is_verified_by_default(smtp_server, senders):
    server = smtp_server("starttls")
    with pytest.raises(TransientSendError, match="CERTIFICATE_VERIFY_FAILED"):
        senders(server, security="starttls").send(reply())
    assert server.handler.received == []


@pytest.mark.parametrize(
    "credentials",
    [
        {"password": "wrong"},
        {"token_provider": lambda: "expired-token"},
    ],
    ids=["bad-password", "bad-token"],
)
def test_rejected_login_is_transient_and_sends_nothing(smtp_server, senders, smtp_credentials, credentials):
    server = smtp_server("plain")
    with pytest.raises(TransientSendError, match="authentication"):
        senders(server, username=smtp_credentials.user, **credentials).send(reply())
    assert server.handler.received == []


def test_token_provider_failure_is_transient(smtp_server, senders, smtp_credentials):
    def provider() -> str:
        raise OAuthError("token refused: invalid_client")

    server = smtp_server("plain")
    with pytest.raises(TransientSendError, match="invalid_client"):
        senders(server, username=smtp_credentials.user, token_provider=provider).send(reply())


@pytest.mark.parametrize(
    ("where", "answer", "error"),
    [
        ("data", "451 4.3.0 Try again later", TransientSendError),
        ("data", "554 5.7.1 Message rejected", PermanentSendError),
        ("rcpt", "450 4.2.1 Mailbox busy", TransientSendError),
        ("rcpt", "550 5.1.1 No such user", PermanentSendError),
    ],
)
def test_smtp_codes_map_to_failure_kinds(smtp_server, senders, where, answer, error):
    server = smtp_server("plain")
    setattr(server.handler, f"{where}_reply", answer)
    sender = senders(server)
    with pytest.raises(error, match=answer.split()[0]):
        sender.send(reply())
    # The connection stays usable after a refused message.
    setattr(server.handler, f"{where}_reply", None)
    sender.send(reply("next one"))
    assert len(server.handler.received) == 1


def test_drop_after_data_is_unknown_outcome(smtp_server, senders):
    server = smtp_server("plain")
    server.handler.drop_after_data = True
    sender = senders(server)
    with pytest.raises(UnknownOutcomeError):
        sender.send(reply())
    # The next send opens a fresh connection and works.
    server.handler.drop_after_data = False
    sender.send(reply("after the drop"))
    assert len(server.handler.received) == 1


def test_drop_before_data_is_transient(smtp_server, senders):
    server = smtp_server("plain")
    server.handler.drop_at_rcpt = True
    with pytest.raises(TransientSendError, match="before DATA"):
        senders(server).send(reply())


def test_connection_refused_is_transient(senders):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: refused

    class Nowhere:
        host = "127.0.0.1"

    Nowhere.port = port
    with pytest.raises(TransientSendError, match="cannot connect"):
        senders(Nowhere).send(reply())


def test_one_connection_is_reused_and_replaced_when_it_drops(smtp_server, senders):
    server = smtp_server("plain")
    sender = senders(server)
    for i in range(3):
        sender.send(reply(f"message {i}"))
    peers = {r.peer for r in server.handler.received}
    assert len(server.handler.received) == 3 and len(peers) == 1

    server.disconnect_all()  # as a server's idle timeout would
    time.sleep(0.1)
    sender.send(reply("after server closed"))
    assert len(server.handler.received) == 4
    assert server.handler.received[-1].peer not in peers

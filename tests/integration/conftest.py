"""Fixtures for tests against real servers: a private Dovecot, an in-process SMTP
server (aiosmtpd) and a TCP proxy that cuts connections. The database fixtures
(``db_url``, ``engine``, ``pg_url``) are tests/conftest.py's; the helpers the pipeline
tests share (config, CLI, mail, looking at the servers) are in tests/support/pipeline.py.

Dovecot is started once per session (a restart test restarts that same instance);
each test gets an emptied account. When Dovecot is not installed the IMAP tests are
skipped, except under CI (CI=true), where a missing server must fail the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

try:  # tests/integration may or may not be a package
    from .dovecot import USERS, DovecotServer, DovecotUnavailable, free_port, make_self_signed_cert
except ImportError:
    from dovecot import USERS, DovecotServer, DovecotUnavailable, free_port, make_self_signed_cert

from bot.mailboxes.imap import ImapMailbox

if TYPE_CHECKING:
    from tests.support.lahsa import Lahsa

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing server is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


# -- Dovecot ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The session's private Dovecot (plain port, SSL port, STARTTLS)."""
    try:
        server = DovecotServer(with_ssl=True)
    except DovecotUnavailable as e:
        _unavailable(str(e))
    try:
        server.start()
    except DovecotUnavailable as e:
        server.cleanup()
        _unavailable(f"dovecot would not start: {e}")
    yield server
    server.cleanup()


@pytest.fixture
def mail_user(dovecot: DovecotServer) -> str:
    """LAHSA.Training@lahsa.org with an empty account; the server is (re)started if a test stopped it."""
    dovecot.start()
    dovecot.reset_account(USERS[0])
    return USERS[0]


@pytest.fixture
def make_mailbox(dovecot: DovecotServer, mail_user: str) -> Iterator[Callable[..., ImapMailbox]]:
    """Build ImapMailbox objects on the plain port for mail_user; all closed at teardown."""
    made: list[ImapMailbox] = []

    def make(**overrides: Any) -> ImapMailbox:
        kwargs: dict[str, Any] = dict(
            name="training",
            address=mail_user,
            host=dovecot.host,
            port=dovecot.port,
            security="none",
            username=mail_user,
            password="secret",
            timeout=10,
        )
        if "token_provider" in overrides:
            kwargs["password"] = None
        kwargs.update(overrides)
        mb = ImapMailbox(**kwargs)
        made.append(mb)
        return mb

    yield make
    for mb in made:
        mb.close()


# -- TCP proxy that cuts connections ------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; arm() makes it cut connections mid-stream.

    After arm(n, times), the next `times` connections are cut once each has sent n
    more bytes server-to-client (counted from arming, or from its start if later).
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._after = 0
        self._times = 0
        self._generation = 0
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, after_bytes: int, times: int = 1) -> None:
        with self._lock:
            self._after, self._times = after_bytes, times
            self._generation += 1

    def disarm(self) -> None:
        with self._lock:
            self._times = 0

    def close(self) -> None:
        self.listener.close()
        for s in self._sockets:
            _hard_close(s)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _hard_close(client)
                continue
            upstream.settimeout(None)
            self.connections += 1
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, downstream: bool) -> None:
        seen, budget = -1, 0
        try:
            while chunk := src.recv(65536):
                cut = False
                if downstream:
                    with self._lock:
                        if self._times > 0:
                            if seen != self._generation:
                                seen, budget = self._generation, self._after
                            if len(chunk) >= budget:
                                chunk, cut = chunk[:budget], True
                                self._times -= 1
                                self.cuts += 1
                            else:
                                budget -= len(chunk)
                dst.sendall(chunk)
                if cut:
                    break
        except OSError:
            pass
        _hard_close(src)
        _hard_close(dst)


def _hard_close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()


@pytest.fixture
def tcp_proxy() -> Iterator[Callable[[int], TcpProxy]]:
    proxies: list[TcpProxy] = []

    def make(target_port: int) -> TcpProxy:
        proxies.append(TcpProxy(target_port))
        return proxies[-1]

    yield make
    for p in proxies:
        p.close()


# -- SMTP (aiosmtpd) ------------------------------------------------------------------

SMTP_USER = "hmisbot@lahsa.org"
SMTP_PASSWORD = "smtp-secret"
SMTP_TOKEN = "good-token"


@dataclass(frozen=True)
class SmtpCredentials:
    user: str = SMTP_USER
    password: str = SMTP_PASSWORD
    token: str = SMTP_TOKEN


@pytest.fixture(scope="session")
def smtp_credentials() -> SmtpCredentials:
    """What the test SMTP server accepts: PLAIN/LOGIN user+password, XOAUTH2 token."""
    return SmtpCredentials()


@dataclass
class Received:
    peer: tuple[str, int]
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None
    tls: bool


@dataclass
class RecordingHandler:
    """Records what arrives; set data_reply / rcpt_reply / drop_after_data to misbehave."""

    received: list[Received] = field(default_factory=list)
    data_reply: str | None = None  # e.g. "451 4.3.0 try later" or "554 5.7.1 no"
    rcpt_reply: str | None = None
    drop_after_data: bool = False
    drop_at_rcpt: bool = False
    servers: list[SMTP] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.drop_at_rcpt:
            assert server.transport is not None
            server.transport.abort()
            return "250 OK"
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.servers.append(server)
        if self.drop_after_data:
            assert server.transport is not None
            server.transport.abort()  # the message was received, but the client never hears so
            return "250 OK"
        if self.data_reply:
            return self.data_reply
        self.received.append(
            Received(
                peer=session.peer,
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=bytes(envelope.original_content or b""),
                login=getattr(session.auth_data, "login", None),
                # session.ssl is set after STARTTLS only; implicit TLS shows on the transport.
                tls=session.ssl is not None
                or (server.transport is not None and server.transport.get_extra_info("ssl_object") is not None),
            )
        )
        return "250 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 as Microsoft and Google speak it, accepting only SMTP_TOKEN."""
        import base64

        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            got = await server.challenge_auth("")
            if not isinstance(got, bytes):
                return AuthResult(success=False, handled=False)
            blob = got
        fields = dict(p.split("=", 1) for p in blob.decode().split("\x01") if "=" in p)
        if fields.get("auth") == f"Bearer {SMTP_TOKEN}":
            return AuthResult(success=True, auth_data=LoginPassword(fields["user"].encode(), b""))
        # The XOAUTH2 failure dance: a 334 with a JSON error, an empty reply, then 535.
        await server.challenge_auth('{"status":"401","schemes":"bearer"}')
        return AuthResult(success=False, handled=False)


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    # handled=False: let aiosmtpd answer 535 itself on failure.
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler
    controller: Controller
    cafile: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))

    def disconnect_all(self) -> None:
        """Close every connection from the server side (as a server timeout would)."""
        for server in self.handler.servers:
            if server.transport is not None:
                self.controller.loop.call_soon_threadsafe(server.transport.close)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"), "smtp")


@pytest.fixture
def smtp_server(tls_files: tuple[Path, Path]) -> Iterator[Callable[..., SmtpServer]]:
    """Factory: smtp_server(mode="plain"|"starttls"|"ssl") -> a running SmtpServer."""
    running: list[Controller] = []
    cert, key = tls_files

    def start(mode: str = "plain") -> SmtpServer:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(str(cert), str(key))
        handler = RecordingHandler()
        port = free_port()
        kwargs: dict[str, Any] = dict(
            hostname="127.0.0.1",
            port=port,
            authenticator=_authenticator,
            auth_require_tls=False,
        )
        if mode == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=False)
        elif mode == "ssl":
            kwargs.update(ssl_context=server_ctx)
        controller = Controller(handler, **kwargs)
        controller.start()
        running.append(controller)
        return SmtpServer("127.0.0.1", port, handler, controller, cert)

    yield start
    for c in running:
        c.stop()


# -- the three LAHSA accounts, shared by the pipeline, service and reliability tests ---


@pytest.fixture
def lahsa(dovecot: DovecotServer) -> Iterator[DovecotServer]:
    """The session's Dovecot, running, with the three LAHSA accounts emptied."""
    dovecot.start()
    for user in USERS:
        dovecot.reset_account(user)
    yield dovecot
    dovecot.start()  # a test that stopped it leaves it running for the next one


@pytest.fixture
def smtp(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_server("plain")


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passwords the config names (a subprocess inherits them); no failpoint armed."""
    monkeypatch.setenv("HMISBOT_TEST_IMAP_PASSWORD", "secret")
    monkeypatch.setenv("HMISBOT_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.delenv("HMISBOT_CRASH_AT", raising=False)


class RunningBot:
    """`python -m bot --config X --now T --verbose run` as a subprocess, logging to run.log."""

    def __init__(self, config: Path, now: str, env: dict[str, str] | None = None, stop_timeout: float = 30) -> None:
        self.log = config.parent / "run.log"
        self._out = self.log.open("wb")
        self._stop_timeout = stop_timeout
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "--now", now, "--verbose", "run"],
            stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=config.parent, env=env,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=self._stop_timeout)
        finally:
            self._out.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._out.close()


@pytest.fixture
def lahsa_with_links(lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, tmp_path: Path) -> Lahsa:
    """LAHSA's inboxes with the bot configured, ``links:`` set (the forms and the training site)."""
    import yaml

    from bot.store.db import make_engine
    from tests.support.lahsa import LINKS, Lahsa

    w = Lahsa(tmp_path, db_url, lahsa, smtp, make_engine(db_url))
    config = yaml.safe_load(w.config.read_text())
    config["links"] = LINKS
    w.config.write_text(yaml.safe_dump(config, sort_keys=False))
    return w

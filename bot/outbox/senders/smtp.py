"""The SMTP sender (smtplib): one reused connection, TLS, AUTH, and failure mapping.

It owns the conversation with the submission server and nothing else: the outbox
decides what to send and what to do with each failure. What matters here is to
report each failure as the right kind:

- 4xx, or no connection / no login before the message was handed over -> TransientSendError
- 5xx to MAIL, RCPT or the end of DATA                                  -> PermanentSendError
- the connection broke after the server said 354 to DATA                -> UnknownOutcomeError

The last one is why DATA is tracked: once the payload has started, the server may
have queued the message even though we never saw its answer, and a blind resend
could mail a person twice. Authentication and connection problems are transient:
they are the server's or the configuration's, not the message's, and must not
mark every queued message as failed for good.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Literal

from ...mailboxes.oauth import OAuthError
from .base import PermanentSendError, SendError, TransientSendError, UnknownOutcomeError

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "ssl"]


class _TrackingSMTP(smtplib.SMTP):
    """smtplib.SMTP that remembers whether the server accepted DATA (answered 354), and
    calls ``before_final_dot`` between the payload and the terminating ".": the one
    instant after which the server may have the message, which the outbox records so
    that a crash before it is safely resent and a crash after it is not."""

    payload_started = False
    before_final_dot: Callable[[], None] | None = None
    _last_command = ""

    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        if self.before_final_dot is None:
            return super().data(msg)
        self.putcmd("data")
        code, repl = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, repl)
        # As smtplib.SMTP.data does it, but with the final dot sent on its own.
        raw = smtplib._fix_eols(msg).encode("ascii") if isinstance(msg, str) else bytes(msg)  # type: ignore[attr-defined]
        payload: bytes = smtplib._quote_periods(raw)  # type: ignore[attr-defined]
        if not payload.endswith(smtplib.bCRLF):
            payload += smtplib.bCRLF
        self.send(payload)
        self.before_final_dot()
        self.send(b"." + smtplib.bCRLF)
        code, repl = self.getreply()
        return code, repl

    def putcmd(self, cmd: str, args: str = "") -> None:
        self._last_command = cmd.lower()
        super().putcmd(cmd, args)

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()
        if self._last_command == "data" and code == 354:
            self.payload_started = True
        return code, text


class _TrackingSMTPSSL(_TrackingSMTP, smtplib.SMTP_SSL):
    """The same over implicit TLS (port 465)."""


class SmtpSender:
    """Sends composed messages over one SMTP connection, kept open between sends."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        username: str | None = None,
        password: str | None = None,
        token_provider: Callable[[], str] | None = None,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"security must be none, starttls or ssl, not {security!r}")
        if password is not None and token_provider is not None:
            raise ValueError("give at most one of password and token_provider")
        if (password is not None or token_provider is not None) and not username:
            raise ValueError("a username is needed to authenticate")
        self.host, self.port, self.security = host, port, security
        self.username = username
        self._password = password
        self._token_provider = token_provider
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._ssl_context = ssl_context
        self._smtp: _TrackingSMTP | None = None

    def __repr__(self) -> str:  # no credentials in logs or tracebacks
        return f"SmtpSender({self.host}:{self.port}, {self.security}, user={self.username!r})"

    # -- Sender protocol --------------------------------------------------------

    def send(self, msg: EmailMessage, before_commit: Callable[[], None] | None = None) -> None:
        """Deliver one message; raise the SendError subclass that says what to do next."""
        smtp = self._connection()
        smtp.payload_started = False
        smtp.before_final_dot = before_commit
        message_id = msg.get("Message-ID", "(no Message-ID)")
        try:
            refused = smtp.send_message(msg)
        except SendError:
            raise
        except Exception as e:
            raise self._classify(smtp, e, message_id) from e
        if refused:
            # Some recipients took it: resending would duplicate theirs, so report and go on.
            log.warning("sent %s but these recipients were refused: %s", message_id, sorted(refused))
        log.info("sent %s via %s:%s", message_id, self.host, self.port)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    # -- helpers ----------------------------------------------------------------

    def _classify(self, smtp: _TrackingSMTP, e: Exception, message_id: str) -> SendError:
        """Turn what smtplib raised during a send into the outbox's failure kinds."""
        where = f"{self.host}:{self.port}"
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _text in e.recipients.values()]
            if any(400 <= c < 500 for c in codes):
                return TransientSendError(f"{message_id}: recipients deferred by {where}: {e.recipients}")
            return PermanentSendError(f"{message_id}: recipients refused by {where}: {e.recipients}")
        if isinstance(e, smtplib.SMTPResponseException):  # MAIL FROM or DATA refused, with a code
            if e.smtp_code == 421:  # the server is closing the connection
                self._drop()
            kind = TransientSendError if 400 <= e.smtp_code < 500 else PermanentSendError
            return kind(f"{message_id}: {where} answered {e.smtp_code} {_text(e.smtp_error)}")
        if isinstance(e, smtplib.SMTPNotSupportedError | ValueError | UnicodeError):
            # No SMTPUTF8 for a non-ASCII address, or a malformed message: resending cannot help.
            return PermanentSendError(f"{message_id}: cannot be sent to {where}: {e}")
        if isinstance(e, OSError):  # SMTPServerDisconnected, timeouts, resets, TLS errors
            self._drop()
            if smtp.payload_started:
                return UnknownOutcomeError(f"{message_id}: connection to {where} lost after DATA: {e}")
            return TransientSendError(f"{message_id}: connection to {where} lost before DATA: {e}")
        raise e  # a bug, not a send failure: let it show

    def _connection(self) -> _TrackingSMTP:
        """The open connection if it still answers NOOP, else a new one."""
        if self._smtp is not None:
            try:
                code, _ = self._smtp.noop()
                if code == 250:
                    return self._smtp
            except OSError:  # includes SMTPServerDisconnected
                pass
            log.info("SMTP connection to %s:%s went away; reconnecting", self.host, self.port)
            self._drop()
        self._smtp = self._connect()
        return self._smtp

    def _connect(self) -> _TrackingSMTP:
        where = f"{self.host}:{self.port}"
        try:
            smtp = self._open()
        except OSError as e:  # refused, timeout, TLS failure, bad greeting (SMTPConnectError)
            raise TransientSendError(f"cannot connect to {where}: {e}") from e
        try:
            if self.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
            self._authenticate(smtp)
        except smtplib.SMTPAuthenticationError as e:
            smtp.close()
            raise TransientSendError(
                f"authentication as {self.username} at {where} failed: {e.smtp_code} {_text(e.smtp_error)}"
            ) from e
        except (OSError, OAuthError) as e:
            smtp.close()
            raise TransientSendError(f"cannot set up the session with {where}: {e}") from e
        log.info("SMTP connected to %s (%s) as %s", where, self.security, self.username or "(anonymous)")
        return smtp

    def _open(self) -> _TrackingSMTP:
        smtp: _TrackingSMTP
        if self.security == "ssl":
            smtp = _TrackingSMTPSSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        else:
            smtp = _TrackingSMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)
        # The payload and the final dot go out as separate small writes (the commit point
        # between them); without TCP_NODELAY, Nagle holds the dot back ~40 ms per mail.
        if smtp.sock is not None:
            with contextlib.suppress(OSError):
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _authenticate(self, smtp: _TrackingSMTP) -> None:
        if self._token_provider is not None:
            token = self._token_provider()
            auth_string = f"user={self.username}\x01auth=Bearer {token}\x01\x01"

            def xoauth2(challenge: bytes | None = None) -> str:
                # On failure the server sends a 334 JSON error; the reply must be empty.
                return auth_string if challenge is None else ""

            smtp.auth("XOAUTH2", xoauth2, initial_response_ok=True)
        elif self._password is not None:
            assert self.username is not None  # checked in __init__
            smtp.login(self.username, self._password)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply

"""The composition root: builds the engine, adapters, templates and clock from a Config.

Nothing is built at import time; ``App.build`` is called once by the CLI (or a test),
and every other module receives what it needs from here.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy.engine import Engine

from bot.calendar import BusinessCalendar
from bot.clock import Clock
from bot.config import Config, ConfigError, MailboxConfig, SendConfig, secret_from_env
from bot.documents.model import FormResult
from bot.mailboxes.base import Mailbox
from bot.outbox.render import make_env
from bot.outbox.senders.base import Sender
from bot.store.db import make_engine

if TYPE_CHECKING:
    from bot.mailboxes.oauth import MsalTokenProvider

_T = TypeVar("_T")


@dataclass
class App:
    config: Config
    clock: Clock
    engine: Engine
    env: Environment
    calendar: BusinessCalendar
    _mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    _sender: Sender | None = None

    @classmethod
    def build(cls, config: Config, now: datetime | None = None) -> App:
        tz = ZoneInfo(config.timezone)
        env = make_env()
        # Staff mails built in bot/workflow (hand-offs, bounce notices) link to the site when it has an address.
        env.globals["base_url"] = config.web.base_url if config.web else None
        return cls(
            config=config,
            clock=Clock(tz=tz, fixed=now),
            engine=make_engine(config.database_url),
            env=env,
            calendar=BusinessCalendar(extra_closures=config.closures),
        )

    @property
    def archive_dir(self) -> Path:
        return self.config.resolve(self.config.archive_dir)

    @property
    def mail_domain(self) -> str:
        return self.config.send.from_.rpartition("@")[2].strip("> ") or "hmisbot.local"

    @property
    def home_addresses(self) -> dict[str, str]:
        return {str(b.effective_role): str(b.address) for b in self.config.mailboxes.values()}

    @property
    def links(self) -> dict[str, str | None]:
        """LAHSA's pages that mails point to (``links:``), as strings; None where unset."""
        return {k: (str(v) if v else None) for k, v in self.config.links.model_dump(mode="json").items()}

    def duty_address(self, duty: str) -> str:
        return str(getattr(self.config.staff, duty).primary)

    def staff_addresses(self, duty: str) -> list[str]:
        d = getattr(self.config.staff, duty)
        return [str(a).lower() for a in (d.primary, d.backup) if a]

    def role_of(self, name: str) -> str:
        return str(self.config.mailboxes[name].effective_role)

    def read_document(self, data: bytes, source: str) -> Sequence[FormResult]:
        """Untrusted bytes are read in the sandbox pool's worker processes (limits, both cores)."""
        from bot.documents.sandbox import read_document_safely

        return read_document_safely(data, source)

    def mailbox(self, name: str) -> Mailbox:
        if name not in self._mailboxes:
            self._mailboxes[name] = build_mailbox(name, self.config.mailboxes[name], self.config)
        return self._mailboxes[name]

    def wrap_mailbox(self, name: str, wrap: Callable[[Mailbox], Mailbox]) -> None:
        """Put a wrapper around one mailbox's adapter (``poll --backfill`` counts settled messages for its bar)."""
        self._mailboxes[name] = wrap(self.mailbox(name))

    def forget_mailbox(self, name: str) -> None:
        """Drop a broken connection; the next use builds a new one."""
        box = self._mailboxes.pop(name, None)
        if box is not None:
            # Closing a dead connection may fail too; it is gone either way.
            with contextlib.suppress(Exception):
                box.close()

    def sender(self) -> Sender:
        if self._sender is None:
            self._sender = build_sender(self.config)
        return self._sender

    def close(self) -> None:
        for box in self._mailboxes.values():
            box.close()
        if self._sender is not None:
            self._sender.close()
        self.engine.dispose()


def build_mailbox(name: str, box: MailboxConfig, config: Config) -> Mailbox:
    """The adapter for one configured mailbox; makes no network request (first use does)."""
    if box.backend == "maildir":
        from bot.mailboxes.maildir import MaildirMailbox

        assert box.path is not None
        return MaildirMailbox(name, str(box.address), config.resolve(box.path), box.processed_folder,
                              box.review_folder)
    if box.backend == "imap":
        from bot.mailboxes.imap import ImapMailbox

        assert box.host is not None
        return ImapMailbox(
            name, str(box.address), box.host, box.port or (993 if box.security == "ssl" else 143), box.security,
            box.username or str(box.address), secret_from_env(box.password_env), token_provider(box, config),
            folder=box.folder, processed_folder=box.processed_folder, review_folder=box.review_folder,
            ssl_context=tls_context(config, box.ca_file), credential=credential_source(box),
        )
    if box.backend == "graph":
        from bot.mailboxes.graph import GRAPH_BASE_URL, GraphMailbox

        return GraphMailbox(name, str(box.address), _required(token_provider(box, config)), box.folder,
                            box.processed_folder, box.review_folder, base_url=box.service_endpoint or GRAPH_BASE_URL,
                            ssl_context=tls_context(config, box.ca_file))
    if box.backend == "ews":
        from bot.mailboxes.ews import EwsMailbox

        assert box.service_endpoint is not None  # validated in MailboxConfig
        return EwsMailbox(name, str(box.address), box.service_endpoint, box.username or str(box.address),
                          _required(secret_from_env(box.password_env)), box.folder, box.processed_folder,
                          box.review_folder, auth_type=box.auth_type)
    raise NotImplementedError(f"mailbox backend {box.backend} is not available yet")


def credential_source(box: MailboxConfig) -> str:
    """Where a mailbox's login secret comes from, for error messages (never the secret itself)."""
    if box.oauth2 is not None:
        return f"XOAUTH2 token for app {box.oauth2.client_id}, secret from {box.oauth2.secret_env}"
    return f"password from {box.password_env}" if box.password_env else "no password"


def tls_context(config: Config, ca_file: str | None) -> ssl.SSLContext | None:
    """A verifying TLS context that trusts ca_file (a private CA); None: the system's CAs."""
    if ca_file is None:
        return None
    path = config.resolve(ca_file)
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"ca_file: cannot load {path}: {exc}") from None


def token_provider(settings: MailboxConfig | SendConfig, config: Config) -> MsalTokenProvider | None:
    """App-only OAuth2 tokens for one mailbox or the sender; None when it has no `oauth2`.

    A token is good for one resource, so the scope follows the backend unless
    `oauth2.scopes` says otherwise: Graph's for ``graph``, Outlook's for IMAP/SMTP
    XOAUTH2. `ca_file`, when set, is trusted for the token authority too (a private
    CA in front of both, or a test authority). Nothing is requested until first use.
    """
    o = settings.oauth2
    if o is None:
        return None
    from bot.mailboxes.graph_http import GRAPH_SCOPE
    from bot.mailboxes.oauth import DEFAULT_AUTHORITY_HOST, OUTLOOK_SCOPE, MsalTokenProvider

    default = GRAPH_SCOPE if settings.backend == "graph" else OUTLOOK_SCOPE
    secret = secret_from_env(o.secret_env)
    if not secret:
        raise ConfigError(f"environment variable {o.secret_env} is empty (named by oauth2.secret_env)")
    verify: bool | str = str(config.resolve(settings.ca_file)) if settings.ca_file else True
    return MsalTokenProvider(o.tenant, o.client_id, secret, list(o.scopes) or [default],
                             authority_host=o.authority or DEFAULT_AUTHORITY_HOST, verify=verify)


def build_sender(config: Config) -> Sender:
    """The sender `send.backend` names; makes no network request (the first send does)."""
    send = config.send
    if send.backend == "outbox_dir":
        from bot.outbox.senders.outbox_dir import OutboxDirSender

        assert send.path is not None
        return OutboxDirSender(config.resolve(send.path))
    if send.backend == "smtp":
        from bot.outbox.senders.smtp import SmtpSender

        assert send.host is not None
        tokens = token_provider(send, config)
        # XOAUTH2 names the mailbox it acts for; without a username that is the From address.
        username = send.username or (send.sending_address if tokens is not None else None)
        return SmtpSender(send.host, send.port or 587, send.security, username,
                          secret_from_env(send.password_env), tokens,
                          ssl_context=tls_context(config, send.ca_file))
    if send.backend == "graph":
        from bot.mailboxes.graph_http import GRAPH_BASE_URL
        from bot.outbox.senders.graph import GraphSender

        return GraphSender(send.sending_address, _required(token_provider(send, config)),
                           base_url=send.service_endpoint or GRAPH_BASE_URL,
                           ssl_context=tls_context(config, send.ca_file))
    if send.backend == "ews":
        from bot.outbox.senders.ews import EwsSender

        assert send.service_endpoint is not None  # validated in SendConfig
        return EwsSender(send.sending_address, send.service_endpoint, send.username or send.sending_address,
                         _required(secret_from_env(send.password_env)), auth_type=send.auth_type)
    raise NotImplementedError(f"send backend {send.backend} is not available yet")


def _required(value: _T | None) -> _T:
    """`value`, which config validation guarantees for this backend (a bug otherwise)."""
    assert value is not None, "config validation should have required this"
    return value

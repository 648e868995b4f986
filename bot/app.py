"""The composition root: builds the engine, adapters, templates and clock from a Config.

Nothing is built at import time; ``App.build`` is called once by the CLI (or a test),
and every other module receives what it needs from here.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy.engine import Engine

from bot.calendar import BusinessCalendar
from bot.clock import Clock
from bot.config import Config, ConfigError, MailboxConfig, secret_from_env
from bot.documents.model import FormResult
from bot.mailboxes.base import Mailbox
from bot.outbox.render import make_env
from bot.outbox.senders.base import Sender
from bot.store.db import make_engine


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
        return cls(
            config=config,
            clock=Clock(tz=tz, fixed=now),
            engine=make_engine(config.database_url),
            env=make_env(),
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

    def duty_address(self, duty: str) -> str:
        return str(getattr(self.config.staff, duty).primary)

    def staff_addresses(self, duty: str) -> list[str]:
        d = getattr(self.config.staff, duty)
        return [str(a).lower() for a in (d.primary, d.backup) if a]

    def role_of(self, name: str) -> str:
        return str(self.config.mailboxes[name].effective_role)

    def read_document(self, data: bytes, source: str) -> Sequence[FormResult]:
        from bot.documents.reader import read_document

        return read_document(data, source)

    def mailbox(self, name: str) -> Mailbox:
        if name not in self._mailboxes:
            self._mailboxes[name] = build_mailbox(name, self.config.mailboxes[name], self.config)
        return self._mailboxes[name]

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
            box.username or str(box.address), secret_from_env(box.password_env), token_provider(box),
            folder=box.folder, processed_folder=box.processed_folder, review_folder=box.review_folder,
            ssl_context=tls_context(config, box.ca_file),
        )
    raise NotImplementedError(f"mailbox backend {box.backend} is not available yet")


def tls_context(config: Config, ca_file: str | None) -> ssl.SSLContext | None:
    """A verifying TLS context that trusts ca_file (a private CA); None: the system's CAs."""
    if ca_file is None:
        return None
    path = config.resolve(ca_file)
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"ca_file: cannot load {path}: {exc}") from None


def token_provider(box: MailboxConfig):  # type: ignore[no-untyped-def]
    if box.oauth2 is None:
        return None
    from bot.mailboxes.oauth import MsalTokenProvider

    o = box.oauth2
    return MsalTokenProvider(o.tenant, o.client_id, secret_from_env(o.secret_env) or "",
                             list(o.scopes) or ["https://outlook.office365.com/.default"])


def build_sender(config: Config) -> Sender:
    send = config.send
    if send.backend == "outbox_dir":
        from bot.outbox.senders.outbox_dir import OutboxDirSender

        assert send.path is not None
        return OutboxDirSender(config.resolve(send.path))
    if send.backend == "smtp":
        from bot.outbox.senders.smtp import SmtpSender

        assert send.host is not None
        return SmtpSender(send.host, send.port or 587, send.security, send.username,
                          secret_from_env(send.password_env), None,
                          ssl_context=tls_context(config, send.ca_file))
    raise NotImplementedError(f"send backend {send.backend} is not available yet")

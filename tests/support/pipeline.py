"""The pipeline against the private servers: a production-shaped config, the CLI, mail, looking.

Shared by the tests that run the bot over IMAP and SMTP on 127.0.0.1 (tests/integration,
tests/reliability): the three LAHSA accounts on the private Dovecot, the mail that
arrives there, ``write_config`` for a ``mailboxes.yaml`` pointing at the servers, the
CLI in a subprocess or in this process, and what the IMAP server and the SMTP server
hold afterwards. The servers themselves are fixtures in tests/integration/conftest.py.
"""

from __future__ import annotations

import email
import functools
import subprocess
import sys
import time
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import yaml
from imapclient import IMAPClient
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.demo import Seed, _message, seeds
from tests.integration.conftest import SMTP_USER, RecordingHandler, SmtpServer
from tests.integration.dovecot import USERS, DovecotServer

TRAINING, SUPPORT, JOIN = USERS
USER_OF = {"training": TRAINING, "support": SUPPORT, "join": JOIN}
NOW = "2026-11-30T10:00:00-08:00"  # a Monday, office hours
IMPLEMENTATION = "hmis.implementation@lahsa.org"
ACCESS = "hmis.access@lahsa.org"


# -- mail -----------------------------------------------------------------------------


@functools.cache
def _seeds() -> dict[str, tuple[int, Seed]]:
    return {s.subject: (i, s) for i, s in enumerate(seeds())}


def demo_mail(subject: str) -> tuple[str, bytes]:
    """(inbox, raw bytes with CRLF) of the demo seed with this subject; fixed Message-ID."""
    index, seed = _seeds()[subject]
    msg: EmailMessage = _message(seed, index, time.time() - 600, [])
    return seed.inbox, msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def simple_mail(inbox: str, subject: str, msgid: str, *, attachment: tuple[str, bytes] | None = None,
                sender: str = "Kevin Wu <kwu@example.net>", body: str = "Hello, who do I ask about HMIS?",
                date: str = "Mon, 30 Nov 2026 09:00:00 -0800") -> bytes:
    """A message as a mail client sends it to one of the three inboxes, CRLF line ends."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = USER_OF[inbox]
    m["Subject"] = subject
    m["Date"] = date
    m["Message-ID"] = msgid
    m.set_content(body)
    if attachment is not None:
        m.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


def message_id(raw: bytes) -> str:
    return str(BytesHeaderParser().parsebytes(raw)["Message-ID"])


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


# -- servers, config, running the bot ------------------------------------------------------


def write_config(
    folder: Path, db_url: str, dovecot: DovecotServer, smtp: SmtpServer, *, tls: bool = False,
    limits: dict[str, Any] | None = None, schedule: dict[str, Any] | None = None, poll_every: str = "300s",
    inbox: str = "INBOX", instance: str | None = None, name: str = "mailboxes.yaml",
    send_extra: dict[str, Any] | None = None,
) -> Path:
    """A production-shaped mailboxes.yaml pointing at the private servers (127.0.0.1 only)."""

    def box(address: str) -> dict[str, Any]:
        b: dict[str, Any] = {
            "address": address, "backend": "imap", "host": dovecot.host, "port": dovecot.port, "security": "none",
            "username": address, "password_env": "HMISBOT_TEST_IMAP_PASSWORD", "folder": inbox,
            "processed_folder": "Processed", "review_folder": "Needs Review", "poll_every": poll_every,
        }
        if tls:
            b.update(port=dovecot.ssl_port, security="ssl", ca_file=str(dovecot.cafile))
        return b

    send: dict[str, Any] = {
        "backend": "smtp", "host": smtp.host, "port": smtp.port, "security": "none", "username": SMTP_USER,
        "password_env": "HMISBOT_TEST_SMTP_PASSWORD", "from": "LAHSA HMIS <HMISsupport@lahsa.org>",
    }
    if tls:
        send.update(security="starttls", ca_file=str(smtp.cafile))
    send.update(send_extra or {})
    config: dict[str, Any] = {
        "database": db_url,
        "timezone": "America/Los_Angeles",
        "archive_dir": "archive",
        "send": send,
        "mailboxes": {"training": box(TRAINING), "support": box(SUPPORT), "join": box(JOIN)},
        "staff": {
            "implementation": {"primary": IMPLEMENTATION, "backup": "hmis.implementation.backup@lahsa.org"},
            "training": {"primary": "hmis.training@lahsa.org"},
            "access": {"primary": ACCESS, "backup": "hmis.supervisor@lahsa.org"},
        },
    }
    if limits:
        config["limits"] = limits
    if schedule:
        config["schedule"] = schedule
    if instance:
        config["instance"] = instance
    path = folder / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def cli(config: Path, *args: str, now: str = NOW) -> subprocess.CompletedProcess[str]:
    """`python -m bot --config ... --now ... ARGS` as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "--now", now, *args],
        capture_output=True, text=True, timeout=180, cwd=config.parent,
    )


def cli_in_process(config: Path, *args: str, now: str = NOW) -> tuple[int, str]:
    """The same command through the Typer app in this process (monkeypatches apply)."""
    result = CliRunner().invoke(cli_app, ["--config", str(config), "--now", now, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


# -- looking at the server, the SMTP server and the database ---------------------------------


def folder(dovecot: DovecotServer, user: str, name: str) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """(raw bytes, flags) of every message in a folder, without touching \\Seen."""
    c: IMAPClient = dovecot.client(user)
    try:
        if not c.folder_exists(name):
            return []
        c.select_folder(name, readonly=True)
        uids = c.search(["ALL"])
        data = c.fetch(uids, [b"BODY.PEEK[]", b"FLAGS"]) if uids else {}
        return [(bytes(v[b"BODY[]"]), tuple(v[b"FLAGS"])) for _, v in sorted(data.items())]
    finally:
        c.logout()


def has_folder(dovecot: DovecotServer, user: str, name: str) -> bool:
    c = dovecot.client(user)
    try:
        return bool(c.folder_exists(name))
    finally:
        c.logout()


def ids_in(dovecot: DovecotServer, user: str, name: str) -> list[str]:
    return sorted(message_id(raw) for raw, _ in folder(dovecot, user, name))


def all_flags(dovecot: DovecotServer) -> set[bytes]:
    return {f for user in USERS for name in ("INBOX", "Processed", "Needs Review")
            for _, flags in folder(dovecot, user, name) for f in flags}


def received(handler: RecordingHandler) -> list[EmailMessage]:
    return [parse(r.content) for r in list(handler.received)]  # a copy: the server may still append


def replies_by_parent(handler: RecordingHandler) -> Counter[str]:
    return Counter(str(m["In-Reply-To"]) for m in received(handler) if m["In-Reply-To"])


def uidvalidity(dovecot: DovecotServer, user: str, name: str = "INBOX") -> str:
    c = dovecot.client(user)
    try:
        return str(c.select_folder(name, readonly=True)[b"UIDVALIDITY"])
    finally:
        c.logout()


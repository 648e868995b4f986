"""A small world for scenario tests: Maildir inboxes, an outbox folder, a movable clock.

Organizations play the process by mail over days of ``--now``; each step polls,
runs scheduled jobs and collects the mail the bot sent since the last look.
"""

from __future__ import annotations

import email
import mailbox
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot import jobs
from bot.app import App
from bot.clock import parse_now
from bot.config import load_config
from bot.service import flush_outbox, grant_access, poll_all
from bot.store.db import init_db
from bot.store.models import HmisUser, Organization, Program

CONFIG = """\
database: {db}
timezone: America/Los_Angeles
archive_dir: archive
send: {{backend: outbox_dir, path: outbox, from: "LAHSA HMIS <HMISsupport@lahsa.org>"}}
mailboxes:
  training: {{address: LAHSA.Training@lahsa.org, backend: maildir, path: mail/training}}
  support:  {{address: HMISsupport@lahsa.org, backend: maildir, path: mail/support}}
  join:     {{address: JoinHMIS@lahsa.org, backend: maildir, path: mail/join}}
staff:
  implementation: {{primary: impl@lahsa.org, backup: impl2@lahsa.org}}
  training:       {{primary: trainer@lahsa.org, backup: trainer2@lahsa.org}}
  access:         {{primary: access@lahsa.org, backup: supervisor@lahsa.org}}
schedule: {{reminder_every_business_days: 2, escalation_after_business_days: 3}}
"""
INBOX = {"training": "LAHSA.Training@lahsa.org", "support": "HMISsupport@lahsa.org", "join": "JoinHMIS@lahsa.org"}


@dataclass
class Sent:
    to: str
    kind: str
    subject: str
    text: str
    in_reply_to: str | None
    message_id: str


@dataclass
class World:
    root: Path
    db: str
    now: str = "2026-11-30T09:00:00-08:00"
    extra: str = ""  # more YAML for mailboxes.yaml
    seen_files: set[str] = field(default_factory=set)
    all_sent: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        db = self.db if not self.db.startswith("sqlite") else "sqlite:///hmisbot.sqlite3"
        (self.root / "mailboxes.yaml").write_text(CONFIG.format(db=db) + self.extra)
        bot = self.app()
        init_db(bot.engine)
        poll_all(bot, list(bot.config.mailboxes))  # first contact with empty inboxes
        bot.close()

    def app(self) -> App:
        config = load_config(self.root / "mailboxes.yaml")
        return App.build(config, parse_now(self.now, ZoneInfo(config.timezone)))

    def at(self, now: str) -> World:
        self.now = now
        return self

    def deliver(self, inbox: str, data: bytes) -> None:
        mailbox.Maildir(self.root / "mail" / inbox, create=True).add(data)

    def outbox_bytes(self, message_id: str) -> bytes:
        for path in (self.root / "outbox").glob("*.eml"):
            data = path.read_bytes()
            if message_id.encode() in data:
                return data
        raise KeyError(message_id)

    def mail(self, inbox: str, sender: str, subject: str, body: str = "", *,
             attachments: tuple[tuple[str, bytes], ...] = (), in_reply_to: str | None = None,
             headers: dict[str, str] | None = None) -> str:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = INBOX[inbox]
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">"))
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            msg["References"] = in_reply_to
        for k, v in (headers or {}).items():
            msg[k] = v
        msg.set_content(body or "Please see attached.")
        for name, data in attachments:
            sub = "pdf" if name.endswith(".pdf") else "csv" if name.endswith(".csv") else "octet-stream"
            main = "text" if sub == "csv" else "application"
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
        mailbox.Maildir(self.root / "mail" / inbox, create=True).add(msg.as_bytes())
        return str(msg["Message-ID"])

    def poll(self) -> list[Sent]:
        bot = self.app()
        try:
            reports, _ = poll_all(bot, list(bot.config.mailboxes))
            assert not any(r.failed for r in reports), [r.failed for r in reports]
        finally:
            bot.close()
        return self.new_mail()

    def job(self, name: str) -> list[Sent]:
        bot = self.app()
        try:
            jobs.JOBS[name](bot)
            flush_outbox(bot)
        finally:
            bot.close()
        return self.new_mail()

    def cli(self, *args: str) -> tuple[int, str]:
        """Run one ``hmisbot`` command in this process, at the world's time; (exit code, output)."""
        from typer.testing import CliRunner

        from bot.cli import app as cli_app

        done = CliRunner().invoke(cli_app, ["--config", str(self.root / "mailboxes.yaml"), "--now", self.now, *args])
        return done.exit_code, done.output

    def grant(self, email_addr: str) -> None:
        bot = self.app()
        assert grant_access(bot, email_addr, "access@lahsa.org") is None
        bot.close()

    def new_mail(self) -> list[Sent]:
        out = []
        for path in sorted((self.root / "outbox").glob("*.eml")):
            if path.name in self.seen_files:
                continue
            self.seen_files.add(path.name)
            m = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            body = m.get_body(("plain",))
            out.append(Sent(str(m["To"]), str(m["X-HMISbot-Kind"]), str(m["Subject"]),
                            body.get_content() if body else "", m["In-Reply-To"], str(m["Message-ID"])))
        self.all_sent.extend(out)
        return out

    def query(self, model: Any, **where: Any) -> list[Any]:
        bot = self.app()
        with Session(bot.engine) as s:
            stmt = select(model)
            for k, v in where.items():
                stmt = stmt.where(getattr(model, k) == v)
            rows = list(s.exec(stmt).all())
        bot.close()
        return rows

    def org(self, name: str) -> Organization:
        return self.query(Organization, name=name)[0]  # type: ignore[no-any-return]

    def user(self, email_addr: str) -> HmisUser:
        return self.query(HmisUser, email=email_addr)[0]  # type: ignore[no-any-return]

    def programs(self, org: str) -> dict[str, str]:
        org_id = self.org(org).id
        return {p.name: p.setup for p in self.query(Program, org_id=org_id)}


def kinds(sent: list[Sent]) -> list[tuple[str, str]]:
    return sorted((s.kind, s.to) for s in sent)

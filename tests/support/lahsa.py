"""LAHSA's three inboxes on a private Dovecot, the bot's config, and what came out of it.

The world the end-to-end mail tests (identity, the mail people get, the setup loop, stalls)
play in: ``Lahsa`` delivers mail and runs ``poll --once``; ``mail`` builds a message as a
person's client would; ``text`` reads a sent mail as its reader does.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.demo import specimens
from bot.store.models import Organization
from tests.support.pipeline import cli_in_process, received, write_config

if TYPE_CHECKING:
    from tests.integration.conftest import SmtpServer
    from tests.integration.dovecot import DovecotServer

LINKS = {"training_site": "https://training.hmis.example/register",
         "organization_agreement": "https://hmis.example/forms/organization-agreement.pdf",
         "user_agreement": "https://hmis.example/forms/user-agreement.pdf"}
DATE = "11/30/2026"
_count = iter(range(10_000))


def mail(sender: str, to: str, subject: str, body: str, *, attachment: tuple[str, bytes] | None = None,
         reply_to: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = "Mon, 30 Nov 2026 09:00:00 -0800"
    m["Message-ID"] = f"<id{next(_count)}@test.example>"
    if reply_to:
        m["Reply-To"] = reply_to
    m.set_content(body)
    if attachment is not None:
        m.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


def agreement(org: str, signer: str) -> bytes:
    return specimens.organization_agreement_pdf(org, signer, "Executive Director", DATE)


class Lahsa:
    """The three inboxes, the bot's config and what came out of it."""

    def __init__(self, tmp_path: Path, db_url: str, dovecot: DovecotServer, smtp: SmtpServer, engine: Engine) -> None:
        self.dovecot, self.smtp, self.engine = dovecot, smtp, engine
        self.config = write_config(tmp_path, db_url, dovecot, smtp)
        self.tmp = tmp_path
        code, out = cli_in_process(self.config, "poll", "--once")  # first contact: empty inboxes
        assert code == 0, out

    def deliver(self, inbox: str, raw: bytes) -> None:
        self.dovecot.append(inbox, raw)

    def poll(self) -> list[EmailMessage]:
        before = len(self.smtp.handler.received)
        code, out = cli_in_process(self.config, "poll", "--once")
        assert code == 0, out
        return received(self.smtp.handler)[before:]

    def org(self, name: str) -> Organization | None:
        with Session(self.engine) as s:
            return s.exec(select(Organization).where(Organization.name == name)).first()

    def rows(self, model: type, **where: object) -> list:  # type: ignore[type-arg]
        with Session(self.engine) as s:
            q = select(model)
            for key, value in where.items():
                q = q.where(getattr(model, key) == value)
            return list(s.exec(q).all())



def text(m: EmailMessage) -> str:
    """A mail's plain text as one line of words: what its reader reads, whatever the wrapping."""
    return " ".join(m.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]

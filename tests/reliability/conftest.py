"""Shared pieces of the reliability tests: servers, config, a realistic backlog, checks.

The servers are the integration suite's (a private Dovecot on 127.0.0.1, aiosmtpd
in-process); their fixtures are re-exported here so that this folder runs on its
own. The bot runs as the production CLI in subprocesses (``python -m bot``), so a
failpoint (``HMISBOT_CRASH_AT``, bot/faults.py) can SIGKILL it for real.

``check_exactly_once`` is the guarantee every test here ends with: each message
decided once (one processed/review row per Message-ID), each decided mail received
by the SMTP server once (by its own Message-ID and, for replies, by In-Reply-To),
nothing left in an INBOX, nothing deleted, nothing pending or half-sent.
"""

from __future__ import annotations

import contextlib
import email
import functools
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.demo import specimens
from bot.store.models import OutboxRow, SeenMessage
from tests.integration.conftest import (  # noqa: F401  (fixtures used by the reliability tests)
    RecordingHandler,
    SmtpServer,
    dovecot,
    lahsa,
    secrets,
    smtp,
    smtp_server,
    tls_files,
)
from tests.integration.dovecot import USERS, DovecotServer
from tests.support.db import rows
from tests.support.pipeline import NOW, USER_OF, received, replies_by_parent, simple_mail
from tests.support.pipeline import write_config as pipeline_config

__all__ = ["dovecot", "smtp_server", "tls_files"]  # fixtures re-exported for this folder

FOLDERS = ("INBOX", "Processed", "Needs Review")
ROOT = Path(__file__).resolve().parents[2]


# -- servers --------------------------------------------------------------------------


def write_config(folder: Path, db_url: str, dovecot: DovecotServer, smtp: SmtpServer, *,
                 limits: dict[str, Any] | None = None, poll_every: str = "300s", instance: str | None = None,
                 name: str = "mailboxes.yaml") -> Path:
    """The pipeline tests' production-shaped config, with an hourly cap high enough for a backlog."""
    return pipeline_config(folder, db_url, dovecot, smtp, limits=limits, poll_every=poll_every, instance=instance,
                           name=name, send_extra={"hourly_cap": 5000})


# -- running the bot --------------------------------------------------------------------


def bot_env(crash_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HMISBOT_CRASH_AT"}
    # Keep what is already on the path (a moved-clock run puts tests/support/moved_clock there:
    # an instance without it would run on another clock than the test, as a skewed server would).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    if crash_at:
        env["HMISBOT_CRASH_AT"] = crash_at
    return env


def cli(config: Path, *args: str, crash_at: str | None = None, now: str = NOW,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m bot --config ... --now ... ARGS` as a separate process (its own group)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "--now", now, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        cwd=config.parent, env=bot_env(crash_at), start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        # A SIGKILLed bot leaves its document workers to notice the closed pipe; make sure.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# -- the backlog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    inbox: str  # training | support | join
    message_id: str
    raw: bytes
    what: str  # question | account | setup | agreement


def make_mail(inbox: str, message_id: str, sender: tuple[str, str], subject: str, body: str,
          pdf: tuple[str, bytes] | None = None) -> bytes:
    return simple_mail(inbox, subject, message_id, attachment=pdf, sender=f"{sender[0]} <{sender[1]}>", body=body,
                       date="Mon, 30 Nov 2026 08:30:00 -0800")


FIRST = ("Ana", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Hector", "Irene", "Jamal", "Karen", "Luis")
LAST = ("Nguyen", "Garcia", "Smith", "Kim", "Lopez", "Brown", "Patel", "Reyes", "Chen", "Johnson")


def _person(i: int, domain: str) -> tuple[str, str]:
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    return f"{first} {last}", f"{first.lower()}.{last.lower()}{i}@{domain}"


# Organization names far enough apart that the fuzzy name match keeps them apart.
AGREEMENT_ORGS = ("Hope Harbor Services", "Eastside Youth Center", "Bright Path Recovery", "Mission Valley Homes")
PLACES = ("Alderwood", "Birchmont", "Cypress Point", "Dover Heights", "Elmhurst", "Fairview Terrace", "Glendora",
          "Hawthorne", "Inglemoor", "Juniper Springs", "Kingsbury", "Lakeport", "Maplecrest", "Northgate", "Oakridge",
          "Pinecrest", "Quartz Hill", "Redondo", "Sunnyside", "Tamarack", "Upland", "Vista Verde", "Willowbrook",
          "Yarrow Glen", "Zephyr Cove", "Ashford", "Bellflower", "Crestline", "Driftwood", "Echo Park")
KINDS = ("Family Services", "Community Shelter", "Housing Alliance", "Outreach Center", "Youth Services")


@functools.cache
def agreement_pdf(org: str, signer: str) -> bytes:
    return specimens.organization_agreement_pdf(org, signer, "Executive Director", "11/30/2026")


def backlog(n: int, *, tag: str, pdfs: int = 4, start: int = 0) -> list[Mail]:
    """n realistic messages from distinct senders, spread over the three inboxes.

    As LAHSA receives them: ``pdfs`` signed Organization Agreements as small text PDFs
    (training: a receipt), then account questions (support: a receipt and a hand-off to
    the access duty), program setup requests for distinct organizations (join: a
    receipt) and general questions about HMIS (training: review and a reply saying a person
    will answer). Every
    message gets exactly one reply; ``tag`` keeps Message-IDs unique between tests;
    ``start`` numbers the senders of a later batch after those of the earlier ones.
    """
    assert pdfs <= len(AGREEMENT_ORGS)
    out: list[Mail] = []
    setups = (start + 7) // 8
    for k in range(n):
        mid = f"<{tag}.{k}@mail.example.org>"
        i, j = start + k, start + k - pdfs
        if k < pdfs:
            org = AGREEMENT_ORGS[k]
            name, addr = _person(i, org.split()[0].lower() + ".org")
            raw = make_mail("training", mid, (name, addr), f"Signed HMIS Organization Agreement - {org}",
                            f"Hello,\n\nAttached is our signed Organization Agreement.\n\n{name}\nExecutive Director",
                            (f"agreement-{k}.pdf", agreement_pdf(org, name)))
            out.append(Mail("training", mid, raw, "agreement"))
        elif j % 4 == 0:
            name, addr = _person(i, "outreach.example.org")
            raw = make_mail("support", mid, (name, addr), "Locked out of HMIS",
                            f"Hi, I am locked out of my HMIS account and cannot log in. "
                            f"Can you reset my password?\n\n{name}")
            out.append(Mail("support", mid, raw, "account"))
        elif j % 8 == 2 and setups < len(PLACES):
            org = f"{PLACES[setups]} {KINDS[setups % len(KINDS)]}"
            setups += 1
            name, addr = _person(i, PLACES[setups - 1].lower().replace(" ", "") + ".org")
            raw = make_mail("join", mid, (name, addr), f"Program setup for CES - {org}",
                            f"Hello HMIS Implementation Team,\n\nPlease set up our programs for CES.\n\n"
                            f"Organization: {org}\nCES roles: Housing Navigation/Case Management\n\n"
                            f"Programs:\n- {org} Street Outreach (Outreach)\n"
                            f"- {org} Bridge Housing (Emergency Shelter)\n\n"
                            f"Thank you,\n{name}\nProgram Manager")
            out.append(Mail("join", mid, raw, "setup"))
        else:
            name, addr = _person(i, "community.example.net")
            raw = make_mail("training", mid, (name, addr), "Question",
                            f"Hello, who should I talk to about HMIS for volunteers at a shelter?\n\n{name}")
            out.append(Mail("training", mid, raw, "question"))
    return out


def deliver(dovecot: DovecotServer, mails: Iterable[Mail]) -> None:
    """APPEND the messages in order, one connection per inbox (as an MTA would deliver them)."""
    by_inbox: dict[str, list[Mail]] = {}
    for m in mails:
        by_inbox.setdefault(m.inbox, []).append(m)
    for inbox, items in by_inbox.items():
        c = dovecot.client(USER_OF[inbox])
        try:
            for m in items:
                c.append("INBOX", m.raw)
        finally:
            with contextlib.suppress(Exception):
                c.logout()


# -- looking -----------------------------------------------------------------------------------


def folder_ids(dovecot: DovecotServer, user: str, name: str) -> list[str]:
    """Message-IDs of every message in a folder (flags untouched, \\Deleted ones left out)."""
    c = dovecot.client(user)
    try:
        if not c.folder_exists(name):
            return []
        c.select_folder(name, readonly=True)
        uids = c.search(["UNDELETED"])
        if not uids:
            return []
        data = c.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        out = []
        for item in data.values():
            header = bytes(item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"])
            out.append(str(email.message_from_bytes(header, policy=policy.default)["Message-ID"]).strip())
        return sorted(out)
    finally:
        with contextlib.suppress(Exception):
            c.logout()


def where_is(dovecot: DovecotServer) -> dict[str, Counter[str]]:
    """folder name -> Counter of Message-IDs over the three accounts."""
    return {name: Counter(mid for user in USERS for mid in folder_ids(dovecot, user, name)) for name in FOLDERS}


def decided(engine: Engine) -> Counter[str]:
    """Message-ID -> number of seen rows that decided it (processed or review)."""
    return Counter(s.message_id for s in rows(engine, SeenMessage) if s.outcome in ("processed", "review"))


def check_exactly_once(engine: Engine, dovecot: DovecotServer, smtp: SmtpServer, mails: list[Mail], *,
                       lost: frozenset[str] = frozenset(), unanswered: frozenset[str] = frozenset()) -> None:
    """The guarantee. ``lost``: Message-IDs of outbox rows legitimately left 'unknown' (never resent);
    ``unanswered``: Message-IDs of messages that get no reply (e.g. one that kept failing)."""
    ids = [m.message_id for m in mails]
    assert len(set(ids)) == len(ids)
    # The database: each message decided exactly once, nothing else decided.
    assert decided(engine) == Counter(ids)
    # The server: nothing left in an INBOX, nothing deleted, nothing copied twice.
    where = where_is(dovecot)
    assert where["INBOX"] == Counter()
    assert where["Processed"] + where["Needs Review"] == Counter(ids)
    outcome = {s.message_id: s.outcome for s in rows(engine, SeenMessage) if s.outcome in ("processed", "review")}
    for m in mails:
        box = "Processed" if outcome[m.message_id] == "processed" else "Needs Review"
        assert where[box][m.message_id] == 1, (m.message_id, box)
    # The outbox: nothing pending or half-sent; every sent row received exactly once.
    outbox = rows(engine, OutboxRow)
    statuses = Counter(r.status for r in outbox)
    assert statuses["pending"] == statuses["sending"] == statuses["committing"] == statuses["failed"] == 0, statuses
    unknown = {r.message_id for r in outbox if r.status == "unknown"}
    assert unknown == set(lost)
    got = Counter(str(m["Message-ID"]) for m in received(smtp.handler))
    assert got == Counter(r.message_id for r in outbox if r.status == "sent"), "a mail was sent twice or not at all"
    # Replies, by the message they answer: one per message (the 'unknown' one: none).
    lost_parents = {r.in_reply_to for r in outbox if r.status == "unknown" and r.in_reply_to}
    assert replies_by_parent(smtp.handler) == Counter(i for i in ids if i not in lost_parents | unanswered)

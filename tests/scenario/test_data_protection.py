"""Archived mail is private to the bot's user, and old records are purged on request."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.retention import purge
from bot.store.models import AuditEvent, Document, Organization, SeenMessage
from tests.scenario.harness import World
from tests.scenario.hope import ED, ORG, agreement

pytestmark = pytest.mark.slow


def test_archive_is_0600_in_0700_folders_and_purge_keeps_the_state(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url)
    w.mail("training", ED, "Agreement", attachments=(("a.pdf", agreement()),))
    w.poll()
    files = list((w.root / "archive").rglob("*.eml"))
    assert files
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        for folder in (f.parent, f.parent.parent, w.root / "archive"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((w.root / "outbox").stat().st_mode) == 0o700
    # Seven years and a day later (on the bot's clock, whatever the machine's) the raw mail
    # and message records go; the organization stays.
    bot = w.at("2033-12-01T09:00:00-08:00").app()
    assert purge(bot, dry_run=True).messages == 1
    assert w.query(SeenMessage)  # a dry run deletes nothing
    done = purge(bot)
    bot.close()
    assert (done.files, done.documents) == (len(files), 1)
    assert not list((w.root / "archive").rglob("*.eml"))
    assert not [s for s in w.query(SeenMessage) if s.outcome == "processed"] and not w.query(Document)
    assert w.org(ORG).agreement == "accepted" and w.query(Organization)
    assert any(e.action == "purge" for e in w.query(AuditEvent))

"""Secrets come only from the environment and never reach a log, the database or a mail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.pipeline import write_config

pytestmark = pytest.mark.integration
WRONG_IMAP = "Imap-Secret-7f3a9c"  # wrong on purpose: the login fails and the error is logged
SMTP_SECRET = "Smtp-Secret-41d2e8"


def test_no_secret_in_logs_database_or_mail(lahsa, smtp, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HMISBOT_TEST_IMAP_PASSWORD", WRONG_IMAP)
    monkeypatch.setenv("HMISBOT_TEST_SMTP_PASSWORD", SMTP_SECRET)
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = write_config(tmp_path, db, lahsa, smtp)
    out = subprocess.run([sys.executable, "-m", "bot", "-v", "--config", str(config), "poll", "--once"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 1  # the mailboxes could not be checked: something needs attention
    assert "login" in (out.stdout + out.stderr).lower() or "auth" in (out.stdout + out.stderr).lower()
    for secret in (WRONG_IMAP, SMTP_SECRET):
        assert secret not in out.stdout and secret not in out.stderr
    engine = create_engine(db)
    with engine.connect() as conn:
        dump = "\n".join(str(row) for table in ("mailbox_state", "outbox", "audit_event")
                         for row in conn.execute(text(f"SELECT * FROM {table}")))
    engine.dispose()
    assert "training" in dump  # the failure itself was recorded (without the password)
    for secret in (WRONG_IMAP, SMTP_SECRET):
        assert secret not in dump
    assert SMTP_SECRET not in (tmp_path / "mailboxes.yaml").read_text()

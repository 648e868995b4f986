"""The database under test: a fresh PostgreSQL database, and reading rows back.

PostgreSQL comes from scripts/test.sh (HMISBOT_TEST_PG_URL); without it a test that
needs it is skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from bot.store.models import MailboxState, SeenMessage

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pg_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    url = os.environ.get("HMISBOT_TEST_PG_URL")
    if not url:
        if IN_CI:
            pytest.fail("HMISBOT_TEST_PG_URL is not set under CI: run the tests with scripts/test.sh")
        pytest.skip("PostgreSQL not available: run the tests with scripts/test.sh to include it")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"hmisbot_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine) as s:
        return list(s.exec(select(model)).all())


def seen_rows(engine: Engine) -> list[SeenMessage]:
    with Session(engine) as s:
        return list(s.exec(select(SeenMessage).order_by(SeenMessage.id)).all())  # type: ignore[arg-type]


def first_contact_made(engine: Engine, mailboxes: int = 3) -> bool:
    """Whether a running bot has made first contact with each mailbox (False while it has
    not yet created its tables)."""
    try:
        with Session(engine) as s:
            states = s.exec(select(MailboxState)).all()
    except Exception:  # the tables may not exist yet
        return False
    return len(states) == mailboxes and all(m.baseline_done for m in states)


def _drop(admin: Engine, name: str, tries: int = 5) -> None:
    """Drop a test database; a server process in it that we may not end (autovacuum) is waited out."""
    for attempt in range(tries):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5 * (attempt + 1))

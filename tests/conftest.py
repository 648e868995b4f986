"""Fixtures shared by every test: the database under test, SQLite or PostgreSQL.

Every test that takes ``db_url`` runs twice: on SQLite (the embedded default) and
on PostgreSQL (multi-instance deployments), each time on a fresh, empty database.
PostgreSQL comes from scripts/test.sh (HMISBOT_TEST_PG_URL); without it the
PostgreSQL half is skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CORPUS = Path(os.environ.get("HMISBOT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))


def pg_database() -> Iterator[str]:
    url = os.environ.get("HMISBOT_TEST_PG_URL")
    if not url:
        if IN_CI:
            pytest.fail("HMISBOT_TEST_PG_URL is not set under CI: run the tests with scripts/test.sh")
        pytest.skip("PostgreSQL not available: run the tests with scripts/test.sh to include it")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"hmisbot_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hmisbot.sqlite3'}"
    else:
        yield from pg_database()

"""Fixtures shared by every test: the database under test, SQLite or PostgreSQL.

Every test that takes ``db_url`` (or ``engine``) runs twice: on SQLite (the embedded
default) and on PostgreSQL (multi-instance deployments), each time on a fresh, empty
database. PostgreSQL comes from scripts/test.sh (HMISBOT_TEST_PG_URL); without it the
PostgreSQL half is skipped, except under CI, where that is a failure. The helpers
behind these fixtures, and those test modules share, are in tests/support.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.support.db import IN_CI, pg_database

__all__ = ["CORPUS", "IN_CI"]

CORPUS = Path(os.environ.get("HMISBOT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hmisbot.sqlite3'}"
    else:
        yield from pg_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url``, left empty: the code under test creates the schema (init_db)."""
    from bot.store.db import make_engine

    e = make_engine(db_url)
    yield e
    e.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """``engine`` with the schema migrated to head, for tests that start from the tables
    (``pytestmark = pytest.mark.usefixtures("migrated")``)."""
    from bot.store.db import init_db

    init_db(engine)
    return engine


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (multi-instance deployments need PostgreSQL)."""
    yield from pg_database()

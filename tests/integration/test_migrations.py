"""The Alembic migrations build exactly the schema the models describe.

A column or index added to bot/store/models.py without a migration would exist in
tests that create tables from the models but not in a deployed database: every
database here is built by the migrations (init_db), so compare the two.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.store.db import init_db, make_engine


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        init_db(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"the models differ from the migrated schema: {diff}"

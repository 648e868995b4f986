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


def test_head_constant_names_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from bot.store.db import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == HEAD


def test_a_database_at_head_starts_without_importing_alembic(db_url: str) -> None:
    import subprocess
    import sys

    engine = make_engine(db_url)
    try:
        init_db(engine)  # migrate once
    finally:
        engine.dispose()
    code = ("import sys; from bot.store.db import init_db, make_engine; e = make_engine(sys.argv[1]); "
            "init_db(e); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, db_url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

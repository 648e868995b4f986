"""Engines, sessions and migrations for the tracking database.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so the web view
and a poller can share it; PostgreSQL serves deployments with several instances.
The SQLite file holds personal data like the archive does, so it is kept the same
way: the file and its -wal/-shm are 0600 and a folder the engine creates is 0700.
``init_db`` runs the Alembic migrations to head and is safe to run any number of times;
on a database already at head it does not even import Alembic (~9 MB resident, for
every start of the bot).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0006"  # the newest revision in migrations/versions (tests/integration/test_migrations.py checks)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _private_sqlite(path: Path) -> None:
    """Make the database file (and its -wal/-shm, if left by an older run) 0600, and a new folder 0700.

    SQLite gives the -wal and -shm it creates the main file's mode, so creating the main
    file 0600 before SQLite opens it keeps all three private, without a process-wide umask.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        os.chmod(path.parent, 0o700)  # mkdir's mode is filtered by the umask
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            os.chmod(file, 0o600)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_MIGRATING = threading.Lock()
MIGRATION_LOCK_KEY = 0x686D6973  # "hmis": any fixed number shared by every hmisbot instance


def init_db(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision (idempotent).

    Alembic keeps its running context in module globals, so two threads migrating at
    once corrupt each other: migrations in one process are serialised.
    """
    if _revision(engine) == HEAD:
        return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with _MIGRATING, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several instances starting at once on a new database: one migrates, the others
            # wait for it and then find the schema at head (the lock ends with the transaction).
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _revision(engine: Engine) -> str | None:
    """The database's Alembic revision; None for a new database (no alembic_version table)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

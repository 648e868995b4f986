"""The SQLite database is private like the archive: 0600 files (with -wal and -shm) in a 0700 folder.

Issue 14, row 7: the demo left ``hmisbot.sqlite3`` and its -wal/-shm 0644 in a 0755
folder. The engine now creates the file 0600 before SQLite opens it (SQLite gives
the -wal and -shm the same mode) and a folder it has to make 0700, under the usual
umask 022, and tightens the files of an older database on the next start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import make_engine


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_its_wal_and_shm_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    db = tmp_path / "new" / "hmisbot.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:  # an open connection keeps the -wal and -shm in place
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        conn.commit()
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(db.parent) == 0o700
    engine.dispose()


def test_an_older_world_readable_database_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "hmisbot.sqlite3"
    for name in (db.name, db.name + "-wal", db.name + "-shm"):
        (tmp_path / name).write_bytes(b"")
        os.chmod(tmp_path / name, 0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert [_mode(tmp_path / n) for n in (db.name, db.name + "-wal", db.name + "-shm")] == [0o600] * 3

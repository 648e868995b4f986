"""Fixtures for the staff site: a copy of the demo's database, a logged-in client, a server.

The demo (``bot.demo.run_demo``: 14 generated messages over three office days) is
built once per session and copied for each test, so every test starts from the
same realistic state and may change it. ``fill`` (bench/web.py) builds larger
synthetic databases, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its TestClient; httpx (a dependency already) works the same.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bot.app import App
from bot.clock import parse_now
from bot.config import load_config, parse_config
from bot.store.db import init_db
from bot.web.app import create_app
from bot.web.auth import hash_password

EMAIL, PASSWORD = "ana.staff@lahsa.org", "correct horse battery staple"
HASH = hash_password(PASSWORD, n=2**12)  # a cheap hash keeps the tests quick; production uses 2**15
LA = ZoneInfo("America/Los_Angeles")
WEB = f"""
web:
  users:
    - {{name: Ana Staff, email: {EMAIL}, password_hash: "{HASH}"}}
"""


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bot.demo import run_demo

    folder = tmp_path_factory.mktemp("web-demo")
    assert run_demo(folder) == 0
    return folder


@dataclass
class Site:
    folder: Path
    bot: App

    def sql(self, statement: str, **params: object) -> list[tuple[Any, ...]]:
        with self.bot.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(r) for r in result.all()] if result.returns_rows else []


def demo_site(master: Path, folder: Path, now: str = "2026-12-03T10:00:00-08:00", web: str = WEB) -> Site:
    """A private copy of the demo, with a web section and archive paths pointing into the copy."""
    shutil.copytree(master, folder)
    config_path = folder / "mailboxes.yaml"
    config_path.write_text(config_path.read_text() + web)
    config = load_config(config_path)
    site = Site(folder, App.build(config, parse_now(now, LA)))
    site.sql("UPDATE seen_message SET archive_path = replace(archive_path, :old, :new)",
             old=str(master.resolve()), new=str(folder.resolve()))
    return site


@pytest.fixture
def site(demo_master: Path, tmp_path: Path) -> Iterator[Site]:
    s = demo_site(demo_master, tmp_path / "demo")
    yield s
    s.bot.close()


def review_of(site: Site, sender: str) -> int:
    """The open review item of a demo message, found by its sender (ids depend on arrival order)."""
    rows = site.sql(f"SELECT id FROM review_item WHERE sender = '{sender}' ORDER BY id")
    assert rows, f"no review item from {sender}"
    return int(rows[0][0])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"csrf": token, "email": email, "password": password, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def client_for(bot: App, peer: str = "testclient", base_url: str = "http://127.0.0.1") -> TestClient:
    """A client of a new app for ``bot``; ``peer`` is the connection's address (e.g. a proxy's)."""
    return TestClient(create_app(bot), base_url=base_url, follow_redirects=False, client=(peer, 50000))


@pytest.fixture
def client(site: Site) -> TestClient:
    return client_for(site.bot)


@pytest.fixture
def staff(client: TestClient) -> TestClient:
    """A client logged in as Ana Staff."""
    login(client)
    return client


def synthetic_site(folder: Path, db_url: str, now: datetime, orgs: int, users: int) -> Site:
    """bench/web.py's database at a small size, on the given database (SQLite or PostgreSQL)."""
    from bench.web import fill

    yaml = f"""\
database: {db_url}
archive_dir: {folder / 'archive'}
send: {{backend: outbox_dir, path: {folder / 'outbox'}, from: "LAHSA HMIS <HMISsupport@lahsa.org>"}}
mailboxes:
  support: {{address: HMISsupport@lahsa.org, backend: maildir, path: {folder / 'mail'}}}
staff:
  implementation: {{primary: impl@lahsa.org}}
  training: {{primary: training@lahsa.org}}
  access: {{primary: access@lahsa.org}}
""" + WEB
    bot = App.build(parse_config(yaml, base_dir=folder), now)
    init_db(bot.engine)
    fill(bot.engine, orgs, users)
    return Site(folder, bot)

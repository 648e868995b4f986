"""Benchmark of the staff site's pages on a large database, timed server-side.

Fills a fresh SQLite database (or ``--db URL``) with ``--orgs`` organizations and
``--users`` users spread over them, each organization with programs, contacts, a
message history (seen messages, documents, audit events, outbox rows) and some open
review items, all by bulk insert (seconds, not minutes). Then, logged in through
the site's own login form, it requests each page ``--repeat`` times with
Starlette's TestClient (in process: no network, no browser) and prints the median
and 95th percentile in milliseconds. The target is under 200 ms per page.

    .venv/bin/python bench/web.py                     # 500 organizations, 10,000 users
    .venv/bin/python bench/web.py --orgs 50 --users 500 --repeat 5   # smoke

``fill`` is also what tests/web use to build a database with a known shape.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.store.models import (  # noqa: E402
    AuditEvent,
    Contact,
    Document,
    HmisUser,
    Organization,
    OutboxRow,
    Program,
    ReviewItem,
    SeenMessage,
)

NOW = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)  # a Thursday, 10:00 in Los Angeles
AGREEMENTS = ("missing", "received", "rejected", "accepted", "accepted", "countersigned", "countersigned")
SETUPS = ("requested", "awaiting_confirmation", "confirmed", "confirmed", "confirmed", "not_needed")
ACCESS = ("blocked", "waiting_on_user", "waiting_on_user", "ready", "granted", "granted", "overdue")
ROLES = ("outreach", "housing_navigator", "assessment_only", "housing_provider", "community_matcher")
PROGRAM_TYPES = ("outreach", "emergency_shelter_transitional_housing", "permanent_housing", "access_center")


def _org_rows(rnd: random.Random, orgs: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"Organization {i:04d} Services", "aliases": [], "email_domains": [f"org{i}.org"],
             "ces_roles": ["housing_navigation"], "agreement": rnd.choice(AGREEMENTS), "agreement_note": None,
             "agreement_at": NOW - timedelta(days=30), "created_at": NOW - timedelta(days=60)}
            for i in range(1, orgs + 1)]


def _children(rnd: random.Random, org: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    i = org["id"]
    programs = [{"org_id": i, "name": f"Program {k}", "type": rnd.choice(PROGRAM_TYPES), "setup": rnd.choice(SETUPS),
                 "requested_at": NOW - timedelta(days=rnd.randint(1, 20)), "followup_at": None,
                 "confirmed_at": None, "thread_id": None}
                for k in range(rnd.randint(0, 3))]
    contacts = [{"org_id": i, "name": "Pat Manager", "email": f"pm@org{i}.org", "role": "program_manager",
                 "undeliverable": False},
                {"org_id": i, "name": "Dana Director", "email": f"ed@org{i}.org", "role": "executive_director",
                 "undeliverable": False}]
    return programs, contacts


def _user_rows(rnd: random.Random, orgs: int, users: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(users):
        org_id = n % orgs + 1
        access = rnd.choice(ACCESS)
        due = (NOW.date() + timedelta(days=rnd.randint(-6, 6))) if access in ("ready", "overdue") else None
        rows.append({
            "org_id": org_id, "name": f"User {n:05d}", "email": f"user{n}@org{org_id}.org",
            "roles": [rnd.choice(ROLES)], "new_user": rnd.random() < 0.5,
            "trainings": {"HMIS 10": "2026-11-20"} if rnd.random() < 0.6 else {},
            "forms": {"user_agreement": "accepted"} if rnd.random() < 0.5 else {},
            "access": access, "ready_on": due - timedelta(days=5) if due else None, "access_due": due,
            "granted_at": NOW if access == "granted" else None,
        })
    return rows


def _history(org_id: int, seen_start: int, messages: int) -> dict[str, list[dict[str, Any]]]:
    """Per organization: messages with one document each, two audit events and one reply per message."""
    out: dict[str, list[dict[str, Any]]] = {"seen": [], "docs": [], "audit": [], "outbox": []}
    for k in range(messages):
        sid, at = seen_start + k, NOW - timedelta(days=messages - k, minutes=org_id)
        out["seen"].append({
            "id": sid, "mailbox": "support", "uidvalidity": "1", "uid": str(sid), "message_id": f"<m{sid}@org>",
            "sha256": f"{sid:064x}", "sender": f"pm@org{org_id}.org", "subject": f"Forms {k}", "kind": "other",
            "outcome": "processed", "settled": True, "attempts": 1, "org_id": org_id, "archive_path": None,
            "received_at": at, "processed_at": at})
        out["docs"].append({
            "seen_id": sid, "filename": f"scan{k}.pdf", "kind": "user_agreement", "confidence": 0.97, "pages": [1],
            "fields": {"email": f"user{k}@org{org_id}.org"}, "checks": {"signed": True, "filled": True},
            "text_source": "ocr", "sha256": f"{sid:064x}", "org_id": org_id, "status": "accepted"})
        out["audit"] += [{"at": at, "actor": "bot", "action": a, "org_id": org_id, "seen_id": sid,
                          "detail": {"user": f"user{k}@org{org_id}.org"}} for a in ("form_accepted", "roster")]
        out["outbox"].append({
            "key": f"<m{sid}@org>:reply", "kind": "receipt", "to_addrs": [f"pm@org{org_id}.org"],
            "to_key": f"pm@org{org_id}.org", "subject": f"Received: Forms {k}", "text": "x" * 2000,
            "html": "<p>" + "x" * 4000 + "</p>", "message_id": f"<r{sid}@lahsa.org>", "status": "sent",
            "attempts": 1, "seen_id": sid, "org_id": org_id, "created_at": at, "sent_at": at})
    return out


def fill(engine: Engine, orgs: int = 500, users: int = 10_000, messages: int = 12, seed: int = 7) -> None:
    """Bulk-insert a realistic database of the given size (the schema must exist)."""
    rnd = random.Random(seed)
    org_rows = _org_rows(rnd, orgs)
    programs: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    history: dict[str, list[dict[str, Any]]] = {"seen": [], "docs": [], "audit": [], "outbox": []}
    for org in org_rows:
        p, c = _children(rnd, org)
        programs += p
        contacts += c
        for key, rows in _history(org["id"], len(history["seen"]) + 1, messages).items():
            history[key] += rows
    review = [{"seen_id": s["id"], "reason": "could not read scan.pdf", "mailbox": "support", "subject": s["subject"],
               "sender": s["sender"], "org_id": s["org_id"], "created_at": s["received_at"], "escalated": False}
              for s in history["seen"][:: max(1, len(history["seen"]) // 40)]]
    with engine.begin() as conn:
        for model, rows in ((Organization, org_rows), (Program, programs), (Contact, contacts),
                            (HmisUser, _user_rows(rnd, orgs, users)), (SeenMessage, history["seen"]),
                            (Document, history["docs"]), (AuditEvent, history["audit"]),
                            (OutboxRow, history["outbox"]), (ReviewItem, review)):
            conn.execute(insert(model.__table__), rows)  # type: ignore[union-attr]
    if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequences past them
        with engine.begin() as conn:
            for table in ("organization", "seen_message"):
                conn.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")


def _config(folder: Path, db: str, password_hash: str) -> str:
    return f"""\
database: {db}
archive_dir: {folder / 'archive'}
send: {{backend: outbox_dir, path: {folder / 'outbox'}, from: "LAHSA HMIS <HMISsupport@lahsa.org>"}}
mailboxes:
  support: {{address: HMISsupport@lahsa.org, backend: maildir, path: {folder / 'mail'}}}
staff:
  implementation: {{primary: impl@lahsa.org}}
  training: {{primary: training@lahsa.org}}
  access: {{primary: access@lahsa.org}}
web:
  users: [{{name: Bench, email: bench@lahsa.org, password_hash: "{password_hash}"}}]
"""


def _time(client: Any, path: str, repeat: int) -> tuple[float, float, int]:
    client.get(path)  # warm: first use of a template compiles it
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(path)
        ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    ms.sort()
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], len(r.content)


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--orgs", type=int, default=500)
    args.add_argument("--users", type=int, default=10_000)
    args.add_argument("--repeat", type=int, default=30)
    args.add_argument("--db", help="database URL (default: a new SQLite file)")
    opts = args.parse_args()
    with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 for its TestClient; httpx works the same
        warnings.filterwarnings("ignore", message=".*httpx2.*")
        from starlette.testclient import TestClient

    from bot.app import App
    from bot.config import parse_config
    from bot.store.db import init_db
    from bot.web.app import create_app
    from bot.web.auth import hash_password

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = opts.db or f"sqlite:///{folder / 'bench.sqlite3'}"
        config = parse_config(_config(folder, db, hash_password("bench password 1", n=2**14)), base_dir=folder)
        bot = App.build(config, NOW)
        init_db(bot.engine)
        t0 = time.perf_counter()
        fill(bot.engine, opts.orgs, opts.users)
        shown = bot.engine.url.render_as_string(hide_password=True)
        print(f"filled {opts.orgs} organizations, {opts.users} users in {time.perf_counter() - t0:.1f} s ({shown})")
        client = TestClient(create_app(bot), base_url="http://127.0.0.1")
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token, "no CSRF token on the login page"
        client.post("/login", data={"csrf": token.group(1), "email": "bench@lahsa.org", "password": "bench password 1"})
        pages = {"board": "/", "organization": f"/orgs/{opts.orgs // 2}", "user": f"/users/{opts.users // 2}",
                 "review queue": "/review", "today: implementation": "/today/implementation",
                 "today: training": "/today/training", "today: access": "/today/access"}
        print(f"{'page':22} {'median ms':>10} {'p95 ms':>8} {'KB':>6}  (n={opts.repeat}, target < 200 ms)")
        slow = False
        for name, path in pages.items():
            median, p95, size = _time(client, path, opts.repeat)
            slow = slow or p95 >= 200
            print(f"{name:22} {median:10.1f} {p95:8.1f} {size / 1024:6.0f}")
        bot.close()
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())

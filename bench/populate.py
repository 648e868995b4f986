"""Fill a tracking database with a realistic large picture, fast (bulk inserts).

Used by the status/digest and web benchmarks: N organizations at every step of the
process, with programs and users spread over every access state.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.store.models import Contact, HmisUser, Organization, Program, ReviewItem

AGREEMENTS = ("missing", "received", "rejected", "accepted", "countersigned", "accepted", "countersigned")
SETUPS = ("requested", "awaiting_confirmation", "confirmed", "confirmed", "not_needed")
TYPES = ("outreach", "access_center", "emergency_shelter_transitional_housing", "assessment_only",
         "permanent_housing")
ROLES = ("outreach", "housing_navigator", "assessment_only", "housing_provider", "community_coordinator")
ACCESS = ("blocked", "waiting_on_user", "ready", "granted", "granted", "overdue")


def populate(engine: Engine, orgs: int = 500, users: int = 10_000, seed: int = 1) -> None:
    rnd = random.Random(seed)
    now = datetime(2026, 12, 1, 17, tzinfo=UTC)
    org_rows = [{"id": i + 1, "name": f"Organization {i + 1:04d}", "aliases": [], "email_domains": [f"org{i + 1}.org"],
                 "ces_roles": ["housing_navigation"], "agreement": rnd.choice(AGREEMENTS), "created_at": now}
                for i in range(orgs)]
    contacts, programs = [], []
    for o in org_rows:
        contacts.append({"org_id": o["id"], "name": "PM", "email": f"pm@org{o['id']}.org", "role": "program_manager",
                         "undeliverable": False})
        for p in range(rnd.randint(1, 4)):
            programs.append({"org_id": o["id"], "name": f"Program {p}", "type": rnd.choice(TYPES),
                             "setup": rnd.choice(SETUPS), "requested_at": now - timedelta(days=rnd.randint(1, 30))})
    user_rows = []
    for u in range(users):
        org_id = rnd.randint(1, orgs)
        access = rnd.choice(ACCESS)
        user_rows.append({
            "org_id": org_id, "name": f"User {u}", "email": f"user{u}@org{org_id}.org",
            "roles": rnd.sample(ROLES, rnd.randint(1, 2)), "new_user": rnd.random() < 0.6,
            "trainings": {"HMIS 10": "2026-11-01"} if rnd.random() < 0.5 else {},
            "forms": {"user_agreement": "accepted"} if rnd.random() < 0.7 else {}, "access": access,
            "access_due": date(2026, 12, rnd.randint(1, 20)) if access in ("ready", "overdue") else None})
    reviews = [{"reason": "kind uncertain", "mailbox": "support", "subject": f"Forms {i}", "sender": f"x{i}@a.org",
                "created_at": now - timedelta(days=i % 5), "escalated": False} for i in range(50)]
    with engine.begin() as conn:
        conn.execute(insert(Organization), org_rows)
        conn.execute(insert(Contact), contacts)
        conn.execute(insert(Program), programs)
        conn.execute(insert(HmisUser), user_rows)
        conn.execute(insert(ReviewItem), reviews)

"""Training completion rosters: one message touches users of many organizations.

Each row names a user (by email) and a training; the user's organization is loaded,
the completion recorded, and access re-derived through the same ``refresh_access``
as every other change. Rows that match nobody go to review, listed by address.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.calendar import BusinessCalendar
from bot.ces.parse import parse_training
from bot.core.decide import Decision, Mail
from bot.core.replies import handoff_context
from bot.core.state import refresh_access
from bot.mail.message import ParsedMessage
from bot.mail.tables import read_table
from bot.store import repo
from bot.store.models import HmisUser


def roster_rows(msg: ParsedMessage) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for att in msg.attachments:
        if att.filename.lower().endswith((".csv", ".tsv", ".xlsx")):
            rows.extend(read_table(att.filename, att.data))
    return rows


def apply_training_roster(
    session: Session, msg: ParsedMessage, now: datetime, cal: BusinessCalendar, access_duty: str
) -> Decision:
    decision = Decision(org=None)
    by_org: dict[int, list[tuple[str, str, str]]] = {}
    unknown: list[str] = []
    for row in roster_rows(msg):
        email = row.get("email", "").lower()
        training = parse_training(row.get("training", ""))
        if not email or training is None:
            continue
        org_id = session.exec(select(HmisUser.org_id).where(HmisUser.email == email)).first()
        if org_id is None:
            unknown.append(email)
            continue
        by_org.setdefault(org_id, []).append((email, training.value, row.get("date", "") or now.date().isoformat()))
    recorded = 0
    for org_id, items in by_org.items():
        org = repo.load_org(session, org_id)
        for email, course, when in items:
            user = org.user(email)
            if user is not None and course not in user.trainings:
                user.trainings[course] = when
                recorded += 1
        for user in refresh_access(org, now.date(), cal):
            decision.mails.append(Mail("handoff", [access_duty], handoff_context(org, user), f"handoff:{user.email}"))
            decision.events.append(("user_ready", {"email": user.email, "due": str(user.access_due),
                                                   "org_id": org_id}))
        repo.save_org(session, org, now)
    decision.received.append(f"training roster: {recorded} completion(s) recorded")
    decision.events.append(("training_roster", {"recorded": recorded, "unknown": unknown}))
    if unknown:
        decision.review.append("training roster names unknown users: " + ", ".join(sorted(set(unknown))[:20]))
    return decision

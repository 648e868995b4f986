"""Where each organization, program and user stands: the ``status --json`` shape.

Reads the whole picture in a handful of queries (``store.queries.load_all``, not one
per organization), so it stays fast with hundreds of organizations and thousands of
users. States are shown as of the report's day: access past its due date is
``overdue`` even before the nightly escalation job has written it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.ces.rules import Training, hmis_role, required_trainings
from bot.core.state import OrgState, UserState, access_on
from bot.store.queries import load_all, open_reviews


def user_json(org: OrgState, u: UserState, org_ready: bool | None = None, today: date | None = None) -> dict[str, Any]:
    """One user; ``today`` given, a ready user past the due date shows as ``overdue``."""
    roles = u.role_enums()
    required = {t.value for t in required_trainings(roles, u.new_user)} if roles else set()
    # In the order staff schedule the trainings (the Training enum's), then any others on file.
    trainings: dict[str, str] = {t.value: ("completed" if t.value in u.trainings else "missing")
                                 for t in Training if t.value in required}
    trainings.update({t: "completed" for t in u.trainings if t not in trainings})
    forms = {"user_agreement": u.forms.get("user_agreement", "missing")}
    if u.new_user:
        forms["hmis10_acknowledgement"] = u.forms.get("hmis10_acknowledgement", "missing")
    return {
        "name": u.name, "email": u.email, "roles": list(u.roles), "new_user": u.new_user,
        "hmis_role": hmis_role(roles).value if roles else None, "trainings": trainings, "forms": forms,
        "access": access_on(u, today) if today else u.access,
        "access_due": u.access_due.isoformat() if u.access_due else None,
        "missing": [m.text for m in org.user_missing(u, org_ready)],
    }


def org_json(org: OrgState, user_email: str | None = None, today: date | None = None) -> dict[str, Any]:
    users = [u for u in org.users if user_email is None or u.email == user_email.lower()]
    ready = org.ready_for_step3
    return {
        "name": org.name, "aliases": org.aliases, "ces_roles": org.ces_roles, "agreement": org.agreement,
        "agreement_note": org.agreement_note,
        "programs": [{"name": p.name, "type": p.type, "setup": p.setup} for p in org.programs],
        "ready_for_step3": ready, "missing": [m.text for m in org.org_missing()],
        "users": [user_json(org, u, ready, today) for u in users],
    }


def status_report(session: Session, now: datetime, org: str | None = None, user: str | None = None) -> dict[str, Any]:
    """The whole report as of ``now`` (the office's local time: its date is the day states are judged on)."""
    orgs = load_all(session, org)
    if user:
        orgs = [o for o in orgs if o.user(user)]
    return {
        "now": now.isoformat(),
        "organizations": [org_json(o, user, now.date()) for o in orgs],
        "review": [{"id": r.id, "reason": r.reason, "mailbox": r.mailbox, "subject": r.subject, "sender": r.sender}
                   for r in open_reviews(session)],
    }

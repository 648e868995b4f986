"""Scheduled decisions, pure: who needs a reminder, what is overdue and to whom it goes.

Each function takes the organizations (``OrgState``), open review items and the
office date, and returns plain values; the jobs module renders and queues them.
Business days come from ``BusinessCalendar``; nothing here reads a clock. What the
morning digest says is ``core.digest``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from bot.calendar import BusinessCalendar
from bot.core.digest import ReviewView
from bot.core.state import AWAITING_GRANT, OrgState
from bot.core.text import local_date

# Which LAHSA duty owns each inbox's review items.
DUTY_OF_MAILBOX = {"join": "implementation", "training": "training", "support": "access"}


@dataclass(frozen=True)
class Reminder:
    org_id: int
    org_name: str
    to: tuple[str, ...]
    org_missing: tuple[str, ...]
    users: tuple[dict[str, Any], ...]
    names: tuple[str, ...] = ()  # the people greeted
    codes: tuple[str, ...] = ()  # Missing codes, for the next steps
    step: str = "join"  # the inbox whose step the reminder is about (its Reply-To)
    new_users: bool = False


@dataclass(frozen=True)
class Escalation:
    duty: str
    level: int  # 1: the duty's primary; 2: its backup
    key: str
    subject: str
    detail: str
    org_name: str = ""


NO_USERS = "No staff have been named for HMIS access yet (Step 3 is open)."


def _open_items(org: OrgState) -> tuple[tuple[str, ...], tuple[dict[str, Any], ...], tuple[str, ...]]:
    """(organization items, users with items, Missing codes) that wait on the organization."""
    # Setup in progress waits on LAHSA's Implementation Team, not on the manager: not theirs to do.
    missing = [m for m in org.org_missing() if m.code != "program_setup"]
    org_missing = [m.text for m in missing]
    codes = [m.code for m in missing]
    if org.ready_for_step3 and not org.users:
        org_missing.append(NO_USERS)
    users = []
    for u in org.users:
        if u.access in ("granted", *AWAITING_GRANT):
            continue
        lacking = [m for m in org.user_missing(u) if m.code != "org_steps"]
        codes += [m.code for m in lacking]
        if lacking:
            users.append({"name": u.name or u.email, "email": u.email, "missing": [m.text for m in lacking]})
    return tuple(org_missing), tuple(users), tuple(dict.fromkeys(codes))


def _owners(org: OrgState, codes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Who the reminder goes to, whom it greets, and the inbox of its step.

    The agreement is the Executive Director's to sign (a rejected one too); the rest is the
    program managers', or the Executive Director's while the organization has no manager.
    """
    live = [c for c in org.contacts if c.email]
    directors = [c for c in live if c.role == "executive_director"]
    managers = [c for c in live if c.role == "program_manager"]
    if "org_agreement" in codes:
        people, step = directors + managers, "training"
    else:
        people, step = managers or directors, "join"
    people = list({c.email.lower(): c for c in people}.values())
    names = tuple((c.name or "").split()[0] for c in people if (c.name or "").split())
    return tuple(c.email for c in people), names, step


def due_reminders(
    orgs: list[OrgState], last_reminded: dict[int, date | None], today: date, cal: BusinessCalendar, every: int
) -> list[Reminder]:
    """One reminder per organization with something waiting on it, at most every ``every`` business days.

    Every state that waits on the organization has an owner: a rejected agreement and an
    organization with only an Executive Director are reminded too, and so is an
    organization whose Steps 1 and 2 are done but that has named no users.
    """
    if not cal.is_business_day(today):
        return []
    out = []
    for org in orgs:
        org_missing, users, codes = _open_items(org)
        to, names, step = _owners(org, codes)
        if org.id is None or not to or (not org_missing and not users):
            continue
        last = last_reminded.get(org.id)
        if last is not None and cal.business_days_between(last, today) < every:
            continue
        out.append(Reminder(org.id, org.name, to, org_missing, users, names, codes, step,
                            any(u.new_user for u in org.users)))
    return out


def _level(due: date, today: date, cal: BusinessCalendar) -> int:
    """Past due: level 1 (primary) from the next business day, level 2 (backup) one business day later."""
    late = cal.business_days_between(due, today)
    return 0 if late <= 0 else (1 if late == 1 else 2)


def due_escalations(
    orgs: list[OrgState], reviews: list[ReviewView], today: date, cal: BusinessCalendar, after: int,
    review_after: int, tz: tzinfo,
) -> list[Escalation]:
    """Access not granted by its due date; setup confirmations and review items waiting too long."""
    out: list[Escalation] = []
    for org in orgs:
        for user in org.users:
            if user.access in AWAITING_GRANT and user.access_due:
                level = _level(user.access_due, today, cal)
                if level:
                    out.append(Escalation(
                        "access", level, f"access:{user.email}:{level}",
                        f"HMIS access overdue: {user.name or user.email} ({org.name})",
                        f"Access for {user.email} was due {local_date(user.access_due)} and is not recorded as "
                        f"granted.", org.name))
        out.extend(_setup_escalations(org, today, cal, after, tz))
        if org.agreement == "rejected" and org.agreement_at:
            waited = cal.business_days_between(org.agreement_at.astimezone(tz).date(), today)
            if waited >= after:
                out.append(Escalation(
                    "training", 1, f"agreement:{org.name}:{org.agreement_at.date().isoformat()}",
                    f"No corrected Organization Agreement: {org.name}",
                    f"{org.name}'s Organization Agreement was not accepted ({org.agreement_note or 'see the site'}) "
                    f"{waited} business days ago and no corrected copy has arrived.", org.name))
    for item in reviews:
        waited = cal.business_days_between(item.created, today)
        if waited >= review_after:
            duty = DUTY_OF_MAILBOX.get(item.mailbox_role, "implementation")
            out.append(Escalation(
                duty, 1, f"review:{item.id}", f"Review item #{item.id} waiting {waited} business days",
                f"{item.reason} (from {item.sender}: {item.subject})"))
    return out


def _setup_escalations(org: OrgState, today: date, cal: BusinessCalendar, after: int, tz: tzinfo) -> list[Escalation]:
    """One escalation per organization and duty, listing its late programs (not one mail per program)."""
    late: dict[str, list[str]] = {}
    for program in org.programs:
        since = program.followup_at or program.requested_at
        if program.setup in ("requested", "in_setup", "awaiting_confirmation") and since:
            waited = cal.business_days_between(since.astimezone(tz).date(), today)
            if waited >= after:
                what = ("waits for the Program Manager's confirmation" if program.setup == "awaiting_confirmation"
                        else "waits for setup by the Implementation Team")
                late.setdefault(program.setup, []).append(f"{program.name} {what} ({waited} business days)")
    if not late:
        return []
    lines = [line for group in late.values() for line in group]
    key = f"setup:{org.name}:" + ",".join(sorted(late))
    return [Escalation("implementation", 1, key, f"Program setup overdue: {org.name} ({len(lines)} program(s))",
                       "; ".join(lines), org.name)]

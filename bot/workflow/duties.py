"""Scheduled decisions, pure: who needs a reminder, what is overdue, what a digest says.

Each function takes the organizations (``OrgState``), open review items and the
office date, and returns plain values; the jobs module renders and queues them.
Business days come from ``BusinessCalendar``; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from bot.calendar import BusinessCalendar
from bot.workflow.state import OrgState

# Which LAHSA duty owns each inbox's review items.
DUTY_OF_MAILBOX = {"join": "implementation", "training": "training", "support": "access"}


@dataclass(frozen=True)
class Reminder:
    org_id: int
    org_name: str
    to: tuple[str, ...]
    org_missing: tuple[str, ...]
    users: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Escalation:
    duty: str
    level: int  # 1: the duty's primary; 2: its backup
    key: str
    subject: str
    detail: str
    org_name: str = ""


@dataclass(frozen=True)
class ReviewView:
    id: int
    reason: str
    mailbox_role: str
    subject: str
    sender: str
    created: date


def _open_items(org: OrgState) -> tuple[tuple[str, ...], tuple[dict[str, Any], ...]]:
    # Setup in progress waits on LAHSA's Implementation Team, not on the manager: not theirs to do.
    org_missing = tuple(m.text for m in org.org_missing() if m.code != "program_setup")
    users = tuple(
        {"name": u.name or u.email, "email": u.email,
         "missing": [m.text for m in org.user_missing(u) if m.code != "org_steps"]}
        for u in org.users if u.access not in ("granted", "ready", "overdue")
    )
    return org_missing, tuple(u for u in users if u["missing"])


def due_reminders(
    orgs: list[OrgState], last_reminded: dict[int, date | None], today: date, cal: BusinessCalendar, every: int
) -> list[Reminder]:
    """One reminder per organization with something missing, at most every ``every`` business days."""
    if not cal.is_business_day(today):
        return []
    out = []
    for org in orgs:
        managers = tuple(c.email for c in org.managers() if c.email)
        if org.id is None or not managers:
            continue
        org_missing, users = _open_items(org)
        if not org_missing and not users:
            continue
        last = last_reminded.get(org.id)
        if last is not None and cal.business_days_between(last, today) < every:
            continue
        out.append(Reminder(org.id, org.name, managers, org_missing, users))
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
            if user.access in ("ready", "overdue") and user.access_due:
                level = _level(user.access_due, today, cal)
                if level:
                    out.append(Escalation(
                        "access", level, f"access:{user.email}:{level}",
                        f"HMIS access overdue: {user.name or user.email} ({org.name})",
                        f"Access for {user.email} was due {user.access_due.isoformat()} and is not recorded as "
                        f"granted.", org.name))
        for program in org.programs:
            since = program.followup_at or program.requested_at
            if program.setup in ("requested", "in_setup", "awaiting_confirmation") and since:
                waited = cal.business_days_between(since.astimezone(tz).date(), today)
                if waited >= after:
                    what = ("waits for the Program Manager's confirmation" if program.setup == "awaiting_confirmation"
                            else "waits for setup by the Implementation Team")
                    out.append(Escalation(
                        "implementation", 1, f"setup:{org.name}:{program.name}:{program.setup}",
                        f"Program setup overdue: {program.name} ({org.name})",
                        f"{program.name} {what} for {waited} business days.", org.name))
    for item in reviews:
        waited = cal.business_days_between(item.created, today)
        if waited >= review_after:
            duty = DUTY_OF_MAILBOX.get(item.mailbox_role, "implementation")
            out.append(Escalation(
                duty, 1, f"review:{item.id}", f"Review item #{item.id} waiting {waited} business days",
                f"{item.reason} (from {item.sender}: {item.subject})"))
    return out


@dataclass
class DigestData:
    duty: str
    arrivals: list[dict[str, str]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    review: list[ReviewView] = field(default_factory=list)
    health: list[str] = field(default_factory=list)
    funnel: list[tuple[str, int]] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        return bool(self.arrivals or self.waiting or self.overdue or self.review or self.health)


FUNNEL_STEPS = ("Agreement missing", "Agreement accepted", "Programs requested", "Setup confirmed",
                "Users in training", "Users with access")


def funnel(orgs: list[OrgState]) -> list[tuple[str, int]]:
    """Where the organizations stand, step by step (each counted at its furthest step)."""
    counts = dict.fromkeys(FUNNEL_STEPS, 0)
    for org in orgs:
        if org.agreement not in ("accepted", "countersigned"):
            counts["Agreement missing"] += 1
        elif not org.programs:
            counts["Agreement accepted"] += 1
        elif not org.ready_for_step3:
            counts["Programs requested"] += 1
        elif not org.users:
            counts["Setup confirmed"] += 1
        elif any(u.access == "granted" for u in org.users):
            counts["Users with access"] += 1
        else:
            counts["Users in training"] += 1
    return list(counts.items())


def waiting_on_lahsa(duty: str, orgs: list[OrgState], today: date) -> tuple[list[str], list[str]]:
    """(waiting, overdue) lines for one duty."""
    waiting: list[str] = []
    overdue: list[str] = []
    for org in orgs:
        if duty == "training" and org.agreement == "accepted":
            waiting.append(f"{org.name}: Organization Agreement accepted, awaiting LAHSA countersignature")
        if duty == "implementation":
            waiting.extend(f"{org.name}: set up {p.name} ({p.type.replace('_', ' ')})"
                           for p in org.programs if p.setup in ("requested", "in_setup"))
        if duty == "access":
            for u in org.users:
                if u.access == "ready" and u.access_due:
                    line = f"{org.name}: create HMIS access for {u.name or u.email} by {u.access_due.isoformat()}"
                    (overdue if today > u.access_due else waiting).append(line)
                elif u.access == "overdue":
                    overdue.append(f"{org.name}: HMIS access for {u.name or u.email} was due "
                                   f"{u.access_due.isoformat() if u.access_due else '?'}")
    return waiting, overdue

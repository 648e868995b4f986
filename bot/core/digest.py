"""What a duty's morning digest says, pure: the funnel, and who waits on whom since when.

The jobs module loads the organizations (``OrgState``), the open review queue and the
messages handled since the last business day, and renders what these functions return.
Nothing here reads a clock or the database: the office date, the business calendar and
the office time zone come in as arguments.

Which duty reads what follows LAHSA's procedure (PROCESS.md): agreements and trainings
are the training duty's, program setup the implementation duty's, forms and accounts
the access duty's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from bot.calendar import BusinessCalendar
from bot.ces.rules import AGREEMENT_DONE, org_ready_for_step3
from bot.core.arrivals import Arrival, describe
from bot.core.state import AWAITING_GRANT, OrgState, UserState, access_on
from bot.core.text import local_date
from bot.core.vocabulary import label

FUNNEL_STEPS = ("Agreement missing", "Agreement not accepted", "Agreement accepted", "Programs requested",
                "Setup confirmed", "Users in training", "Users waiting for access", "All users have access")


def funnel_step(agreement: str, setups: list[str], users: int, granted: int, ready: int) -> str:
    """The step an organization stands at: that of its least advanced open item.

    - "Agreement missing": no agreement decided yet (none received, or one received and
      not yet read); "Agreement not accepted": the last one was rejected, a corrected
      copy is owed. Nothing further counts until the agreement is accepted.
    - "Agreement accepted": no program named yet; "Programs requested": some program is
      not yet set up or not yet confirmed (a modification after users got access too).
    - "Setup confirmed": Steps 1 and 2 are complete and no user has been named.
    - "Users in training": some user still lacks a training, a form or a role;
      "Users waiting for access": every user without access is ready (LAHSA's turn);
      "All users have access": every named user has been granted access.

    From counts (``users``, those ``granted``, those ``ready`` or overdue), so the staff
    site's board, which counts in SQL, puts every organization in the same column.
    """
    if agreement == "rejected":
        return "Agreement not accepted"
    if agreement not in AGREEMENT_DONE:
        return "Agreement missing"
    if not setups:
        return "Agreement accepted"
    if not org_ready_for_step3(agreement, setups):
        return "Programs requested"
    if not users:
        return "Setup confirmed"
    if granted == users:
        return "All users have access"
    return "Users waiting for access" if granted + ready == users else "Users in training"


def funnel(orgs: list[OrgState]) -> list[tuple[str, int]]:
    """How many organizations stand at each step (``funnel_step``), in step order."""
    counts = dict.fromkeys(FUNNEL_STEPS, 0)
    for org in orgs:
        granted = sum(1 for u in org.users if u.access == "granted")
        ready = sum(1 for u in org.users if u.access in AWAITING_GRANT)
        counts[funnel_step(org.agreement, [p.setup for p in org.programs], len(org.users), granted, ready)] += 1
    return list(counts.items())


@dataclass(frozen=True)
class Wait:
    """Something an organization or a user owes, and for how many business days it has been owed."""

    org: str
    what: str
    days: int | None = None  # None: when it began is not on file

    @property
    def line(self) -> str:
        since = "" if self.days is None else f" ({self.days} business day{'' if self.days == 1 else 's'})"
        return f"{self.org}: {self.what}{since}"


def _days(since: date | datetime | None, today: date, cal: BusinessCalendar, tz: tzinfo) -> int | None:
    if since is None:
        return None
    day = since.astimezone(tz).date() if isinstance(since, datetime) else since
    return max(0, cal.business_days_between(day, today))


def _steps_done_at(org: OrgState) -> datetime | None:
    """When Steps 1 and 2 were last completed: the latest of the agreement and each program's last step."""
    times = [org.agreement_at] + [p.confirmed_at or (p.requested_at if p.setup == "not_needed" else None)
                                  for p in org.programs]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def waiting_on_orgs(duty: str, orgs: list[OrgState], today: date, cal: BusinessCalendar, tz: tzinfo) -> list[Wait]:
    """What organizations owe, for the duty that receives it: a corrected agreement and the first
    users for training (training), the Program Manager's confirmation of a setup (implementation).

    The forms users owe are the access duty's, in ``forms_missing``.
    """
    out: list[Wait] = []
    for org in orgs:
        if duty == "training" and org.agreement == "rejected":
            why = f" ({org.agreement_note})" if org.agreement_note else ""
            out.append(Wait(org.name, f"Organization Agreement not accepted{why}; no corrected copy yet",
                            _days(org.agreement_at, today, cal, tz)))
        if duty == "training" and org.ready_for_step3 and not org.users:
            out.append(Wait(org.name, "Steps 1 and 2 complete (Step 3 open), no users named for training",
                            _days(_steps_done_at(org), today, cal, tz)))
        if duty == "implementation":
            unconfirmed = [p for p in org.programs if p.setup == "awaiting_confirmation"]
            followups = [p.followup_at for p in unconfirmed if p.followup_at]
            if unconfirmed:
                out.append(Wait(org.name, "the Program Manager has not confirmed the setup of "
                                + ", ".join(p.name for p in unconfirmed),
                                _days(min(followups) if followups else None, today, cal, tz)))
    return sorted(out, key=lambda w: -(w.days or 0))


def _completed_on(user: UserState) -> date | None:
    """The day the user's last training was completed, when the roster gave a readable date."""
    days = []
    for value in user.trainings.values():
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            try:
                days.append(datetime.strptime(value, "%m/%d/%Y").date())
            except ValueError:
                continue  # a date the roster wrote some other way: not counted, not fatal
    return max(days) if days else None


def forms_missing(orgs: list[OrgState], today: date, cal: BusinessCalendar, tz: tzinfo) -> list[Wait]:
    """Users who completed every training their roles require but whose User Agreement or
    HMIS 10 Acknowledgement Form is missing (or was not accepted): the access duty's chase."""
    out: list[Wait] = []
    for org in orgs:
        for user in org.users:
            if user.access == "granted" or not user.roles:
                continue
            missing = [m.code for m in org.user_missing(user) if m.code != "org_steps"]
            forms = [c.partition(":")[2] for c in missing if c.startswith("form:")]
            if not forms or len(forms) != len(missing):
                continue  # nothing owed, or a training (or a role) is still owed too
            owed = ", ".join(label(f) + (" (not accepted)" if user.forms.get(f) == "rejected" else "")
                             for f in forms)
            who = f"{user.name} <{user.email}>" if user.name else user.email
            out.append(Wait(org.name, f"{who}: {owed} missing",
                            _days(_completed_on(user), today, cal, tz)))
    return sorted(out, key=lambda w: -(w.days or 0))


def waiting_on_lahsa(duty: str, orgs: list[OrgState], today: date) -> tuple[list[str], list[str]]:
    """(waiting, overdue) lines of LAHSA's own work for one duty; access past due is overdue today,
    whether or not the escalation job has run."""
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
                due = local_date(u.access_due) or "?"
                if access_on(u, today) == "overdue":
                    overdue.append(f"{org.name}: HMIS access for {u.name or u.email} was due {due}")
                elif u.access == "ready":
                    waiting.append(f"{org.name}: create HMIS access for {u.name or u.email} by {due}")
    return waiting, overdue


def arrival_view(arrival: Arrival) -> dict[str, Any]:
    """One message for the digest: who sent what about which organization, and what it did."""
    return {"sender": arrival.sender, "subject": arrival.subject, "org": arrival.org_name or "",
            "what": describe(arrival), "review": arrival.outcome == "review"}


@dataclass(frozen=True)
class ReviewView:
    """An open review item as the digest and the escalations see it."""

    id: int
    reason: str
    mailbox_role: str
    subject: str
    sender: str
    created: date


@dataclass
class DigestData:
    duty: str
    arrivals: list[dict[str, Any]] = field(default_factory=list)  # arrival_view()s
    waiting: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    waiting_on_orgs: list[Wait] = field(default_factory=list)
    forms_missing: list[Wait] = field(default_factory=list)
    review: list[ReviewView] = field(default_factory=list)
    health: list[str] = field(default_factory=list)
    funnel: list[tuple[str, int]] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        """Anything to act on or to know: without it no mail is sent (the funnel alone is not news)."""
        return bool(self.arrivals or self.waiting or self.overdue or self.waiting_on_orgs or self.forms_missing
                    or self.review or self.health)

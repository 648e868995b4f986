"""The organization aggregate as the pure core sees it, and what it still lacks (the domain model).

An ``OrgState`` is a plain copy of one organization with its contacts, programs and
users. ``decide`` works on a private copy and returns the new one; the repository
writes the difference. ``refresh_access`` is the one place where a user's access
state is derived from the CES rules, so no code path can forget the step gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.calendar import BusinessCalendar
from bot.ces import rules
from bot.ces.rules import IndividualRole, Missing, Training

# A user's access states (derived by ``refresh_access``): blocked until the organization's Steps 1-2
# are done, waiting on the user's trainings and forms, ready (LAHSA owes the account within 3 business
# days), overdue (past that), granted.
ACCESS_STATES = ("blocked", "waiting_on_user", "ready", "overdue", "granted")
AWAITING_GRANT = ("ready", "overdue")  # LAHSA owes these users an account


@dataclass
class UserState:
    email: str
    name: str = ""
    roles: list[str] = field(default_factory=list)
    new_user: bool = True
    trainings: dict[str, str] = field(default_factory=dict)  # training -> ISO date completed
    forms: dict[str, str] = field(default_factory=dict)  # form kind -> accepted|rejected|review
    access: str = "blocked"
    ready_on: date | None = None
    access_due: date | None = None
    granted_at: datetime | None = None
    id: int | None = None

    def role_enums(self) -> list[IndividualRole]:
        return [IndividualRole(r) for r in self.roles if r in IndividualRole._value2member_map_]

    def completed(self) -> list[Training]:
        return [Training(t) for t in self.trainings if t in Training._value2member_map_]

    def accepted_forms(self) -> list[str]:
        return [k for k, v in self.forms.items() if v == "accepted"]


@dataclass
class ProgramState:
    name: str
    type: str
    setup: str
    thread_id: str | None = None
    requested_at: datetime | None = None
    followup_at: datetime | None = None
    confirmed_at: datetime | None = None
    id: int | None = None


@dataclass
class ContactState:
    email: str
    role: str  # executive_director | program_manager
    name: str = ""
    id: int | None = None


@dataclass
class OrgState:
    name: str
    aliases: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    ces_roles: list[str] = field(default_factory=list)
    agreement: str = "missing"
    agreement_note: str | None = None
    agreement_at: datetime | None = None
    contacts: list[ContactState] = field(default_factory=list)
    programs: list[ProgramState] = field(default_factory=list)
    users: list[UserState] = field(default_factory=list)
    id: int | None = None

    def user(self, email: str) -> UserState | None:
        email = email.lower()
        return next((u for u in self.users if u.email == email), None)

    def contact(self, email: str) -> ContactState | None:
        email = email.lower()
        return next((c for c in self.contacts if c.email == email), None)

    def program(self, name: str) -> ProgramState | None:
        low = name.lower()
        return next((p for p in self.programs if p.name.lower() == low), None)

    @property
    def ready_for_step3(self) -> bool:
        return rules.org_ready_for_step3(self.agreement, [p.setup for p in self.programs])

    def org_missing(self) -> tuple[Missing, ...]:
        return rules.org_missing(self.agreement, [p.setup for p in self.programs], bool(self.programs))

    def user_missing(self, user: UserState, org_ready: bool | None = None) -> tuple[Missing, ...]:
        """``org_ready`` may be passed by callers that ask for many users of an unchanged org."""
        ready = self.ready_for_step3 if org_ready is None else org_ready
        return rules.user_missing(ready, user.role_enums(), user.new_user, user.completed(), user.accepted_forms())

    def managers(self) -> list[ContactState]:
        return [c for c in self.contacts if c.role == "program_manager"]


def refresh_access(org: OrgState, today: date, cal: BusinessCalendar) -> list[UserState]:
    """Derive every user's access state; return the users who just became ready."""
    newly_ready = []
    for user in org.users:
        if user.access == "granted":
            continue
        missing = org.user_missing(user)
        if not org.ready_for_step3:
            user.access, user.ready_on, user.access_due = "blocked", None, None
        elif missing:
            user.access, user.ready_on, user.access_due = "waiting_on_user", None, None
        elif user.access not in AWAITING_GRANT:
            user.access = "ready"
            user.ready_on = today
            # "within 3 business days": due on the third business day after the day it became ready.
            user.access_due = cal.add_business_days(today, 3)
            newly_ready.append(user)
        user.access = access_on(user, today)
    return newly_ready


def access_on(user: UserState, today: date) -> str:
    """The user's access state as of ``today``: a ready user past the due date is overdue.

    The stored state turns "overdue" only when the escalation job runs; whatever reads it
    (status, the digest) asks this instead, so a missed or late job never hides a lapse.
    """
    if user.access == "ready" and user.access_due is not None and today > user.access_due:
        return "overdue"
    return user.access

"""The pipeline board: every organization in the column of its furthest step.

Five queries whatever the size of the database: organizations, programs, users
counted per organization in SQL (the board needs counts, not 10,000 users'
trainings and forms), the users past their access due date (named on their card),
and the open review queue. The columns are the digest's
funnel steps (``bot.core.digest.FUNNEL_STEPS``), placed by the same ``funnel_step``, so
the board and the morning digest never disagree; a test holds them together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import case, func
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for at most four columns
from sqlmodel import Session, col, select

from bot.calendar import BusinessCalendar
from bot.core.digest import FUNNEL_STEPS, funnel_step
from bot.core.state import AWAITING_GRANT
from bot.store import queries
from bot.store.models import HmisUser, Organization, Program, ReviewItem

_WAITING_SETUP = ("requested", "in_setup", "awaiting_confirmation")


@dataclass(frozen=True)
class LateUser:
    id: int
    name: str
    email: str
    due: date | None
    late: int  # business days past the due date


@dataclass(frozen=True)
class LateProgram:
    name: str
    setup: str  # requested | in_setup (waits on LAHSA) | awaiting_confirmation (waits on the manager)
    waited: int  # business days
    late: int  # business days past the escalation rule


@dataclass
class Card:
    id: int
    name: str
    agreement: str
    programs: int = 0
    users: int = 0
    granted: int = 0
    ready: int = 0
    step: str = ""
    late_users: list[LateUser] = field(default_factory=list)  # the first LATE_SHOWN, the latest first
    late_user_count: int = 0
    late_programs: list[LateProgram] = field(default_factory=list)

    @property
    def overdue(self) -> list[str]:
        """Why this card is highlighted, one line per late user or program (empty: nothing is late)."""
        lines = [f"{u.name or u.email} ({u.email}): HMIS access due {u.due or '?'}, {u.late} business day(s) late"
                 for u in self.late_users]
        if self.late_user_count > len(self.late_users):
            lines.append(f"{self.late_user_count - len(self.late_users)} more user(s) past their access due date")
        return lines + [f"{p.name}: waiting on {'confirmation' if p.setup == 'awaiting_confirmation' else 'setup'}"
                        f" for {p.waited} business days" for p in self.late_programs]

    @property
    def late_days(self) -> int:
        """The most business days any of its work is late (0: none late)."""
        return max([u.late for u in self.late_users] + [p.late for p in self.late_programs], default=0)


@dataclass
class Column:
    step: str
    cards: list[Card] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cards)

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.cards if c.overdue)


@dataclass
class Board:
    columns: list[Column]
    review_open: int
    review_overdue: int

    @property
    def organizations(self) -> int:
        return sum(c.count for c in self.columns)


@dataclass(frozen=True)
class Rules:
    """What counts as overdue: the escalation settings of the config."""

    today: date
    cal: BusinessCalendar
    tz: tzinfo
    setup_after: int  # business days a program may wait for setup or confirmation
    review_after: int  # business days a review item may wait


def _user_counts(session: Session) -> dict[int, tuple[int, int, int]]:
    """org id -> (users, granted, ready or overdue), counted by the database."""
    query = sa_select(
        col(HmisUser.org_id), func.count(),
        func.sum(case((col(HmisUser.access) == "granted", 1), else_=0)),
        func.sum(case((col(HmisUser.access).in_(AWAITING_GRANT), 1), else_=0)),
    ).group_by(col(HmisUser.org_id))
    return {org_id: (int(n), int(g or 0), int(r or 0)) for org_id, n, g, r in session.execute(query).all()}


LATE_SHOWN = 3  # late users a card names; the rest are counted


def _late_users(session: Session, rules: Rules) -> dict[int, list[LateUser]]:
    """org id -> its users past their access due date, the latest first (few rows: only the late ones)."""
    late = (col(HmisUser.access) == "overdue") | (
        (col(HmisUser.access) == "ready") & (col(HmisUser.access_due) < rules.today))
    out: dict[int, list[LateUser]] = defaultdict(list)
    memo: dict[date, int] = {}
    for user_id, org_id, name, email, due in session.execute(sa_select(
            col(HmisUser.id), col(HmisUser.org_id), col(HmisUser.name), col(HmisUser.email),
            col(HmisUser.access_due)).where(late).order_by(col(HmisUser.access_due), col(HmisUser.name))).all():
        if due is not None and due not in memo:
            memo[due] = max(rules.cal.business_days_between(due, rules.today), 0)
        out[org_id].append(LateUser(user_id, name, email, due, memo[due] if due is not None else 0))
    return out


def _waited(since: datetime | None, rules: Rules, memo: dict[date, int]) -> int:
    """Business days a setup has waited (-1: no date)."""
    if since is None:
        return -1
    day = since.astimezone(rules.tz).date()
    if day not in memo:  # counting business days walks the calendar: once per date, not per program
        memo[day] = rules.cal.business_days_between(day, rules.today)
    return memo[day]


def _programs(session: Session, rules: Rules) -> tuple[dict[int, list[str]], dict[int, list[LateProgram]]]:
    """org id -> its programs' setup states, and its programs waiting as long as the escalation rule allows."""
    setups: dict[int, list[str]] = defaultdict(list)
    late: dict[int, list[LateProgram]] = defaultdict(list)
    memo: dict[date, int] = {}
    for owner, name, setup, requested, followup in session.execute(sa_select(
            col(Program.org_id), col(Program.name), col(Program.setup), col(Program.requested_at),
            col(Program.followup_at)).order_by(col(Program.id))).all():
        setups[owner].append(setup)
        waited = _waited(followup or requested, rules, memo)
        if setup in _WAITING_SETUP and waited >= rules.setup_after:  # duties.due_escalations' rule
            late[owner].append(LateProgram(name, setup, waited, waited - rules.setup_after + 1))
    return setups, late


def load_board(session: Session, rules: Rules) -> Board:
    orgs = session.exec(select(Organization.id, Organization.name, Organization.agreement)
                        .order_by(col(Organization.name))).all()
    setups, late_programs = _programs(session, rules)
    counts, late_users = _user_counts(session), _late_users(session, rules)
    columns = {step: Column(step) for step in FUNNEL_STEPS}
    for org_id, name, agreement in orgs:
        assert org_id is not None
        users, granted, ready = counts.get(org_id, (0, 0, 0))
        step = funnel_step(agreement, setups[org_id], users, granted, ready)
        late = late_users.get(org_id, [])
        columns[step].cards.append(Card(org_id, name, agreement, len(setups[org_id]), users, granted, ready, step,
                                        late[:LATE_SHOWN], len(late), late_programs.get(org_id, [])))
    review_open, review_overdue = _review_counts(session, rules)
    return Board(list(columns.values()), review_open, review_overdue)


def _review_counts(session: Session, rules: Rules) -> tuple[int, int]:
    created = session.exec(select(ReviewItem.created_at).where(queries.review_open())).all()
    late = sum(1 for at in created if review_late(at, rules))
    return len(created), late


def review_late(created: datetime, rules: Rules) -> bool:
    """A review item waiting as long as the escalation rule allows (``duties.due_escalations``)."""
    return rules.cal.business_days_between(created.astimezone(rules.tz).date(), rules.today) >= rules.review_after

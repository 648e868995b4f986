"""The pipeline board: every organization in the column of its furthest step.

Four queries whatever the size of the database: organizations, programs, users
counted per organization in SQL (the board needs counts, not 10,000 users'
trainings and forms), and the open review queue. The columns are the digest's
funnel steps (``bot.workflow.duties.FUNNEL_STEPS``) with the same rules, so the
board and the morning digest never disagree; a test holds them together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import case, func
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for at most four columns
from sqlmodel import Session, col, select

from bot.calendar import BusinessCalendar
from bot.ces.rules import AGREEMENT_DONE, org_ready_for_step3
from bot.store.models import HmisUser, Organization, Program, ReviewItem
from bot.workflow.duties import FUNNEL_STEPS

_WAITING_SETUP = ("requested", "in_setup", "awaiting_confirmation")


@dataclass
class Card:
    id: int
    name: str
    agreement: str
    programs: int = 0
    users: int = 0
    granted: int = 0
    ready: int = 0
    overdue: list[str] = field(default_factory=list)  # why this card is highlighted


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


def step_of(agreement: str, setups: list[str], users: int, granted: int) -> str:
    """The funnel step of one organization (``duties.funnel``'s rules, from counts)."""
    if agreement not in AGREEMENT_DONE:
        return FUNNEL_STEPS[0]
    if not setups:
        return FUNNEL_STEPS[1]
    if not org_ready_for_step3(agreement, setups):
        return FUNNEL_STEPS[2]
    if not users:
        return FUNNEL_STEPS[3]
    return FUNNEL_STEPS[5] if granted else FUNNEL_STEPS[4]


@dataclass(frozen=True)
class Rules:
    """What counts as overdue: the escalation settings of the config."""

    today: date
    cal: BusinessCalendar
    tz: tzinfo
    setup_after: int  # business days a program may wait for setup or confirmation
    review_after: int  # business days a review item may wait


def _user_counts(session: Session, today: date) -> dict[int, tuple[int, int, int, int]]:
    """org id -> (users, granted, ready, overdue access), counted by the database."""
    late = (col(HmisUser.access) == "overdue") | (
        (col(HmisUser.access) == "ready") & (col(HmisUser.access_due) < today))
    query = sa_select(
        col(HmisUser.org_id), func.count(),
        func.sum(case((col(HmisUser.access) == "granted", 1), else_=0)),
        func.sum(case((col(HmisUser.access).in_(("ready", "overdue")), 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
    ).group_by(col(HmisUser.org_id))
    return {org_id: (int(n), int(g or 0), int(r or 0), int(o or 0))
            for org_id, n, g, r, o in session.execute(query).all()}


def _setup_late(since: datetime | None, rules: Rules, memo: dict[date, bool]) -> bool:
    if since is None:
        return False
    day = since.astimezone(rules.tz).date()
    if day not in memo:  # counting business days walks the calendar: once per date, not per program
        memo[day] = rules.cal.business_days_between(day, rules.today) >= rules.setup_after
    return memo[day]


def load_board(session: Session, rules: Rules) -> Board:
    orgs = session.exec(select(Organization.id, Organization.name, Organization.agreement)
                        .order_by(col(Organization.name))).all()
    setups: dict[int, list[str]] = defaultdict(list)
    late_setup: dict[int, int] = defaultdict(int)
    memo: dict[date, bool] = {}
    for owner, setup, requested, followup in session.exec(
            select(Program.org_id, Program.setup, Program.requested_at, Program.followup_at)).all():
        setups[owner].append(setup)
        if setup in _WAITING_SETUP and _setup_late(followup or requested, rules, memo):
            late_setup[owner] += 1
    counts = _user_counts(session, rules.today)
    columns = {step: Column(step) for step in FUNNEL_STEPS}
    for org_id, name, agreement in orgs:
        assert org_id is not None
        users, granted, ready, late_users = counts.get(org_id, (0, 0, 0, 0))
        card = Card(org_id, name, agreement, len(setups[org_id]), users, granted, ready)
        if late_users:
            card.overdue.append(f"{late_users} user(s) past their access due date")
        if late_setup[org_id]:
            card.overdue.append(f"{late_setup[org_id]} program(s) waiting on setup for {rules.setup_after}+ "
                                "business days")
        columns[step_of(agreement, setups[org_id], users, granted)].cards.append(card)
    review_open, review_overdue = _review_counts(session, rules)
    return Board(list(columns.values()), review_open, review_overdue)


def _review_counts(session: Session, rules: Rules) -> tuple[int, int]:
    created = session.exec(select(ReviewItem.created_at).where(col(ReviewItem.resolved_at).is_(None))).all()
    late = sum(1 for at in created if review_late(at, rules))
    return len(created), late


def review_late(created: datetime, rules: Rules) -> bool:
    """A review item waiting as long as the escalation rule allows (``duties.due_escalations``)."""
    return rules.cal.business_days_between(created.astimezone(rules.tz).date(), rules.today) >= rules.review_after

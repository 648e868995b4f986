"""The "what do I do today" list of one LAHSA duty: what is overdue, due today and waiting, by name.

``tasks_for`` is pure: it takes the organizations (``queries.load_waiting_for_lahsa``), the open
review items (``duties.ReviewView``) and the board's ``Rules`` (the config's escalation
settings), and returns one ``Task`` per thing the duty has to do, naming the person
(name and address) or the program and its organization, and how many business days
it is late. The rules are the digest's and the escalations' (``bot.core.duties``):
access is late from the day after its due date, as ``waiting_on_lahsa`` and the board
say; a program's setup, a rejected agreement and a review item are late once they have
waited as many business days as ``due_escalations`` allows before it escalates. A test
holds them together, as one holds the board to the digest's funnel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.calendar import BusinessCalendar
from bot.ces.rules import hmis_role
from bot.core.digest import ReviewView
from bot.core.duties import DUTY_OF_MAILBOX
from bot.core.state import AWAITING_GRANT, OrgState, access_on
from bot.store.queries import load_waiting_for_lahsa, open_reviews
from bot.web.board import Rules
from bot.web.labels import program_label
from bot.web.listing import Listing, Page, paginate
from bot.web.pages import PER_PAGE

DUTY_TITLES = {"implementation": "Implementation", "training": "Training", "access": "Account access"}
STATES = ("overdue", "today", "waiting")
STATE_LABELS = {"overdue": "Overdue", "today": "Due today", "waiting": "Waiting"}
_SETUP_WORK = {"requested": "Set up the program in HMIS", "in_setup": "Finish setting up the program in HMIS",
               "awaiting_confirmation": "Get the Program Manager's confirmation of the setup"}


@dataclass(frozen=True)
class Task:
    state: str  # overdue | today | waiting
    what: str  # what to do, in words
    who: str  # the person's name, the program's, or the sender's address
    email: str  # the person's address ("" for a program)
    link: str  # the page where it is done
    org: str = ""
    org_id: int | None = None
    due: date | None = None
    late: int = 0  # business days late
    since: date | None = None  # when the wait began (for work with no due date)
    note: str = ""


def _when(due: date, today: date, cal: BusinessCalendar, *, by_date: bool) -> tuple[str, int]:
    """(state, business days late). ``by_date``: late the day after ``due`` (access); otherwise
    late once a business day has passed since ``due`` (the escalations' count)."""
    late = max(cal.business_days_between(due, today), 0)
    overdue = today > due if by_date else late > 0
    return ("overdue" if overdue else "today" if due <= today else "waiting"), late


def _last_day(since: datetime, after: int, rules: Rules) -> date:
    """The last business day a wait of ``after`` business days is not yet late (it escalates the next)."""
    return rules.cal.add_business_days(since.astimezone(rules.tz).date(), max(after - 1, 0))


def _access(org: OrgState, rules: Rules) -> Iterable[Task]:
    for u in org.users:
        if u.access not in AWAITING_GRANT:
            continue
        state, late = _when(u.access_due, rules.today, rules.cal, by_date=True) if u.access_due else ("overdue", 0)
        if access_on(u, rules.today) == "overdue":  # recorded overdue by the escalation job: so it is
            state = "overdue"
        roles = u.role_enums()
        yield Task(state, "Create the HMIS account", u.name or u.email, u.email, f"/users/{u.id}", org.name,
                   org.id, u.access_due, late, note=f"HMIS role {hmis_role(roles).value}" if roles else "")


def _setups(org: OrgState, rules: Rules) -> Iterable[Task]:
    for p in org.programs:
        since = p.followup_at or p.requested_at
        if p.setup not in _SETUP_WORK:
            continue
        due = _last_day(since, rules.setup_after, rules) if since else None
        state, late = _when(due, rules.today, rules.cal, by_date=False) if due else ("waiting", 0)
        yield Task(state, _SETUP_WORK[p.setup], p.name, "", f"/orgs/{org.id}", org.name, org.id, due, late,
                   note=program_label(p.type))


def _agreements(org: OrgState, rules: Rules) -> Iterable[Task]:
    director = next((c for c in org.contacts if c.role == "executive_director" and c.email), None)
    who, email = (director.name or director.email, director.email) if director else (org.name, "")
    at = org.agreement_at
    if org.agreement == "accepted":  # no deadline in the procedure: waiting, with its age
        yield Task("waiting", "Countersign the Organization Agreement", who, email, f"/orgs/{org.id}", org.name,
                   org.id, since=at.astimezone(rules.tz).date() if at else None)
    elif org.agreement == "rejected" and at:
        due = _last_day(at, rules.setup_after, rules)
        state, late = _when(due, rules.today, rules.cal, by_date=False)
        yield Task(state, "Ask for a corrected Organization Agreement", who, email, f"/orgs/{org.id}", org.name,
                   org.id, due, late, note=org.agreement_note or "")


def _reviews(duty: str, reviews: list[ReviewView], rules: Rules) -> Iterable[Task]:
    for position, item in enumerate(sorted(reviews, key=lambda r: r.id)):
        if DUTY_OF_MAILBOX.get(item.mailbox_role, "implementation") != duty:
            continue
        due = rules.cal.add_business_days(item.created, max(rules.review_after - 1, 0))
        state, late = _when(due, rules.today, rules.cal, by_date=False)
        # The queue shows PER_PAGE items a page, by id: link to the page that holds this one.
        link = f"/review?page={position // PER_PAGE + 1}#item-{item.id}"
        first = item.reason.splitlines()[0] if item.reason else "review item"
        yield Task(state, f"Settle review item #{item.id}: {first}", item.sender or "(unknown sender)",
                   item.sender, link, due=due, late=late, note=item.subject)


_ORDER = {s: i for i, s in enumerate(STATES)}


def tasks_for(duty: str, orgs: list[OrgState], reviews: list[ReviewView], rules: Rules) -> list[Task]:
    """Everything ``duty`` has to do, the latest first, then what is due today, then the rest by due date."""
    tasks: list[Task] = []
    for org in orgs:
        if duty == "access":
            tasks.extend(_access(org, rules))
        elif duty == "implementation":
            tasks.extend(_setups(org, rules))
        elif duty == "training":
            tasks.extend(_agreements(org, rules))
    tasks.extend(_reviews(duty, reviews, rules))
    return sorted(tasks, key=lambda t: (_ORDER[t.state], -t.late, t.due or t.since or date.max, t.org.casefold(),
                                        t.who.casefold()))


def load_tasks(session: Session, duty: str, rules: Rules, roles: Mapping[str, str]) -> list[Task]:
    """``tasks_for`` over the database; ``roles`` maps each mailbox's name to its role (join, training, support)."""
    reviews = [ReviewView(i.id or 0, i.reason, roles.get(i.mailbox, ""), i.subject, i.sender,
                          i.created_at.astimezone(rules.tz).date()) for i in open_reviews(session)]
    return tasks_for(duty, load_waiting_for_lahsa(session, duty), reviews, rules)


TASKS_A_PAGE = 50


@dataclass(frozen=True)
class TodayView:
    duty: str
    listing: Listing
    counts: dict[str, int]  # tasks in each state that match the search
    found: Page[Task]


def today_view(duty: str, tasks: list[Task], listing: Listing) -> TodayView:
    """The tasks the search (organization, person or address) and the state filter keep, one page."""
    searched = [t for t in tasks if listing.matches(t.org, t.who, t.email)]
    counts = {s: sum(1 for t in searched if t.state == s) for s in STATES}
    shown = [t for t in searched if not listing.state or t.state == listing.state]
    return TodayView(duty, listing, counts, paginate(shown, listing.page, TASKS_A_PAGE))

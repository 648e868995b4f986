"""Which decision a message gets: an ordered table of routes, the first that applies wins.

Like Mailman's chains, routing is data: each ``Route`` names the mail it takes, loads
what its decision needs (the only database reads here) and calls one pure decision
function in ``bot.core`` (``decide``, ``staffmail``). Adding a kind of inbound mail adds
a row here, one decision function, its template and its test, and a row in
``core.vocabulary.KINDS``; the orchestrator (``process``) does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.core import staffmail
from bot.core.decide import Decision, Inbound, decide, held_for_review
from bot.core.duties import DUTY_OF_MAILBOX
from bot.core.identity import Identity
from bot.core.replies import handoffs, reply_for
from bot.core.state import OrgState
from bot.mail.bounce import parse_bounce
from bot.mail.kinds import own_text
from bot.mail.tables import read_table
from bot.store import queries, repo

if TYPE_CHECKING:
    from bot.workflow.deps import Pipeline
    from bot.workflow.process import Understood

_CHANGES_STATE = ("program_setup_request", "program_setup_confirmation", "user_roster")


@dataclass(frozen=True)
class Ctx:
    """What the orchestrator knows of one message when it routes it."""

    app: Pipeline
    session: Session
    u: Understood
    inbound: Inbound
    ident: Identity
    org: OrgState | None  # loaded only when the sender may act for it
    staff: str | None  # the duty of a LAHSA staff sender
    handoff_user: str | None  # the user of the access hand-off a staff reply answers
    now: datetime

    @property
    def kind(self) -> str:
        return self.u.kind.kind

    @property
    def held(self) -> bool:
        """The sender may not act for the organization (or the evidence disagrees) and the mail changes state."""
        changes = any(f.is_form for f in self.u.forms) or self.kind in _CHANGES_STATE
        return self.ident.problem is not None and changes


@dataclass(frozen=True)
class Route:
    name: str
    applies: Callable[[Ctx], bool]
    decide: Callable[[Ctx], Decision]


def _answered(c: Ctx, d: Decision) -> Decision:
    """Add the one reply to the sender, if the situation has one."""
    if (mail := reply_for(d, c.inbound, c.app.home_addresses, c.app.links)) is not None:
        d.mails.append(mail)
    return d


def _unreadable(c: Ctx) -> Decision:
    problem = c.u.problem or ""
    return _answered(c, Decision(org=None, review=[problem], resend=[problem]))


def _grant_reply(c: Ctx) -> Decision:
    email = c.handoff_user or ""
    org_id = repo.org_by_address(c.session, email)
    org = repo.load_org(c.session, org_id) if org_id else None
    return staffmail.grant_reply(org, email, own_text(c.u.msg.body_text), c.u.msg.from_addr, c.now)


def _bounce(c: Ctx) -> Decision:
    report = parse_bounce(c.u.data)
    ours = queries.sent_mail(c.session, report.original_message_id if report else None)
    duty = DUTY_OF_MAILBOX.get(c.inbound.mailbox_role, "implementation")
    return staffmail.bounce(report, ours, c.app.duty_address(duty), c.app.clock.tz)


def may_send_rosters(c: Ctx) -> bool:
    """Completions grant access: only the training duty or a configured roster sender, authenticated."""
    allowed = {str(a).lower() for a in c.app.config.trusted_roster_senders}
    return c.u.screen.authenticated and (c.staff == "training" or c.u.msg.from_addr in allowed)


def _roster_refused(c: Ctx) -> Decision:
    return Decision(org=None, review=[f"training roster from {c.u.msg.from_addr}, who may not send rosters"])


def _training_roster(c: Ctx) -> Decision:
    rows = [row for att in c.u.msg.attachments if att.filename.lower().endswith((".csv", ".tsv", ".xlsx"))
            for row in read_table(att.filename, att.data)]
    done = staffmail.completions(rows, c.now.date().isoformat())
    orgs = queries.orgs_of_users(c.session, (x.email for x in done))
    return staffmail.training_roster(done, orgs, c.now, c.app.calendar, c.app.duty_address("access"))


def _setup_followup(c: Ctx) -> Decision:
    assert c.org is not None
    return staffmail.setup_followup(c.org, c.now)


def _held(c: Ctx) -> Decision:
    return _answered(c, held_for_review(c.inbound, c.ident))


def _organization_mail(c: Ctx) -> Decision:
    d = _answered(c, decide(c.org, c.inbound, c.app.calendar))
    d.mails.extend(handoffs(d, c.inbound, c.app.duty_address("access")))
    return d


ROUTES: tuple[Route, ...] = (
    Route("unreadable message", lambda c: c.u.problem is not None, _unreadable),
    Route("answer to an access hand-off", lambda c: c.handoff_user is not None, _grant_reply),
    Route("bounce", lambda c: c.kind == "bounce", _bounce),
    Route("roster from a sender who may not send one",
          lambda c: c.kind == "training_roster" and not may_send_rosters(c), _roster_refused),
    Route("training roster", lambda c: c.kind == "training_roster", _training_roster),
    Route("Implementation Team in a setup thread",
          lambda c: c.staff == "implementation" and c.org is not None and c.kind != "account_support",
          _setup_followup),
    Route("held: sender may not act for the organization", lambda c: c.held, _held),
    Route("an organization's mail", lambda c: True, _organization_mail),
)


def route(c: Ctx) -> Route:
    """The first route that takes the message; the last takes every message."""
    return next(r for r in ROUTES if r.applies(c))

"""Decisions on mail that is not an organization's: bounces, staff answers, training rosters. Pure.

Each function takes the state the orchestrator loaded for the message and returns a
``Decision``, like ``decide`` does for an organization's mail; the orchestrator writes
it. None of them reads the database or a clock.

- ``bounce``: only a bounce that names a Message-ID we sent counts (anything else is
  backscatter from forged mail and changes nothing). A permanent failure marks the address
  undeliverable, so reminders and replies stop going to it, and staff are told once.
- ``grant_reply``: the access duty answered one of our hand-offs; "granted" records it
  through the one rule, ``transitions.grant_access``.
- ``setup_followup``: the Implementation Team wrote in an organization's setup thread.
- ``training_roster``: one message records completions for users of many organizations.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bot.calendar import BusinessCalendar
from bot.ces.parse import parse_training
from bot.core import transitions
from bot.core.decide import Decision, Event, Mail
from bot.core.replies import handoff_context
from bot.core.state import OrgState, refresh_access
from bot.core.text import local_time
from bot.mail.bounce import Bounce


@dataclass(frozen=True)
class SentMail:
    """One mail of ours, as a bounce names it."""

    message_id: str
    key: str
    kind: str
    subject: str
    sent_at: datetime | None


def bounce(report: Bounce | None, ours: SentMail | None, staff_address: str, tz: tzinfo = UTC) -> Decision:
    d = Decision(org=None)
    if report is None:
        d.events.append(Event("bounce_unreadable"))
        return d
    if ours is None:
        d.events.append(Event("bounce_not_ours", {"recipients": list(report.permanent)}))
        return d
    for address in report.permanent:
        d.undeliverable.append(address)
        d.events.append(Event("address_undeliverable", {"address": address, "mail": ours.key}))
        d.mails.append(Mail("bounce_notice", [staff_address], {
            "address": address, "subject": ours.subject, "kind": ours.kind,
            "status": next((r.status or "" for r in report.recipients if r.address == address), ""),
            "sent_at": local_time(ours.sent_at, tz)}, f"bounce:{address}"))
    d.bounced = ours.message_id if report.permanent else None
    d.received.append(f"bounce of our mail to {', '.join(report.permanent) or 'a delayed recipient'}")
    return d


_GRANTED = re.compile(r"\b(granted|done|created|complete[d]?|active|set up|provided)\b", re.I)


def grant_reply(org: OrgState | None, email: str, own_words: str, by: str, now: datetime) -> Decision:
    """The access duty answered a hand-off: "granted" records the grant; anything else goes to review."""
    org = copy.deepcopy(org)
    d = Decision(org=org)
    user = org.user(email) if org else None
    if user is None or not _GRANTED.search(own_words):
        d.review.append(f"reply to the access hand-off for {email} does not say access was granted")
        return d
    if (problem := transitions.grant_access(user, now)) is not None:
        d.review.append(f"access hand-off answered, but not recorded: {problem}")
        return d
    d.received.append(f"HMIS access granted to {email}")
    d.events.append(Event("access_granted", {"user": email, "by": by}, email))
    return d


def setup_followup(org: OrgState, now: datetime) -> Decision:
    """The Implementation Team finished the setup and asked the manager to confirm it (seed 2.5)."""
    org = copy.deepcopy(org)
    d = Decision(org=org)
    done = [p.name for p in org.programs if transitions.mark_program_set_up(p, now) is None]
    d.received.append("setup follow-up for: " + ", ".join(done) if done else "staff note")
    d.events.append(Event("setup_followup", {"programs": done}))
    return d


@dataclass(frozen=True)
class Completion:
    email: str
    training: str
    on: str  # ISO date


def completions(rows: Sequence[Mapping[str, str]], today: str) -> list[Completion]:
    """The rows of a roster that name a user and a training we know; the rest are not completions."""
    out = []
    for row in rows:
        email = row.get("email", "").strip().lower()
        course = parse_training(row.get("training", ""))
        if email and course is not None:
            out.append(Completion(email, course.value, row.get("date", "") or today))
    return out


def training_roster(done: Sequence[Completion], orgs: Mapping[str, OrgState], now: datetime,
                    cal: BusinessCalendar, access_address: str) -> Decision:
    """Record completions; ``orgs`` maps each known user's email to their organization (shared copies).

    Access is re-derived through the same ``refresh_access`` as every other change, and a user
    who becomes ready is handed to the access duty. Rows that match nobody go to review.
    """
    d = Decision(org=None)
    copies = {id(o): copy.deepcopy(o) for o in orgs.values()}
    unknown, recorded = [], 0
    for c in done:
        org = copies.get(id(orgs[c.email])) if c.email in orgs else None
        user = org.user(c.email) if org else None
        if user is None:
            unknown.append(c.email)
        elif c.training not in user.trainings:
            user.trainings[c.training] = c.on
            recorded += 1
    for org in copies.values():
        for user in refresh_access(org, now.date(), cal):
            d.mails.append(Mail("handoff", [access_address], handoff_context(org, user), f"handoff:{user.email}"))
            d.events.append(Event("user_ready", {"email": user.email, "due": str(user.access_due)}, user.email,
                                  org.id))
        d.others.append(org)
    d.received.append(f"training roster: {recorded} completion(s) recorded")
    d.events.append(Event("training_roster", {"recorded": recorded, "unknown": unknown}))
    if unknown:
        d.review.append("training roster names unknown users: " + ", ".join(sorted(set(unknown))[:20]))
    return d

"""What became of one message, in the words of the staff digest. Pure.

The read model (``store.queries.arrivals``) gathers, for each message the bot handled,
its forms (accepted, not accepted and why, held for review; whose), the audit events
it caused (a setup request, a roster, a grant ...) and its review reason. ``describe``
turns that record into what a person at LAHSA needs to read: "Organization Agreement
not accepted: the CoC Representative section must be left blank", "User Agreement
accepted for Jane Doe", "program setup request: 2 programs", never "-> other, processed".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.text import quoted
from bot.core.vocabulary import label


@dataclass(frozen=True)
class FormOutcome:
    """One form read from the message (a ``Document`` row)."""

    kind: str  # a ces.rules.Form value, or "unknown"
    status: str  # accepted | rejected | review | ignored
    reason: str | None = None
    person: str = ""  # the user a User Agreement / HMIS 10 form is for: name, else email


@dataclass(frozen=True)
class Arrival:
    """One message the bot handled, and what it recorded because of it."""

    id: int
    mailbox: str  # the configured mailbox's name
    sender: str
    subject: str
    kind: str  # the message's kind (INTERFACE.md classify kinds)
    outcome: str  # processed | review
    org_name: str | None = None
    forms: tuple[FormOutcome, ...] = ()
    events: tuple[tuple[str, Mapping[str, Any]], ...] = ()  # (audit action, detail), in order
    review: str | None = None  # the review item's reason, when a person must look


def _count(items: Any, one: str, many: str) -> str:
    n = len(items) if isinstance(items, list) else 0
    return f"{n} {one if n == 1 else many}"


def _listed(items: Any, limit: int = 4) -> str:
    names = [str(i) for i in items] if isinstance(items, list) else []
    more = f", and {len(names) - limit} more" if len(names) > limit else ""
    return f" ({', '.join(names[:limit])}{more})" if names else ""


def _programs(detail: Mapping[str, Any], what: str) -> str:
    programs = detail.get("programs")
    return f"{what}: {_count(programs, 'program', 'programs')}{_listed(programs)}"


# One sentence per audit action that says what a message changed. Actions not listed here
# are bookkeeping ("identified", "user_created") or are told by the forms themselves.
_EVENT_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "setup_requested": lambda d: _programs(d, "program setup request"),
    "setup_confirmed": lambda d: _programs(d, "program setup confirmed by the Program Manager"),
    "setup_disputed": lambda d: _programs(d, "the Program Manager disputes the setup"),
    "setup_followup": lambda d: _programs(d, "setup follow-up sent by the Implementation Team"),
    "roster": lambda d: f"users named for training: {_count(d.get('users'), 'user', 'users')}{_listed(d.get('users'))}",
    "training_roster": lambda d: (
        f"training roster: {d.get('recorded', 0)} completion(s) recorded"
        + (f", {_count(d.get('unknown'), 'unknown user', 'unknown users')}" if d.get("unknown") else "")),
    "user_ready": lambda d: f"{d.get('email', 'a user')} is ready for HMIS access (due {d.get('due', '?')})",
    "access_granted": lambda d: f"HMIS access granted to {d.get('user', 'a user')}",
    "support_handoff": lambda d: "account or password question, passed to the access duty",
    "organization_created": lambda d: f"new organization on file: {d.get('name', '')}",
    "address_undeliverable": lambda d: f"bounce: mail to {d.get('address', '?')} cannot be delivered",
    "held_for_review": lambda d: "held: the sender is not on file for that organization",
    "machine_mail": lambda d: "automatic mail (out of office, delivery report ...): nothing to do",
}


def _form_words(form: FormOutcome) -> str | None:
    if form.kind not in ("organization_agreement", "user_agreement", "hmis10_acknowledgement"):
        return None  # an attachment that is not a CES form: the message's other lines say enough
    name = label(form.kind)
    whose = f" for {form.person}" if form.person else ""
    if form.status == "accepted":
        return f"{name} accepted{whose}"
    if form.status == "rejected":
        return f"{name}{whose} not accepted: {form.reason or 'see the site'}"
    if form.status == "ignored":
        return f"{name}{whose} again ({form.reason or 'nothing changed'})"
    return f"{name}{whose} held for review: {form.reason or 'see the site'}"


def describe(arrival: Arrival) -> list[str]:
    """What the message did, one short sentence each: its forms, its events, then why it waits for review."""
    lines = [w for w in (_form_words(f) for f in arrival.forms) if w]
    lines += [_EVENT_WORDS[action](detail) for action, detail in arrival.events if action in _EVENT_WORDS]
    if arrival.review:
        # The first reason only, shortened: the review queue section lists the item in full, and a
        # reason may quote the sender (a file name, a dispute's words), so no links survive.
        first = quoted(arrival.review.splitlines()[0], 160)
        more = len(arrival.review.splitlines()) - 1
        lines.append(f"to review: {first}" + (f" (and {more} more)" if more else ""))
    if not lines:
        lines.append(f"{label(arrival.kind)}: nothing to record")
    return list(dict.fromkeys(lines))

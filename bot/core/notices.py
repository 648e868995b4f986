"""Mail that a change of state makes due, whoever made the change. Pure.

Comparing an organization before and after a decision (a message, a roster, a staff
action on the site or the command line), three moments are told to the people who wait
for them (seed Steps 2-3):

- Steps 1 and 2 are complete: the Program Manager(s) hear that users may now train;
- a user is ready (trainings and forms done): the user and the Program Manager(s) hear
  that LAHSA will open the account, and by when;
- access is granted: the user and the Program Manager(s) hear that the account is open.

Each notice has a key of its own (``notice:...``), not tied to the message that caused it,
so the outbox sends it once however many paths reach the same state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.decide import Mail
from bot.core.nextstep import steps_for
from bot.core.state import AWAITING_GRANT, OrgState, UserState

# Step 3 for every user: the trainings of their role, then the two forms (the rules' own codes).
_STEP3 = ("training:role", "form:hmis10_acknowledgement", "form:user_agreement")


def _managers(org: OrgState) -> list[str]:
    """Who speaks for the organization's users: its program managers, else its other contacts."""
    managers = [c.email for c in org.managers()]
    return managers or [c.email for c in org.contacts]


def _recipients(org: OrgState, user: UserState) -> list[str]:
    return list(dict.fromkeys([user.email, *_managers(org)]))


def _user_context(org: OrgState, user: UserState, home: Mapping[str, str]) -> dict[str, Any]:
    return {"org_name": org.name, "user_name": user.name or user.email, "user_email": user.email,
            "due": f"{user.access_due:%A, %B} {user.access_due.day}, {user.access_due.year}" if user.access_due else "",
            "support": home.get("support", "")}


def between(before: OrgState | None, after: OrgState | None, home: Mapping[str, str],
            links: Mapping[str, str | None]) -> list[Mail]:
    """The notices that the change from ``before`` to ``after`` makes due (none for a new organization's
    first steps: nobody waits for them yet)."""
    if after is None or not after.name:
        return []
    mails = []
    key = after.id if after.id is not None else after.name
    if after.ready_for_step3 and not (before is not None and before.ready_for_step3) and _managers(after):
        no_users = not after.users
        steps = steps_for(_STEP3, home, links, new_user=True, no_users=no_users)
        mails.append(Mail("steps_done", _managers(after), {
            "org_name": after.name, "no_users": no_users, "users": [u.name or u.email for u in after.users],
            "next_steps": [s.as_dict() for s in steps]}, f"notice:steps:{key}", reply_to=home.get("join")))
    for user in after.users:
        old = before.user(user.email) if before is not None else None
        was = old.access if old is not None else "blocked"
        if user.access in AWAITING_GRANT and was not in (*AWAITING_GRANT, "granted"):
            mails.append(Mail("user_ready", _recipients(after, user), _user_context(after, user, home),
                              f"notice:ready:{user.email}:{user.ready_on}", reply_to=home.get("support")))
        if user.access == "granted" and was != "granted":
            mails.append(Mail("access_granted", _recipients(after, user), _user_context(after, user, home),
                              f"notice:granted:{user.email}", reply_to=home.get("support")))
    return mails

"""State changes that several entry points make (mail, CLI, staff site), one rule each. Pure.

Each function changes the domain state it is given and returns why it could not, or None.
Mail, the CLI and the site all call these, so the rule cannot differ between them (granting
access used to check readiness on the site only).
"""

from __future__ import annotations

from datetime import datetime

from bot.ces.rules import AGREEMENT_DONE
from bot.core.state import AWAITING_GRANT, OrgState, ProgramState, UserState


def grant_access(user: UserState, now: datetime) -> str | None:
    """Record HMIS access as granted, only for a user who is ready (every step, training and form done).

    Granting twice is a no-op that reports why; the first grant's time is kept.
    """
    if user.access == "granted":
        return f"{user.email} already has HMIS access (granted {user.granted_at:%Y-%m-%d})" if user.granted_at \
            else f"{user.email} already has HMIS access"
    if user.access not in AWAITING_GRANT:
        state = user.access.replace("_", " ")
        return f"{user.email} is {state}: access is granted only once the user is ready"
    user.access, user.granted_at = "granted", now
    return None


def mark_program_set_up(program: ProgramState, now: datetime) -> str | None:
    """Record that LAHSA's Implementation Team finished setting a program up (seed step 2.5).

    The program then waits for the Program Manager's confirmation (step 2.6). Staff use this
    when the follow-up went out in a way the bot did not see (a phone call, another mailbox).
    A program that needs no setup, or is already set up or confirmed, is left as it is.
    """
    if program.setup == "not_needed":
        return f"{program.name} needs no setup (Permanent Housing)"
    if program.setup in ("awaiting_confirmation", "confirmed"):
        return f"{program.name} is already set up ({program.setup.replace('_', ' ')})"
    program.setup, program.followup_at = "awaiting_confirmation", now
    return None


def accept_agreement(org: OrgState, now: datetime) -> str | None:
    """Record the Organization Agreement as accepted (read by the bot, or filed by staff)."""
    if org.agreement in AGREEMENT_DONE:
        return f"{org.name} already has an accepted Organization Agreement"
    org.agreement, org.agreement_note, org.agreement_at = "accepted", None, now
    return None


def reject_agreement(org: OrgState, why: str, now: datetime) -> str | None:
    """Record why the agreement was not accepted; ``agreement_at`` gives the rejection an age to chase.

    An accepted agreement is never undone by a later bad copy.
    """
    if org.agreement in AGREEMENT_DONE:
        return f"{org.name} already has an accepted Organization Agreement"
    org.agreement, org.agreement_note, org.agreement_at = "rejected", why, now
    return None


def user_of(org: OrgState, email: str, name: str = "") -> tuple[UserState, bool]:
    """The organization's user with this address, added if new; (user, added)."""
    user = org.user(email)
    if user is not None:
        return user, False
    user = UserState(email=email.lower(), name=name)
    org.users.append(user)
    return user, True


def record_user_form(user: UserState, kind: str, accepted: bool) -> None:
    """Record a User Agreement or HMIS 10 Acknowledgement; a later bad copy never undoes an accepted one."""
    if accepted:
        user.forms[kind] = "accepted"
    elif user.forms.get(kind) != "accepted":
        user.forms[kind] = "rejected"

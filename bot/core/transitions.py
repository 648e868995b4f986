"""State changes that several entry points make (mail, CLI, staff site), one rule each. Pure.

Each function changes the domain state it is given and returns why it could not, or None.
Mail, the CLI and the site all call these, so the rule cannot differ between them (granting
access used to check readiness on the site only).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.state import AWAITING_GRANT, ProgramState, UserState


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

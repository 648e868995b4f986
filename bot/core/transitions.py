"""State changes that several entry points make (mail, CLI, staff site), one rule each. Pure.

Each function changes the domain state it is given and returns why it could not, or None.
Mail, the CLI and the site all call these, so the rule cannot differ between them (granting
access used to check readiness on the site only).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.state import UserState

READY = ("ready", "overdue")


def grant_access(user: UserState, now: datetime) -> str | None:
    """Record HMIS access as granted, only for a user who is ready (every step, training and form done).

    Granting twice is a no-op that reports why; the first grant's time is kept.
    """
    if user.access == "granted":
        return f"{user.email} already has HMIS access (granted {user.granted_at:%Y-%m-%d})" if user.granted_at \
            else f"{user.email} already has HMIS access"
    if user.access not in READY:
        state = user.access.replace("_", " ")
        return f"{user.email} is {state}: access is granted only once the user is ready"
    user.access, user.granted_at = "granted", now
    return None

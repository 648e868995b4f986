"""One rule per state change that several entry points make (bot.core.transitions)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.state import UserState
from bot.core.transitions import grant_access

NOW = datetime(2026, 12, 8, 17, tzinfo=UTC)


def test_access_is_granted_only_to_a_ready_user() -> None:
    for state in ("blocked", "waiting_on_user"):
        user = UserState("a@h.org", access=state)
        why = f"a@h.org is {state.replace('_', ' ')}: access is granted only once the user is ready"
        assert grant_access(user, NOW) == why
        assert user.access == state and user.granted_at is None
    for state in ("ready", "overdue"):
        user = UserState("a@h.org", access=state)
        assert grant_access(user, NOW) is None
        assert (user.access, user.granted_at) == ("granted", NOW)


def test_a_second_grant_changes_nothing() -> None:
    user = UserState("a@h.org", access="ready")
    assert grant_access(user, NOW) is None
    later = datetime(2026, 12, 9, tzinfo=UTC)
    assert grant_access(user, later) == "a@h.org already has HMIS access (granted 2026-12-08)"
    assert user.granted_at == NOW

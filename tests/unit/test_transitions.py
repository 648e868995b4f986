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


def test_an_accepted_agreement_is_never_undone_nor_accepted_twice() -> None:
    from bot.core.state import OrgState
    from bot.core.transitions import accept_agreement, reject_agreement

    org = OrgState("Hope")
    assert reject_agreement(org, "not signed", NOW) is None
    assert (org.agreement, org.agreement_note, org.agreement_at) == ("rejected", "not signed", NOW)
    assert accept_agreement(org, NOW) is None and (org.agreement, org.agreement_note) == ("accepted", None)
    later = datetime(2026, 12, 9, tzinfo=UTC)
    assert accept_agreement(org, later) == "Hope already has an accepted Organization Agreement"
    assert reject_agreement(org, "blank", later) is not None
    assert (org.agreement, org.agreement_at) == ("accepted", NOW)
    org.agreement = "countersigned"
    assert reject_agreement(org, "blank", later) is not None and org.agreement == "countersigned"


def test_a_bad_copy_of_a_users_form_never_undoes_an_accepted_one() -> None:
    from bot.core.state import OrgState
    from bot.core.transitions import record_user_form, user_of

    org = OrgState("Hope")
    user, added = user_of(org, "A@H.org", "Ana")
    assert added and user.email == "a@h.org" and user_of(org, "a@h.org") == (user, False)
    record_user_form(user, "user_agreement", accepted=False)
    assert user.forms == {"user_agreement": "rejected"}
    record_user_form(user, "user_agreement", accepted=True)
    record_user_form(user, "user_agreement", accepted=False)
    assert user.forms == {"user_agreement": "accepted"}

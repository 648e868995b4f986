"""Notices a change of state makes due (bot/core/notices.py): who hears what, once."""

from __future__ import annotations

import copy
from datetime import date

from bot.core.notices import between
from bot.core.state import ContactState, OrgState, ProgramState, UserState

HOME = {"training": "LAHSA.Training@lahsa.org", "support": "HMISsupport@lahsa.org", "join": "JoinHMIS@lahsa.org"}
LINKS = {"training_site": "https://training.example/hmis"}


def org(setup: str = "awaiting_confirmation", *users: UserState) -> OrgState:
    return OrgState("Hope Harbor", agreement="accepted", id=7, programs=[ProgramState("Street", "outreach", setup)],
                    contacts=[ContactState("dan@hope.org", "executive_director", "Dan"),
                              ContactState("maria@hope.org", "program_manager", "Maria")], users=list(users))


def test_steps_1_and_2_complete_tells_the_program_manager_that_users_may_train() -> None:
    before = org()
    after = copy.deepcopy(before)
    after.programs[0].setup = "confirmed"
    (mail,) = between(before, after, HOME, LINKS)
    assert mail.template == "steps_done" and mail.to == ["maria@hope.org"] and mail.reply_to == HOME["join"]
    assert mail.key == "notice:steps:7" and mail.context["no_users"] is True
    texts = [s["text"] for s in mail.context["next_steps"]]
    assert any("staff who need HMIS access" in t for t in texts)
    assert any("Register for your role's trainings" in t for t in texts)
    assert any(s["link"] == LINKS["training_site"] for s in mail.context["next_steps"])
    assert between(after, after, HOME, LINKS) == []  # nothing changed: nothing said


def test_a_user_who_becomes_ready_and_then_granted_is_told_with_the_manager() -> None:
    james = UserState("j@hope.org", "James", ["outreach"], access="waiting_on_user")
    before = org("confirmed", james)
    ready = copy.deepcopy(before)
    ready.users[0].access, ready.users[0].ready_on, ready.users[0].access_due = "ready", date(2026, 12, 2), \
        date(2026, 12, 7)
    (mail,) = between(before, ready, HOME, LINKS)
    assert mail.template == "user_ready" and mail.to == ["j@hope.org", "maria@hope.org"]
    assert mail.context["due"] == "Monday, December 7, 2026" and mail.key == "notice:ready:j@hope.org:2026-12-02"
    granted = copy.deepcopy(ready)
    granted.users[0].access = "granted"
    (mail,) = between(ready, granted, HOME, LINKS)
    assert mail.template == "access_granted" and mail.key == "notice:granted:j@hope.org"
    assert mail.reply_to == HOME["support"]


def test_an_overdue_user_is_not_told_again_that_they_are_ready() -> None:
    james = UserState("j@hope.org", "James", ["outreach"], access="ready", access_due=date(2026, 12, 7))
    before = org("confirmed", james)
    after = copy.deepcopy(before)
    after.users[0].access = "overdue"
    assert between(before, after, HOME, LINKS) == []


def test_without_a_program_manager_the_other_contacts_hear_it() -> None:
    before = org()
    before.contacts = [ContactState("dan@hope.org", "executive_director", "Dan")]
    after = copy.deepcopy(before)
    after.programs[0].setup = "confirmed"
    assert [m.to for m in between(before, after, HOME, LINKS)] == [["dan@hope.org"]]

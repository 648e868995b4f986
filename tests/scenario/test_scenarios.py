"""Whole organizations played through the CES process by mail, over days of --now.

Each scenario asserts the tracking database and every mail the bot sent. Forms are
text-layer PDFs drawn by bot.demo.specimens (the reading of scans is the
documents tests' business); what is under test here is the workflow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.models import ReviewItem
from tests.scenario.harness import World, kinds
from tests.scenario.hope import (
    ED,
    JAMES,
    ORG,
    PM,
    ROSTER,
    SETUP,
    D,
    acknowledgement,
    agreement,
    setup_and_confirm,
    trainings,
    user_agreement,
)

pytestmark = pytest.mark.slow
@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    return World(tmp_path / "world", db_url)


def test_organization_that_does_everything_right(world: World) -> None:
    w = world.at("2026-11-30T09:00:00-08:00")
    w.mail("training", ED, "Signed Organization Agreement", attachments=(("agreement.pdf", agreement()),))
    sent = w.poll()
    assert kinds(sent) == [("receipt", f"daniel.kim@{D}")]
    assert "Organization Agreement: accepted" in sent[0].text
    assert "No HMIS program has been named" in sent[0].text
    assert w.org(ORG).agreement == "accepted"

    setup_and_confirm(w, "2026-11-30T11:00:00-08:00", "2026-12-01T09:00:00-08:00")
    assert w.programs(ORG) == {"Harbor Street Outreach": "confirmed", "Harbor Homes PSH": "not_needed"}
    w.mail("join", PM, "Users for training", ROSTER)
    sent = w.poll()
    assert kinds(sent) == [("receipt", f"maria.lopez@{D}")]
    assert "HMIS 102" in sent[0].text and "User Agreement" in sent[0].text  # the whole org's missing items

    w.mail("support", f"James Carter <{JAMES}>", "My forms",
           attachments=(("ua.pdf", user_agreement()), ("ack.pdf", acknowledgement())))
    sent = w.poll()
    assert kinds(sent) == [("receipt", JAMES)]
    assert "HMIS 10 Webinar" in sent[0].text and "HMIS 102" in sent[0].text
    assert w.user(JAMES).access == "waiting_on_user"

    w.at("2026-12-02T08:00:00-08:00")
    w.mail("training", "HMIS Training <trainer@lahsa.org>", "Training completion roster", "Completions attached.",
           attachments=(("roster.csv", trainings((JAMES, "HMIS 10 Webinar"), (JAMES, "HMIS 102"))),))
    sent = w.poll()
    # Staff get the hand-off; the user and the manager hear that the account is due, and by when.
    assert sorted(kinds(sent)) == [("handoff", "access@lahsa.org"), ("user_ready", f"{JAMES}, maria.lopez@{D}")]
    sent = sorted(sent, key=lambda s: s.kind)
    assert "Mon Dec 7, 2026" in sent[0].subject and "CES_Outreach" in sent[0].subject
    assert "by Monday, December 7, 2026" in sent[1].subject
    user = w.user(JAMES)
    assert user.access == "ready" and str(user.access_due) == "2026-12-07"

    w.mail("support", "IT Admin <access@lahsa.org>", "Re: " + sent[0].subject, "Granted, account created.",
           in_reply_to=sent[0].message_id)
    # Staff replies are not answered; the user and the manager hear that access is granted.
    assert kinds(w.poll()) == [("access_granted", f"{JAMES}, maria.lopez@{D}")]
    assert w.user(JAMES).access == "granted"
    w.at("2026-12-03T09:00:00-08:00")
    assert w.job("reminders") == []  # nothing missing any more
    assert w.job("escalations") == []
    assert all(s.kind != "reminder" for s in w.all_sent)


def test_forms_out_of_order_wait_for_steps_1_and_2(world: World) -> None:
    w = world.at("2026-11-30T09:00:00-08:00")
    w.mail("join", PM, "Program setup for CES", SETUP)
    w.mail("join", PM, "Users for training", ROSTER)
    w.poll()
    w.mail("support", f"James Carter <{JAMES}>", "User Agreement", attachments=(("ua.pdf", user_agreement()),))
    sent = w.poll()
    assert kinds(sent) == [("not_ready", JAMES)]
    assert "Step 1" in sent[0].text
    w.mail("training", "HMIS Training <trainer@lahsa.org>", "Training completion roster", "Completions.",
           attachments=(("roster.csv", trainings((JAMES, "HMIS 10"), (JAMES, "HMIS 102"))),))
    w.mail("support", f"James Carter <{JAMES}>", "Ack", attachments=(("ack.pdf", acknowledgement()),))
    w.poll()
    assert w.user(JAMES).access == "blocked"  # everything personal is in; the organization is not
    assert not [s for s in w.all_sent if s.kind == "handoff"]

    w.at("2026-12-01T09:00:00-08:00")
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.poll()
    assert w.user(JAMES).access == "blocked"  # setup still not confirmed
    # Setup request already made on day 1; the team follows up and the manager confirms.
    w.at("2026-12-02T09:00:00-08:00")
    request_id = w.query(__import__("bot.store.models", fromlist=["Program"]).Program)[0].thread_id
    followup = w.mail("join", "HMIS Implementation <impl@lahsa.org>", "Re: Program setup for CES",
                      "Your programs are set up; please confirm.", in_reply_to=request_id)
    w.poll()
    w.mail("join", PM, "Re: Program setup for CES", "I confirm the setup is correct.", in_reply_to=followup)
    sent = w.poll()
    # The confirmation completes Steps 1-2 and makes James ready in one go: both notices go out.
    assert sorted(k for k, _ in kinds(sent)) == ["handoff", "receipt", "steps_done", "user_ready"]
    assert str(w.user(JAMES).access_due) == "2026-12-07"


def test_wrong_inboxes_are_processed_and_the_sender_told(world: World) -> None:
    w = world.at("2026-11-30T09:00:00-08:00")
    w.mail("support", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.mail("training", PM, "Program setup for CES", SETUP)
    sent = w.poll()
    assert sorted(k for k, _ in kinds(sent)) == ["wrong_inbox", "wrong_inbox"]
    by_to = {s.to: s.text for s in sent}
    assert "Organization Agreement to LAHSA.Training@lahsa.org" in by_to[f"daniel.kim@{D}"]
    assert "program setup requests to JoinHMIS@lahsa.org" in by_to[f"maria.lopez@{D}"]
    assert w.org(ORG).agreement == "accepted"
    assert w.programs(ORG) == {"Harbor Street Outreach": "requested", "Harbor Homes PSH": "not_needed"}
    w.mail("join", f"James Carter <{JAMES}>", "UA", attachments=(("ua.pdf", user_agreement()),))
    sent = w.poll()
    assert kinds(sent) == [("wrong_inbox", JAMES)] and "HMISsupport@lahsa.org" in sent[0].text
    assert w.user(JAMES).forms == {"user_agreement": "accepted"}


def test_manager_who_never_confirms_is_reminded_then_escalated(world: World) -> None:
    w = world.at("2026-12-14T09:00:00-08:00")
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    request = w.mail("join", PM, "Program setup for CES", SETUP)
    w.poll()
    assert w.job("reminders") == []  # the setup waits on LAHSA, not on the manager
    w.at("2026-12-15T09:00:00-08:00")
    w.mail("join", "HMIS Implementation <impl@lahsa.org>", "Re: Program setup for CES", "Set up; please confirm.",
           in_reply_to=request)
    w.poll()
    reminders: list[str] = []
    escalations: list[tuple[str, str]] = []
    for day in range(15, 30):
        w.at(f"2026-12-{day:02d}T09:00:00-08:00")
        for s in w.job("reminders"):
            assert s.kind == "reminder" and s.to == f"maria.lopez@{D}"
            assert "confirmed the program setup" in s.text
            reminders.append(f"12-{day}")
        escalations += [(f"12-{day}", s.to) for s in w.job("escalations")]
        w.job("reminders")  # a second run the same day sends nothing
    # Every 2 business days; never on a weekend or Christmas Day (Friday 25 December).
    assert reminders == ["12-15", "12-17", "12-21", "12-23", "12-28"]
    assert escalations == [("12-18", "impl@lahsa.org")]


def test_user_with_two_roles_and_overdue_access(world: World) -> None:
    w = world.at("2026-11-30T09:00:00-08:00")
    luis = f"luis.ortega@{D}"
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.mail("join", PM, "Program setup for CES",
           "Please set up our programs for CES.\nOrganization: Hope Harbor Services\nPrograms:\n"
           "- Harbor Homes PSH (Permanent Housing)\n")
    w.mail("join", PM, "Users", f"- Luis Ortega, {luis}, Housing Provider and Assessment Only, new user\n")
    w.poll()
    assert w.org(ORG).agreement == "accepted" and w.programs(ORG) == {"Harbor Homes PSH": "not_needed"}
    w.at("2026-12-01T09:00:00-08:00")
    w.mail("support", f"Luis Ortega <{luis}>", "Forms", attachments=(
        ("ua.pdf", user_agreement("Luis Ortega", luis)), ("ack.pdf", acknowledgement("Luis Ortega", luis))))
    w.mail("training", "HMIS Training <trainer@lahsa.org>", "Training completion roster", "Completions.",
           attachments=(("r.csv", trainings((luis, "HMIS 10"), (luis, "HMIS 509 - First Half"), (luis, "HMIS 511"))),))
    sent = w.poll()
    handoff = next(s for s in sent if s.kind == "handoff")
    assert "CES_Assessments" in handoff.subject and "Fri Dec 4, 2026" in handoff.subject
    for perm in ("View Housing Resource List", "Manage Housing Resource List", "Enter Vacancy Form"):
        assert perm in handoff.text
    seen: list[tuple[str, str, str]] = []
    for day in range(2, 10):
        w.at(f"2026-12-{day:02d}T10:00:00-08:00")
        seen += [(f"12-{day:02d}", s.to, s.subject) for s in w.job("escalations")]
    assert [(d, to) for d, to, _ in seen if to != "impl@lahsa.org"] == [
        ("12-07", "access@lahsa.org"), ("12-08", "supervisor@lahsa.org")]
    # No program of the organization supports Assessment Only: flagged for the Implementation Team.
    assert ("12-02", "impl@lahsa.org") in [(d, to) for d, to, _ in seen]
    assert [i.reason for i in w.query(ReviewItem)] == [
        "roles that no program of the organization supports: Luis Ortega: Assessment Only"]
    assert w.user(luis).access == "overdue"
    w.grant(luis)
    w.at("2026-12-10T10:00:00-08:00")
    assert [s.kind for s in w.job("escalations")] == ["access_granted"]  # the grant's notice, no escalation


def test_roster_as_csv_attachment_and_the_morning_digests(world: World) -> None:
    w = world.at("2026-11-30T09:00:00-08:00")
    assert w.job("digests") == []  # nothing to say: nothing sent
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.mail("join", PM, "Program setup for CES", SETUP)
    users = (b"Name,Email,Role,New or existing\nJames Carter,james.carter@hopeharbor.org,Outreach,New\n"
             b"Priya Shah,priya.shah@hopeharbor.org,Case Manager,Existing\n")
    w.mail("join", PM, "Our users for HMIS training", "The list is attached.", attachments=(("users.csv", users),))
    w.mail("support", "Kevin Wu <kwu@example.net>", "Hello", "Who do I ask about volunteering?")
    w.poll()
    priya = w.user("priya.shah@hopeharbor.org")
    assert priya.roles == ["housing_navigator"] and priya.new_user is False
    assert w.user(JAMES).roles == ["outreach"] and w.user(JAMES).new_user is True
    w.at("2026-12-01T07:30:00-08:00")
    digests = {s.to: s for s in w.job("digests")}
    assert set(digests) == {"impl@lahsa.org", "trainer@lahsa.org", "access@lahsa.org"}
    impl = digests["impl@lahsa.org"].text
    assert "set up Harbor Street Outreach" in impl and "Where the organizations stand" in impl
    assert "Organization Agreement accepted, awaiting LAHSA countersignature" in digests["trainer@lahsa.org"].text
    assert "Who do I ask" not in digests["access@lahsa.org"].text  # mail bodies are never quoted
    assert "#" in digests["access@lahsa.org"].text and "kwu@example.net" in digests["access@lahsa.org"].text
    assert w.job("digests") == []  # the same morning again: nothing twice

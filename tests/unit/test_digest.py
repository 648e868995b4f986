"""What the staff digest says (issue 15, point 9): pure rules, and the mail they render.

The funnel puts each organization at its least advanced open step; "waiting on
organizations" and "trainings done, forms missing" name who owes what and for how many
business days; arrivals say what happened in words; the rendered digest says it all.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.calendar import BusinessCalendar
from bot.core.arrivals import Arrival, FormOutcome, describe
from bot.core.digest import (
    FUNNEL_STEPS,
    Wait,
    arrival_view,
    forms_missing,
    funnel,
    funnel_step,
    waiting_on_lahsa,
    waiting_on_orgs,
)
from bot.core.state import OrgState, ProgramState, UserState, access_on
from bot.outbox.render import make_env, render

LA = ZoneInfo("America/Los_Angeles")
CAL = BusinessCalendar()
TODAY = date(2026, 12, 3)  # a Thursday
MONDAY = datetime(2026, 11, 30, 10, tzinfo=LA)
TUESDAY = datetime(2026, 12, 1, 10, tzinfo=LA)
COC = "the CoC Representative section must be left blank for LAHSA to complete"


def _confirmed(name: str = "Outreach") -> ProgramState:
    return ProgramState(name, "outreach", "confirmed", confirmed_at=MONDAY)


def _user(email: str, access: str = "waiting_on_user", **kw: Any) -> UserState:
    return UserState(email=email, name=kw.pop("name", ""), roles=kw.pop("roles", ["outreach"]), access=access, **kw)


def _ready_org(name: str, *users: UserState) -> OrgState:
    return OrgState(name, agreement="accepted", agreement_at=MONDAY, programs=[_confirmed()], users=list(users))


def test_a_rejected_agreement_has_its_own_step_and_is_not_missing() -> None:
    rejected = OrgState("Bright Path", agreement="rejected", agreement_note=COC, agreement_at=TUESDAY)
    counts = dict(funnel([rejected, OrgState("Nobody Yet")]))
    assert counts["Agreement not accepted"] == 1 and counts["Agreement missing"] == 1


def test_an_organization_stands_at_its_least_advanced_open_item() -> None:
    one_of_six = _ready_org("Six", _user("a@s.org", "granted"), *(_user(f"u{i}@s.org") for i in range(5)))
    assert dict(funnel([one_of_six]))["Users in training"] == 1  # not "with access": 5 of 6 have none
    assert funnel_step("accepted", ["confirmed"], users=6, granted=6, ready=0) == "All users have access"
    assert funnel_step("accepted", ["confirmed"], users=6, granted=1, ready=5) == "Users waiting for access"
    assert funnel_step("accepted", ["confirmed"], users=6, granted=1, ready=4) == "Users in training"
    assert funnel_step("countersigned", ["confirmed"], users=0, granted=0, ready=0) == "Setup confirmed"
    # A modification requested after users got access: Step 2 is open again, and that is where it stands.
    assert funnel_step("accepted", ["confirmed", "requested"], users=2, granted=2, ready=0) == "Programs requested"
    assert funnel_step("received", [], users=0, granted=0, ready=0) == "Agreement missing"
    assert funnel_step("accepted", [], users=0, granted=0, ready=0) == "Agreement accepted"
    assert [step for step, _ in funnel([])] == list(FUNNEL_STEPS)


def test_waiting_on_organizations_names_who_owes_what_and_for_how_long() -> None:
    rejected = OrgState("Bright Path", agreement="rejected", agreement_note=COC, agreement_at=TUESDAY)
    no_users = OrgState("Cedar House", agreement="accepted", agreement_at=MONDAY,
                        programs=[ProgramState("Cedar PSH", "permanent_housing", "not_needed", requested_at=MONDAY)])
    unconfirmed = OrgState("Hope Harbor", agreement="accepted", programs=[
        ProgramState("Harbor Outreach", "outreach", "awaiting_confirmation", followup_at=TUESDAY),
        ProgramState("Harbor Shelter", "emergency_shelter", "awaiting_confirmation", followup_at=MONDAY)])
    orgs = [rejected, no_users, unconfirmed]
    training = waiting_on_orgs("training", orgs, TODAY, CAL, LA)
    assert [w.line for w in training] == [
        "Cedar House: Steps 1 and 2 complete (Step 3 open), no users named for training (3 business days)",
        f"Bright Path: Organization Agreement not accepted ({COC}); no corrected copy yet (2 business days)",
    ]
    (impl,) = waiting_on_orgs("implementation", orgs, TODAY, CAL, LA)
    assert impl == Wait("Hope Harbor", "the Program Manager has not confirmed the setup of Harbor Outreach, "
                        "Harbor Shelter", 3)  # counted from the earliest follow-up
    assert waiting_on_orgs("access", orgs, TODAY, CAL, LA) == []


def test_trainings_done_forms_missing_lists_the_user_and_the_forms() -> None:
    done = {"HMIS 10": "2026-11-30", "HMIS 102": "12/01/2026"}
    jane = _user("jane@h.org", name="Jane Doe", trainings=done, forms={"user_agreement": "rejected"})
    still_training = _user("kim@h.org", trainings={"HMIS 10": "2026-11-30"})
    all_in = _user("lee@h.org", "ready", trainings=done,
                   forms={"user_agreement": "accepted", "hmis10_acknowledgement": "accepted"})
    no_roles = _user("pat@h.org", roles=[], trainings=done)
    org = _ready_org("Hope Harbor", jane, still_training, all_in, no_roles)
    (wait,) = forms_missing([org], TODAY, CAL, LA)
    assert wait.line == ("Hope Harbor: Jane Doe <jane@h.org>: User Agreement (not accepted), "
                         "HMIS 10 Acknowledgement Form missing (2 business days)")


def test_access_past_its_due_date_is_overdue_before_the_escalation_job_writes_it() -> None:
    late = _user("sam@h.org", "ready", name="Sam", access_due=date(2026, 12, 2))
    due_today = _user("ann@h.org", "ready", name="Ann", access_due=TODAY)
    assert access_on(late, TODAY) == "overdue" and access_on(due_today, TODAY) == "ready"
    assert access_on(_user("x@h.org", "granted", access_due=date(2026, 12, 1)), TODAY) == "granted"
    waiting, overdue = waiting_on_lahsa("access", [_ready_org("Hope Harbor", late, due_today)], TODAY)
    assert overdue == ["Hope Harbor: HMIS access for Sam was due Wed Dec 2, 2026"]
    assert waiting == ["Hope Harbor: create HMIS access for Ann by Thu Dec 3, 2026"]


def _arrival(**kw: Any) -> Arrival:
    return Arrival(**({"id": 1, "mailbox": "training", "sender": "ed@b.org", "subject": "Agreement",
                       "kind": "other", "outcome": "processed"} | kw))


def test_arrivals_say_what_happened_in_words() -> None:
    assert describe(_arrival(forms=(FormOutcome("organization_agreement", "accepted"),))) == [
        "Organization Agreement accepted"]
    assert describe(_arrival(forms=(FormOutcome("organization_agreement", "rejected", COC),))) == [
        f"Organization Agreement not accepted: {COC}"]
    forms = (FormOutcome("user_agreement", "accepted", None, "Jane Doe"),
             FormOutcome("hmis10_acknowledgement", "rejected", "it is not signed by the user", "Jane Doe"),
             FormOutcome("unknown", "ignored", "not one of the CES forms"))
    assert describe(_arrival(forms=forms)) == [
        "User Agreement accepted for Jane Doe",
        "HMIS 10 Acknowledgement Form for Jane Doe not accepted: it is not signed by the user"]
    setup = ("setup_requested", {"programs": ["Harbor Outreach (outreach)", "Harbor PSH (permanent housing)"]})
    assert describe(_arrival(kind="program_setup_request", events=(("identified", {}), setup))) == [
        "program setup request: 2 programs (Harbor Outreach (outreach), Harbor PSH (permanent housing))"]
    review = _arrival(outcome="review", review="IMG_2231.jpg: unknown organization\nsecond reason")
    assert describe(review) == ["to review: IMG_2231.jpg: unknown organization (and 1 more)"]
    assert describe(_arrival(kind="auto_reply")) == ["Automatic reply: nothing to record"]
    assert describe(_arrival(events=(("setup_disputed", {"programs": ["Harbor Outreach"]}),))) == [
        "the Program Manager disputes the setup: 1 program (Harbor Outreach)"]
    quoting = _arrival(outcome="review", review='setup disputed: "see http://evil.example/x"')
    (line,) = describe(quoting)
    assert line.startswith('to review: setup disputed: "see [link removed]') and "evil" not in line


def _context(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"duty": "training", "today": "Thu Dec 3, 2026", "arrivals": [], "waiting": [],
                            "overdue": [], "waiting_on_orgs": [], "forms_missing": [], "review": [], "health": [],
                            "funnel": funnel([]), "funnel_max": 1, "base_url": "https://hmis-bot.lahsa.org"}
    return base | kw


def _view(w: Wait) -> dict[str, str]:
    return {"line": w.line, "org": w.org, "path": "/find?org=" + w.org.replace(" ", "%20")}


def test_the_rendered_digest_tells_staff_what_to_do_today() -> None:
    rejected = OrgState("Bright Path", agreement="rejected", agreement_note=COC, agreement_at=TUESDAY)
    jane = _user("jane@h.org", name="Jane Doe", trainings={"HMIS 10": "2026-11-30", "HMIS 102": "2026-12-01"})
    orgs = [rejected, _ready_org("Hope Harbor", jane)]
    arrival = _arrival(org_name="Bright Path", subject="Signed agreement",
                       forms=(FormOutcome("organization_agreement", "rejected", COC),))
    ctx = _context(arrivals=[arrival_view(arrival)], funnel=funnel(orgs),
                   waiting_on_orgs=[_view(w) for w in waiting_on_orgs("training", orgs, TODAY, CAL, LA)],
                   forms_missing=[_view(w) for w in forms_missing(orgs, TODAY, CAL, LA)])
    mail = render(make_env(), "digest", ctx)
    text = mail.text
    assert "-> other" not in text and "processed" not in text
    assert f'Bright Path, from ed@b.org: "Signed agreement"\n      Organization Agreement not accepted: {COC}' in text
    waiting = text.split("Waiting on organizations")[1].split("\n\n")[0]
    assert f"Bright Path: Organization Agreement not accepted ({COC}); no corrected copy yet (2 business days)" \
        in waiting
    forms = text.split("Trainings done, forms missing")[1].split("\n\n")[0]
    assert "Jane Doe <jane@h.org>: User Agreement, HMIS 10 Acknowledgement Form missing" in forms
    assert "Agreement not accepted" in text.split("Where the organizations stand")[1]
    assert mail.subject == "HMIS CES digest (training) for Thu Dec 3, 2026: 2 waiting on organizations, 1 new"
    # The HTML says the same, Outlook-safe: no div boxes, bars are table cells; the organization links to its page.
    assert "Waiting on organizations" in mail.html and "Trainings done, forms missing" in mail.html
    assert 'href="https://hmis-bot.lahsa.org/find?org=Bright%20Path"' in mail.html
    assert "<div" not in mail.html and 'bgcolor="#2b6cb0"' in mail.html

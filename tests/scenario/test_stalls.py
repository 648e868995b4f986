"""Nobody left stalled (issue 15, points 5 and 8): every state that waits on someone has an owner
who is reminded by name and, when overdue, an escalation, one per organization and duty."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import specimens
from tests.scenario.harness import World
from tests.scenario.hope import ED, ORG, PM, SETUP, agreement, setup_and_confirm

pytestmark = pytest.mark.slow
MONDAY = "2026-12-14T09:00:00-08:00"


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    return World(tmp_path / "world", db_url)


def test_a_rejected_agreement_reminds_the_director_and_then_escalates(world: World) -> None:
    w = world.at(MONDAY)
    bad = specimens.organization_agreement_pdf(ORG, "Daniel Kim", "Executive Director", "11/30/2026", coc_signed=True)
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", bad),))
    (rejected,) = w.poll()
    assert rejected.kind == "not_accepted"
    w.at("2026-12-16T09:00:00-08:00")
    (reminder,) = w.job("reminders")
    assert reminder.to == "daniel.kim@hopeharbor.org" and reminder.text.startswith("Hello Daniel,")
    assert "not accepted; a corrected, signed copy is needed" in reminder.text
    assert "The Executive Director signs the Organization Agreement" in reminder.text
    assert "automatic reply" not in reminder.text
    w.at("2026-12-17T09:00:00-08:00")
    (escalation,) = w.job("escalations")
    assert escalation.kind == "escalation" and "No corrected Organization Agreement" in escalation.subject


def test_an_organization_with_only_an_executive_director_is_reminded(world: World) -> None:
    w = world.at(MONDAY)
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.poll()
    w.at("2026-12-15T09:00:00-08:00")
    (reminder,) = w.job("reminders")
    assert reminder.to == "daniel.kim@hopeharbor.org" and reminder.text.startswith("Hello Daniel,")
    assert "JoinHMIS@lahsa.org naming each program" in reminder.text


def test_step_three_open_with_no_users_is_not_nothing_missing(world: World) -> None:
    w = world.at("2026-12-01T09:00:00-08:00")
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.poll()
    setup_and_confirm(w, "2026-12-01T10:00:00-08:00", "2026-12-02T10:00:00-08:00")
    confirmed = w.all_sent[-1]
    assert "Nothing else is missing" not in confirmed.text
    assert "sends JoinHMIS@lahsa.org the staff who need HMIS access" in confirmed.text
    w.at("2026-12-04T09:00:00-08:00")
    (reminder,) = w.job("reminders")
    assert reminder.to == "maria.lopez@hopeharbor.org" and reminder.text.startswith("Hello Maria,")
    assert "No staff have been named for HMIS access yet" in reminder.text


def test_late_programs_escalate_in_one_mail_per_organization(world: World) -> None:
    w = world.at(MONDAY)
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    more = "- Harbor Bridge Shelter (Emergency Shelter)\n- Harbor Drop-in (Outreach)\n- Harbor Homes PSH"
    w.mail("join", PM, "Program setup for CES", SETUP.replace("- Harbor Homes PSH", more))
    w.poll()
    w.at("2026-12-18T09:00:00-08:00")
    sent = w.job("escalations")
    setup = [s for s in sent if "Program setup overdue" in s.subject]
    assert len(setup) == 1 and "3 program(s)" in setup[0].subject


def test_staff_mark_a_program_set_up_from_the_command_line_and_the_manager_is_asked_to_confirm(
        world: World) -> None:
    w = world.at(MONDAY)
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.mail("join", PM, "Program setup for CES", SETUP)
    w.poll()
    assert w.programs(ORG)["Harbor Street Outreach"] == "requested"
    code, out = w.cli("set-up", ORG, "Harbor Street Outreach", "--by", "impl@lahsa.org")
    assert code == 0 and "waiting for the Program Manager's confirmation" in out, out
    assert w.programs(ORG)["Harbor Street Outreach"] == "awaiting_confirmation"
    code, out = w.cli("set-up", ORG, "Harbor Street Outreach")
    assert code == 1 and "already set up" in out  # twice is refused, not recorded twice
    code, out = w.cli("set-up", ORG, "Harbor Homes PSH")
    assert code == 1 and "needs no setup" in out
    (reminder,) = w.at("2026-12-15T09:00:00-08:00").job("reminders")
    assert reminder.to == "maria.lopez@hopeharbor.org" and "confirm" in reminder.text

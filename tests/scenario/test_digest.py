"""The digest tells staff what to do today (issue 15, point 9), played by mail over days.

Four organizations stand at four different places; the next morning each duty's digest
says in words what arrived, who is waiting on whom and for how long, and where the
organizations stand. ``status --json`` shows overdue access as overdue on the day after
its due date, whether or not the escalation job has run yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.demo import specimens
from tests.scenario.harness import World
from tests.scenario.hope import (
    ED,
    JAMES,
    PM,
    ROSTER,
    agreement,
    setup_and_confirm,
    trainings,
    user_agreement,
)

pytestmark = pytest.mark.slow
COC = "the CoC Representative section must be left blank for LAHSA to complete"
PRIYA = "priya.shah@hopeharbor.org"
TRAINER = "HMIS Training <trainer@lahsa.org>"


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    return World(tmp_path / "world", db_url)


def _agreement(org: str, signer: str, **kw: Any) -> tuple[tuple[str, bytes], ...]:
    return (("agreement.pdf", specimens.organization_agreement_pdf(org, signer, "Executive Director", "12/01/2026",
                                                                    **kw)),)


def _setup(org: str, program: str) -> str:
    return f"Please set up our programs for CES.\nOrganization: {org}\nPrograms:\n- {program}\n"


def _four_organizations(w: World) -> None:
    """Hope Harbor trains its users; Bright Path's agreement is rejected; Cedar House (Permanent
    Housing only) completes Steps 1 and 2 and names nobody; Dawn Center does not confirm its setup."""
    w.at("2026-11-30T09:00:00-08:00")  # Monday
    w.mail("training", ED, "Signed Organization Agreement", attachments=(("agreement.pdf", agreement()),))
    w.poll()
    setup_and_confirm(w, "2026-11-30T10:00:00-08:00", "2026-11-30T11:00:00-08:00")
    w.mail("join", PM, "Users for training", ROSTER + f"- Priya Shah, {PRIYA}, Outreach, existing user\n")
    w.poll()
    w.at("2026-12-01T09:00:00-08:00")  # Tuesday: what the Wednesday digests report
    w.mail("training", TRAINER, "Training completion roster", "Completions.",
           attachments=(("r.csv", trainings((JAMES, "HMIS 10"), (JAMES, "HMIS 102"))),))
    w.mail("support", f"Priya Shah <{PRIYA}>", "My user agreement",
           attachments=(("ua.pdf", user_agreement("Priya Shah", PRIYA)),))
    w.mail("training", "Ann Bell <ann.bell@brightpath.org>", "Org agreement",
           attachments=_agreement("Bright Path Services", "Ann Bell", coc_signed=True))
    w.mail("training", "Carl Diaz <carl.diaz@cedarhouse.org>", "Agreement",
           attachments=_agreement("Cedar House", "Carl Diaz"))
    w.mail("join", "Carl Diaz <carl.diaz@cedarhouse.org>", "Program setup for CES", _setup("Cedar House",
           "Cedar PSH (Permanent Housing)"))
    w.mail("training", "Dana Eng <dana.eng@dawncenter.org>", "Agreement",
           attachments=_agreement("Dawn Center", "Dana Eng"))
    request = w.mail("join", "Dana Eng <dana.eng@dawncenter.org>", "Program setup for CES", _setup("Dawn Center",
                     "Dawn Outreach (Outreach)"))
    w.poll()
    w.mail("join", "HMIS Implementation <impl@lahsa.org>", "Re: Program setup for CES",
           "Hi Dana, your program is set up. Please confirm the setup is valid.", in_reply_to=request)
    w.poll()
    assert w.org("Bright Path Services").agreement == "rejected"
    assert w.programs("Dawn Center") == {"Dawn Outreach": "awaiting_confirmation"}


def _section(text: str, title: str) -> str:
    assert title in text, text
    return text.split(title, 1)[1].split("\n\n", 1)[0]


def test_the_morning_digests_say_what_arrived_and_who_waits_on_whom(world: World) -> None:
    w = world
    _four_organizations(w)
    w.at("2026-12-02T07:30:00-08:00")  # Wednesday
    digests = {s.to: s for s in w.job("digests")}
    trainer, impl, access = (digests[a].text for a in ("trainer@lahsa.org", "impl@lahsa.org", "access@lahsa.org"))
    for text in (trainer, impl, access):
        assert "-> " not in text and ", processed" not in text  # words, not codes

    new = _section(trainer, "New since the last business day")
    assert f"Bright Path Services, from ann.bell@brightpath.org: \"Org agreement\"\n" \
           f"      Organization Agreement not accepted: {COC}" in new
    assert "Organization Agreement accepted" in new and "training roster: 2 completion(s) recorded" in new
    waiting = _section(trainer, "Waiting on organizations")
    assert f"Bright Path Services: Organization Agreement not accepted ({COC}); no corrected copy yet " \
           "(1 business day)" in waiting
    assert "Cedar House: Steps 1 and 2 complete (Step 3 open), no users named for training (1 business day)" \
        in waiting

    assert "program setup request: 1 program (Cedar PSH (" in _section(impl, "New since the last business day")
    assert "Dawn Center: the Program Manager has not confirmed the setup of Dawn Outreach (1 business day)" in \
        _section(impl, "Waiting on organizations")

    assert "User Agreement accepted for Priya Shah" in _section(access, "New since the last business day")
    # James finished HMIS 10 and HMIS 102 (roster dated Monday) but has sent neither form.
    assert "Hope Harbor Services: James Carter <james.carter@hopeharbor.org>: User Agreement, " \
           "HMIS 10 Acknowledgement Form missing (2 business days)" in \
        _section(access, "Trainings done, forms missing")
    assert "Trainings done, forms missing" not in trainer + impl  # the forms go to the access duty's inbox

    funnel = trainer.split("Where the organizations stand")[1]
    counts = {label.strip(): int(n) for label, n in re.findall(r"^  (\D+?) +#* ?(\d+)$", funnel, re.M)}
    assert counts["Agreement not accepted"] == 1 and counts["Agreement missing"] == 0
    assert counts["Programs requested"] == 1 and counts["Setup confirmed"] == 1  # Dawn Center, Cedar House
    assert counts["Users in training"] == 1 and counts["All users have access"] == 0  # Hope Harbor
    assert w.job("digests") == []  # the same morning again: nothing twice


def _status(w: World, now: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli_app, ["--config", str(w.root / "mailboxes.yaml"), "--now", now,
                                          "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_status_shows_access_past_its_due_date_as_overdue_before_any_escalation(world: World) -> None:
    w = world.at("2026-11-30T09:00:00-08:00")
    luis = "luis.ortega@hopeharbor.org"
    w.mail("training", ED, "Agreement", attachments=(("agreement.pdf", agreement()),))
    w.mail("join", PM, "Program setup for CES", "Please set up our programs for CES.\n"
           "Organization: Hope Harbor Services\nPrograms:\n- Harbor Homes PSH (Permanent Housing)\n")
    w.mail("join", PM, "Users", f"- Luis Ortega, {luis}, Housing Provider, existing user\n")
    w.poll()
    w.at("2026-12-01T09:00:00-08:00")
    w.mail("support", f"Luis Ortega <{luis}>", "Form", attachments=(("ua.pdf", user_agreement("Luis Ortega", luis)),))
    w.mail("training", TRAINER, "Training completion roster", "Completions.",
           attachments=(("r.csv", trainings((luis, "HMIS 511"))),))
    w.poll()

    def user(now: str) -> dict[str, Any]:
        (org,) = _status(w, now)["organizations"]
        return next(u for u in org["users"] if u["email"] == luis)  # type: ignore[no-any-return]

    assert user("2026-12-04T16:00:00-08:00")["access"] == "ready"  # due today: not late yet
    late = user("2026-12-07T08:00:00-08:00")  # Monday, before the escalation job has run
    assert late["access"] == "overdue" and late["access_due"] == "2026-12-04"
    assert w.user(luis).access == "ready"  # reading changed nothing
    w.at("2026-12-07T08:00:00-08:00")
    access = next(s for s in w.job("digests") if s.to == "access@lahsa.org")
    overdue = _section(access.text, "OVERDUE")
    assert "Hope Harbor Services: HMIS access for Luis Ortega was due Fri Dec 4, 2026" in overdue

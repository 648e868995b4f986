"""The Hope Harbor Services cast the scenarios play: its people, its forms and its setup.

Forms are text-layer PDFs drawn by bot.demo.specimens (reading scans is the documents
tests' business); what the scenarios test is the workflow.
"""

from __future__ import annotations

from functools import cache

from bot.demo import specimens
from tests.scenario.harness import World

ORG = "Hope Harbor Services"
D = "hopeharbor.org"
ED = f"Daniel Kim <daniel.kim@{D}>"
PM = f"Maria Lopez <maria.lopez@{D}>"
JAMES = f"james.carter@{D}"
SETUP = ("Please set up our programs for CES.\n\nOrganization: Hope Harbor Services\n"
         "CES roles: Housing Navigation/Case Management\n\nPrograms:\n- Harbor Street Outreach (Outreach)\n"
         "- Harbor Homes PSH (Permanent Housing)\n\nMaria Lopez, Program Manager")
ROSTER = f"These staff will attend training:\n- James Carter, {JAMES}, Outreach, new user\n"


@cache
def agreement() -> bytes:
    return specimens.organization_agreement_pdf(ORG, "Daniel Kim", "Executive Director", "11/30/2026")


@cache
def user_agreement(name: str = "James Carter", email: str = JAMES) -> bytes:
    return specimens.user_agreement_pdf(name, ORG, email, "12/01/2026")


@cache
def acknowledgement(name: str = "James Carter", email: str = JAMES) -> bytes:
    return specimens.hmis10_acknowledgement_pdf(name, ORG, email, "12/01/2026")


def trainings(*rows: tuple[str, str]) -> bytes:
    return ("Name,Email,Training,Completed\n" + "".join(f"x,{e},{t},11/30/2026\n" for e, t in rows)).encode()


def setup_and_confirm(w: World, day1: str, day2: str) -> None:
    """The Program Manager asks, the Implementation Team follows up in the thread, the manager confirms."""
    w.at(day1)
    request = w.mail("join", PM, "Program setup for CES", SETUP)
    w.poll()
    w.at(day2)
    followup = w.mail("join", "HMIS Implementation <impl@lahsa.org>", "Re: Program setup for CES",
                      "Hi Maria, your programs are set up. Please confirm the setup is valid.", in_reply_to=request)
    w.poll()
    w.mail("join", PM, "Re: Program setup for CES", "Confirmed, the setup looks correct.", in_reply_to=followup)
    w.poll()

"""The setup loop and the notices that close it (issue 15 points 6 and 7), over Dovecot and SMTP.

A Program Manager's request with a program nobody can type, the Implementation Team's
follow-up, the manager's "looks good" in a new mail (not in the thread) or a dispute, then
the notices: Steps 1-2 complete, a user ready, access granted. Each assertion reads the mail
as its reader gets it: who it is to, the address an answer goes to, the subject, the sentence
that says what to do next.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.demo import specimens
from bot.store.models import Program, ReviewItem
from tests.support.lahsa import LINKS, Lahsa, agreement, mail, text
from tests.support.pipeline import IMPLEMENTATION, JOIN, SUPPORT, TRAINING, cli_in_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PM = "Maria Lopez <maria.lopez@hopeharbor.org>"
ORG = "Hope Harbor Services"


def to(replies: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in replies if address in str(m["To"])]


def followup(request: EmailMessage) -> bytes:
    """The Implementation Team's answer in the setup thread: done, please confirm."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = f"HMIS Implementation <{IMPLEMENTATION}>", JOIN, "Re: Program setup"
    m["Message-ID"], m["In-Reply-To"] = "<followup.1@lahsa.org>", str(request["In-Reply-To"])
    m["References"] = str(request["In-Reply-To"])
    m.set_content("Hi Maria, Harbor Outreach is set up in HMIS. Please review it and confirm.")
    return m.as_bytes()


def requested(w: Lahsa) -> EmailMessage:
    w.deliver(TRAINING, mail("Daniel Kim <daniel.kim@hopeharbor.org>", TRAINING,
                             f"Signed Organization Agreement - {ORG}", "Attached.",
                             attachment=("agreement.pdf", agreement(ORG, "Daniel Kim"))))
    w.poll()
    w.deliver(JOIN, mail(PM, JOIN, f"Program setup - {ORG}",
                         "Please set up our programs for CES.\n\n- Harbor Outreach (Outreach)\n"
                         "- Harbor Hub (weekend program)\n\nMaria"))
    (receipt,) = to(w.poll(), "maria.lopez@hopeharbor.org")
    return receipt


def test_a_program_not_understood_is_named_then_looks_good_completes_steps_1_and_2(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    receipt = requested(w)
    assert str(receipt["Reply-To"]) == JOIN
    body = text(receipt)
    assert "We could not tell the type of this program, so it has not been requested yet: - Harbor Hub " \
           "(weekend program)" in body
    assert "Reply with one line per program, its name and its type" in body
    (item,) = w.rows(ReviewItem)
    assert "Harbor Hub" in item.reason  # and a person sees it too
    w.deliver(JOIN, followup(receipt))
    assert not to(w.poll(), "maria.lopez@hopeharbor.org")  # staff's mail gets no receipt
    # She answers in a new mail, not in the thread.
    w.deliver(JOIN, mail(PM, JOIN, "Harbor Outreach", "I checked Harbor Outreach in HMIS, it looks good.\n\nMaria"))
    mine = to(w.poll(), "maria.lopez@hopeharbor.org")
    kinds = {str(m["X-HMISbot-Kind"]): m for m in mine}
    assert set(kinds) == {"receipt", "steps_done"}
    assert "your confirmation of the setup of: Harbor Outreach" in text(kinds["receipt"])
    done = kinds["steps_done"]
    assert str(done["Subject"]) == f"{ORG}: Steps 1 and 2 are complete, your users may now train for HMIS"
    assert str(done["Reply-To"]) == JOIN
    assert f"The Program Manager sends {JOIN} the staff who need HMIS access" in text(done)
    assert "Register for your role's trainings on the HMIS Training Website" in text(done)
    assert LINKS["training_site"] in text(done)
    assert [p.setup for p in w.rows(Program)] == ["confirmed"]


def test_a_dispute_goes_back_to_lahsa_and_reminders_stop_asking_to_confirm(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    receipt = requested(w)
    w.deliver(JOIN, followup(receipt))
    w.poll()
    w.deliver(JOIN, mail(PM, JOIN, "Re: Program setup", "The program name is wrong, it should read "
                                                         "Harbor Street Outreach.\n\nMaria"))
    (answer,) = to(w.poll(), "maria.lopez@hopeharbor.org")
    assert str(answer["Subject"]) == "Your program setup correction is with the HMIS Implementation Team"
    assert "we will not ask you to confirm the setup until it has been corrected" in text(answer)
    assert [p.setup for p in w.rows(Program)] == ["in_setup"]
    assert any("Harbor Street Outreach" in i.reason for i in w.rows(ReviewItem))
    code, out = cli_in_process(w.config, "remind", "--dry-run", now="2026-12-09T10:00:00-08:00")
    assert code == 0 and "has not yet confirmed" not in out


def test_a_ready_user_and_a_granted_account_are_told_to_the_user_and_the_manager(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    receipt = requested(w)
    w.deliver(JOIN, followup(receipt))
    w.poll()
    w.deliver(JOIN, mail(PM, JOIN, "Looks good", "Yes, the setup is correct.\n\nMaria"))
    w.poll()
    w.deliver(JOIN, mail(PM, JOIN, "Users for training",
                         "- James Carter, james.carter@hopeharbor.org, Outreach, existing user\n\nMaria"))
    w.poll()
    roster = b"email,training,date\r\njames.carter@hopeharbor.org,HMIS 102,2026-11-30\r\n"
    w.deliver(TRAINING, mail("HMIS Training <hmis.training@lahsa.org>", TRAINING, "Training completion roster",
                             "Completions attached.", attachment=("roster.csv", roster)))
    w.poll()
    ua = specimens.user_agreement_pdf("James Carter", ORG, "james.carter@hopeharbor.org", "2026-11-30")
    w.deliver(SUPPORT, mail("James Carter <james.carter@hopeharbor.org>", SUPPORT, "User Agreement", "Attached.",
                            attachment=("ua.pdf", ua)))
    notices = [m for m in w.poll() if str(m["X-HMISbot-Kind"]) == "user_ready"]
    (ready,) = notices
    assert str(ready["To"]) == "james.carter@hopeharbor.org, maria.lopez@hopeharbor.org"
    assert str(ready["Subject"]).startswith("James Carter is ready for HMIS access: LAHSA will open the account by ")
    assert "There is nothing more to send." in text(ready)
    code, out = cli_in_process(w.config, "grant", "james.carter@hopeharbor.org")
    assert code == 0, out
    (granted,) = [m for m in w.poll() if str(m["X-HMISbot-Kind"]) == "access_granted"]
    assert str(granted["Subject"]) == f"HMIS access granted: James Carter ({ORG})"
    assert str(granted["Reply-To"]) == SUPPORT and "maria.lopez@hopeharbor.org" in str(granted["To"])
    assert f"signing in does not work, write to {SUPPORT}" in text(granted)

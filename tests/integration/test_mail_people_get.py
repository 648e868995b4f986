"""The mail people get (issue 15), end to end over Dovecot and SMTP: which address it names for
the answer, what its subject says happened, and the sentence that tells the next step."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.demo import scanner, specimens
from tests.support.lahsa import DATE, LINKS, Lahsa, agreement, mail, text
from tests.support.pipeline import JOIN, SUPPORT, TRAINING, received

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_rejection_says_why_in_the_subject_and_where_to_resend(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    bad = specimens.organization_agreement_pdf("Eastside Youth Center", "Angela Reyes", "Executive Director", DATE,
                                               coc_signed=True)
    w.deliver(TRAINING, mail("Angela Reyes <areyes@eastsideyouth.org>", TRAINING, "Org agreement", "Attached.",
                             attachment=("agreement.pdf", bad)))
    (reply,) = w.poll()
    assert str(reply["Subject"]).startswith("Not accepted: ") and "CoC" in str(reply["Subject"])
    assert str(reply["Reply-To"]) == TRAINING
    assert f"Send a corrected, signed Organization Agreement to {TRAINING}; replying to this message is enough." \
        in text(reply)
    assert LINKS["organization_agreement"] in text(reply)


def test_an_answer_to_our_receipt_in_another_inbox_is_never_called_the_wrong_inbox(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    w.deliver(TRAINING, mail("Daniel Kim <daniel.kim@hopeharbor.org>", TRAINING,
                             "Signed Organization Agreement - Hope Harbor Services", "Attached.",
                             attachment=("agreement.pdf", agreement("Hope Harbor Services", "Daniel Kim"))))
    (receipt,) = w.poll()
    assert str(receipt["Reply-To"]) == TRAINING
    assert str(receipt["Subject"]) == "Accepted: Organization Agreement for Hope Harbor Services"
    # His mail client ignored Reply-To: the answer, with a user's form, lands in HMISsupport@.
    answer = EmailMessage()
    answer["From"], answer["To"] = "Daniel Kim <daniel.kim@hopeharbor.org>", SUPPORT
    answer["Subject"], answer["Message-ID"] = "Re: " + str(receipt["Subject"]), "<answer.1@hopeharbor.org>"
    answer["In-Reply-To"] = answer["References"] = str(receipt["Message-ID"])
    answer.set_content("Thanks. Here is also our Program Manager's HMIS 10 form.")
    ack = specimens.hmis10_acknowledgement_pdf("Maria Lopez", "Hope Harbor Services", "maria.lopez@hopeharbor.org",
                                               DATE)
    answer.add_attachment(ack, maintype="application", subtype="pdf", filename="ack.pdf")
    w.deliver(TRAINING, answer.as_bytes())
    (reply,) = w.poll()
    assert reply["X-HMISbot-Kind"] != "wrong_inbox" and "wrong inbox" not in text(reply).lower()


def test_one_clear_reply_per_situation(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    # A photographed agreement from gmail, no organization anywhere: which organization?
    photo = scanner.photo(agreement("", "Tom Becker"), seed=2)
    w.deliver(TRAINING, mail("Tom Becker <tbecker.home@gmail.com>", TRAINING, "Agreement photo",
                             "Sorry, I only have my phone today.", attachment=("IMG_2231.pdf", photo)))
    # A truncated PDF: she must send it again.
    w.deliver(SUPPORT, mail("Nina Patel <nina@brightpath.org>", SUPPORT, "Forms", "Here are the forms.",
                            attachment=("forms.pdf", b"%PDF-1.4\n%cut short in transit")))
    # A known program manager's plain question.
    w.deliver(JOIN, mail("Maria Lopez <maria.lopez@hopeharbor.org>", JOIN, "Program setup - Hope Harbor Services",
                         "Please set up our programs.\n\nPrograms:\n- Harbor Outreach (Outreach)\n\nMaria"))
    w.poll()
    w.deliver(JOIN, mail("Maria Lopez <maria.lopez@hopeharbor.org>", JOIN, "When?",
                         "Hi, how long does the setup usually take?\n\nMaria"))
    w.poll()
    sent = {str(m["To"]): m for m in received(w.smtp.handler)}
    tom, nina = sent["tbecker.home@gmail.com"], sent["nina@brightpath.org"]
    assert str(tom["Subject"]) == "Which organization is this for? Agreement photo"
    assert "reply to this message with your organization's full name" in text(tom)
    assert str(nina["Subject"]).startswith("Please send it again: we could not open forms.pdf")
    assert "please send the file again" in text(nina) and "you do not need to send it again" not in text(nina)
    (question,) = [m for m in received(w.smtp.handler) if "When?" in text(m)]
    assert "passed it to a member of LAHSA's HMIS team, who will answer you" in text(question)
    for m in (tom, nina):
        assert "bot" not in text(m).lower().split() and "unknown organization" not in text(m)


def test_users_are_told_to_register_for_their_trainings_with_the_link(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    w.deliver(JOIN, mail("Maria Lopez <maria.lopez@hopeharbor.org>", JOIN, "Users for training - Hope Harbor",
                         "- James Carter, james.carter@hopeharbor.org, Outreach, new user\n\nMaria"))
    w.deliver(TRAINING, mail("Daniel Kim <daniel.kim@hopeharbor.org>", TRAINING,
                             "Signed Organization Agreement - Hope Harbor Services", "Attached.",
                             attachment=("agreement.pdf", agreement("Hope Harbor Services", "Daniel Kim"))))
    w.poll()
    w.deliver(JOIN, mail("Maria Lopez <maria.lopez@hopeharbor.org>", JOIN, "More users for training",
                         "- Priya Shah, priya.shah@hopeharbor.org, Case Manager, existing user\n\nMaria"))
    replies = w.poll()
    (reply,) = [m for m in replies if str(m["To"]) == "maria.lopez@hopeharbor.org"]
    body = text(reply)
    assert "New users first create a login on the HMIS Training Website." in body
    assert "Register for your role's trainings on the HMIS Training Website and attend them." in body
    assert LINKS["training_site"] in body and LINKS["user_agreement"] in body
    assert body.count("Steps 1 and 2") <= 1  # said once for the organization, never under every user

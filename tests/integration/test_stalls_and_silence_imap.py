"""Over Dovecot and SMTP (issue 15 points 4, 5 and 8): no answer to spam, newsletters and
strangers; a stalled organization is reminded by name, from the step's inbox, and escalated in
one mail per organization; the words are people's words, not codes."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.demo import specimens
from bot.store.models import ReviewItem
from tests.support.lahsa import Lahsa, mail, text
from tests.support.pipeline import JOIN, SUPPORT, TRAINING, cli_in_process, received

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ED = "Angela Reyes <areyes@eastsideyouth.org>"


def spam(subject: str, headers: dict[str, str], sender: str = "Deals <win@prizes.example>") -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = sender, SUPPORT, subject, f"<{abs(hash(subject))}@x.example>"
    for k, v in headers.items():
        m[k] = v
    m.set_content("Click here to claim your prize. Unsubscribe at any time.")
    return m.as_bytes()


def test_spam_newsletters_and_strangers_get_no_answer_over_imap(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    w.deliver(SUPPORT, spam("You won", {"X-Spam-Flag": "YES", "X-Spam-Status": "Yes, score=9.1"}))
    w.deliver(SUPPORT, spam("Cheap meds", {"X-MS-Exchange-Organization-SCL": "6"}))
    w.deliver(SUPPORT, spam("Offer", {"X-Forefront-Antispam-Report": "CIP:1.2.3.4;SFV:SPM;SCL:9"}))
    w.deliver(JOIN, spam("Our December newsletter", {"List-Unsubscribe": "<mailto:leave@news.example>",
                                                     "List-Id": "News <news.example>", "Precedence": "bulk"},
                         "Community News <news@news.example>"))
    w.deliver(TRAINING, mail("Pat Stranger <pat@somewhere.example>", TRAINING, "Lunch on Friday?",
                             "Are we still on for lunch on Friday?\n\nPat"))
    assert w.poll() == []  # nobody answered, nothing sent anywhere
    w.deliver(TRAINING, mail("Pat Stranger <pat@somewhere.example>", TRAINING, "HMIS question",
                             "How does our agency join HMIS for CES?\n\nPat"))
    (answer,) = w.poll()  # a stranger's question about the process is answered
    assert str(answer["To"]) == "pat@somewhere.example" and str(answer["X-HMISbot-Kind"]) == "question"


def test_a_rejected_agreement_is_chased_by_name_from_its_inbox_then_escalated_once(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    bad = specimens.organization_agreement_pdf("Eastside Youth Center", "Angela Reyes", "Executive Director",
                                               "11/30/2026", coc_signed=True)
    w.deliver(TRAINING, mail(ED, TRAINING, "Org agreement", "Attached.", attachment=("agreement.pdf", bad)))
    (rejected,) = w.poll()
    assert str(rejected["Subject"]).startswith("Not accepted: ")
    before = len(w.smtp.handler.received)
    code, out = cli_in_process(w.config, "remind", now="2026-12-03T09:00:00-08:00")
    assert code == 0, out
    (reminder,) = _sent_since(w, before)
    assert str(reminder["To"]) == "areyes@eastsideyouth.org" and str(reminder["Reply-To"]) == TRAINING
    body = text(reminder)
    assert body.startswith("Hello Angela Reyes,") or body.startswith("Hello Angela,")
    assert "The Executive Director signs the Organization Agreement (leaving the CoC section blank) and sends a " \
           f"scan of it to {TRAINING}." in body
    assert "automatic reply" not in body and "_" not in body.split("What to do next")[0]
    before = len(w.smtp.handler.received)
    code, out = cli_in_process(w.config, "escalate", now="2026-12-08T09:00:00-08:00")
    assert code == 0, out
    escalations = [m for m in _sent_since(w, before) if str(m["X-HMISbot-Kind"]) == "escalation"]
    # One mail for the organization and duty: agreements are the training duty's (LAHSA.Training@).
    assert [str(m["To"]) for m in escalations] == ["hmis.training@lahsa.org"]
    assert "hmisbot" not in text(escalations[0]) and "Eastside Youth Center" in text(escalations[0])
    assert w.rows(ReviewItem) == []


def _sent_since(w: Lahsa, before: int) -> list[EmailMessage]:
    return received(w.smtp.handler)[before:]


def test_the_morning_digest_says_what_arrived_and_who_waits_on_whom(lahsa_with_links: Lahsa) -> None:
    w = lahsa_with_links
    bad = specimens.organization_agreement_pdf("Eastside Youth Center", "Angela Reyes", "Executive Director",
                                               "11/30/2026", coc_signed=True)
    w.deliver(TRAINING, mail(ED, TRAINING, "Org agreement", "Attached.", attachment=("agreement.pdf", bad)))
    w.poll()
    before = len(w.smtp.handler.received)
    code, out = cli_in_process(w.config, "digest", now="2026-12-01T07:30:00-08:00")
    assert code == 0, out
    (digest,) = [m for m in _sent_since(w, before) if str(m["To"]) == "hmis.training@lahsa.org"]
    body = text(digest)
    assert "Organization Agreement not accepted: the CoC Representative section must be left blank" in body
    assert "Waiting on organizations" in body and "Eastside Youth Center" in body
    assert "-> other" not in body and "processed" not in body

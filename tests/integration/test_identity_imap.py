"""Who sent it and may they act for the organization: end to end over Dovecot and SMTP (issue 13).

Each case delivers mail to the LAHSA inboxes on a private Dovecot, runs ``poll --once`` and
looks at the database, the review queue and the reply the SMTP server received. The
organizations are set up the way they are in production: Hope Harbor and Eastside have
sent their agreements (so their domains and Executive Directors are on file); Sunrise
Bridge is only on the CES implementation list (imported, nobody holds it yet).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import scanner, specimens
from bot.store.models import Contact, Document, HmisUser, Organization, Program, ReviewItem
from tests.integration.conftest import SmtpServer
from tests.integration.dovecot import DovecotServer
from tests.support.lahsa import DATE, Lahsa, agreement, mail
from tests.support.pipeline import JOIN, SUPPORT, TRAINING, cli_in_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]
@pytest.fixture
def world(lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, tmp_path: Path) -> Lahsa:
    from bot.store.db import make_engine

    engine = make_engine(db_url)
    w = Lahsa(tmp_path, db_url, lahsa, smtp, engine)
    w.deliver(TRAINING, mail("Daniel Kim <daniel.kim@hopeharbor.org>", TRAINING,
                             "Signed Organization Agreement - Hope Harbor Services", "Attached.",
                             attachment=("agreement.pdf", agreement("Hope Harbor Services", "Daniel Kim"))))
    w.deliver(TRAINING, mail("Angela Reyes <areyes@eastsideyouth.org>", TRAINING, "Org agreement", "Attached.",
                             attachment=("agreement.pdf", agreement("Eastside Youth Center", "Angela Reyes"))))
    w.poll()
    assert w.org("Hope Harbor Services") and w.org("Eastside Youth Center")
    csv = tmp_path / "implementation.csv"
    csv.write_text("name,ces_roles\nSunrise Bridge Community Services,Outreach\n")
    code, out = cli_in_process(w.config, "import-orgs", str(csv))
    assert code == 0, out
    return w


def test_scanned_agreement_whose_name_cannot_be_read_is_known_by_subject_and_domain(world: Lahsa) -> None:
    unreadable = scanner.scan(agreement("", "Maria Ortiz"), seed=7)  # the organization line left empty
    world.deliver(TRAINING, mail("Maria Ortiz <maria.ortiz@sunrisebridge.org>", TRAINING,
                                 "Signed Organization Agreement - Sunrise Bridge Community Services",
                                 "Please find our signed agreement attached.\n\nMaria Ortiz\nExecutive Director",
                                 attachment=("scan0001.pdf", unreadable)))
    replies = world.poll()
    org = world.org("Sunrise Bridge Community Services")
    assert org is not None and org.agreement == "accepted" and "sunrisebridge.org" in org.email_domains
    assert not world.rows(ReviewItem, org_id=org.id)
    assert [str(r["To"]) for r in replies] == ["maria.ortiz@sunrisebridge.org"]
    assert len(world.rows(Organization)) == 3  # claimed, not founded again


def test_user_agreement_forwarded_by_the_program_manager(world: Lahsa) -> None:
    world.deliver(JOIN, mail("Maria Lopez <maria.lopez@hopeharbor.org>", JOIN, "Program setup - Hope Harbor Services",
                             "Please set up our programs.\n\nPrograms:\n- Harbor Outreach (Outreach)\n\nMaria"))
    world.poll()
    ua = specimens.user_agreement_pdf("James Carter", "Hope Harbor Services", "james.carter@gmail.com", DATE)
    world.deliver(SUPPORT, mail("Maria Lopez <maria.lopez@hopeharbor.org>", SUPPORT, "Fwd: User Agreement",
                                "Forwarding James's signed agreement.\n\nMaria",
                                attachment=("ua.pdf", ua)))
    replies = world.poll()
    users = world.rows(HmisUser, email="james.carter@gmail.com")
    assert users and users[0].forms.get("user_agreement") == "accepted"
    assert [str(r["To"]) for r in replies] == ["maria.lopez@hopeharbor.org"]


def test_outsider_at_gmail_naming_an_existing_organization_changes_nothing_and_learns_nothing(world: Lahsa) -> None:
    world.deliver(JOIN, mail("Hope PM <maria.lopez@hopeharbor.org>", JOIN, "Users for training",
                             "- James Carter, james.carter@hopeharbor.org, Outreach, new user\n"))
    world.poll()
    world.deliver(JOIN, mail("Mallory <mallory.two@gmail.com>", JOIN, "Program setup request",
                             "Organization: Hope Harbor Services\n\nPrograms:\n- Mallory Outreach (Outreach)\n",
                             reply_to="victim@thirdparty.example"))
    replies = world.poll()
    hope = world.org("Hope Harbor Services")
    assert hope is not None
    assert not world.rows(Program, org_id=hope.id, name="Mallory Outreach")
    assert not world.rows(Contact, email="mallory.two@gmail.com")
    items = world.rows(ReviewItem, sender="mallory.two@gmail.com")
    assert items and "is not a contact of Hope Harbor Services" in items[0].reason
    assert [str(r["To"]) for r in replies] == ["mallory.two@gmail.com"]  # never the Reply-To at another domain
    text = replies[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "James Carter" not in text and "james.carter" not in text and "Hope Harbor" not in text
    assert "not yet recorded" in str(replies[0]["Subject"]) and "organization's own email address" in text


def test_outsider_at_another_organizations_domain_cannot_touch_its_agreement(world: Lahsa) -> None:
    hope = world.org("Hope Harbor Services")
    assert hope is not None and hope.agreement == "accepted"
    fake = specimens.organization_agreement_pdf("Hope Harbor Services", "Bob Stone", "Executive Director", DATE,
                                                signed=False)
    world.deliver(TRAINING, mail("Bob Stone <bob@eastsideyouth.org>", TRAINING,
                                 "Organization Agreement - Hope Harbor Services", "Updated agreement.",
                                 attachment=("agreement.pdf", fake)))
    world.poll()
    hope = world.org("Hope Harbor Services")
    assert hope is not None and hope.agreement == "accepted"
    items = world.rows(ReviewItem, sender="bob@eastsideyouth.org")
    assert items and items[0].reason == ("The subject names Hope Harbor Services, but the sender bob@eastsideyouth.org "
                                         "writes from eastsideyouth.org (Eastside Youth Center)")
    assert not world.rows(Contact, email="bob@eastsideyouth.org")


def test_form_naming_another_organization_than_the_senders_domain_goes_to_review(world: Lahsa) -> None:
    ua = specimens.user_agreement_pdf("Ana Diaz", "Eastside Youth Center", "ana.diaz@eastsideyouth.org", DATE)
    world.deliver(SUPPORT, mail("Ana Diaz <ana.diaz@hopeharbor.org>", SUPPORT, "my user agreement", "Attached.",
                                attachment=("ua.pdf", ua)))
    world.poll()
    assert not world.rows(HmisUser, email="ana.diaz@eastsideyouth.org")
    items = world.rows(ReviewItem, sender="ana.diaz@hopeharbor.org")
    assert items and items[0].reason == ("The form names Eastside Youth Center, but the sender ana.diaz@hopeharbor.org "
                                         "writes from hopeharbor.org (Hope Harbor Services)")
    assert [d.status for d in world.rows(Document, filename="ua.pdf")] == ["review"]

"""Never mail anyone twice, never loop, never trust a forged sender: through real polls."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.models import AuditEvent, Contact, Organization, ReviewItem
from tests.scenario.harness import World
from tests.scenario.hope import ED, ORG, PM, SETUP, agreement

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    return World(tmp_path / "w", db_url)


def test_bounce_of_our_reply_marks_the_address_and_tells_staff(world: World) -> None:
    w = world
    w.mail("join", PM, "Program setup for CES", SETUP)
    (reply,) = w.poll()
    dsn = (
        "From: MAILER-DAEMON@mx.hopeharbor.org\r\nTo: HMISsupport@lahsa.org\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <dsn1@mx.hopeharbor.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.hopeharbor.org\r\n\r\n"
        "Final-Recipient: rfc822; maria.lopez@hopeharbor.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {reply.message_id}\r\n"
        "Subject: x\r\n\r\n--B--\r\n"
    ).encode()
    w.deliver("support", dsn)
    sent = w.poll()
    assert [(s.kind, s.to) for s in sent] == [("bounce_notice", "access@lahsa.org")]
    (contact,) = w.query(Contact, email="maria.lopez@hopeharbor.org")
    assert contact.undeliverable
    w.mail("join", PM, "Program setup again", SETUP.replace("Outreach)", "Outreach)\n- New Program (Outreach)"))
    assert w.poll() == []  # no more mail to an address that bounced
    assert any(e.action == "reply_not_sent_undeliverable" for e in w.query(AuditEvent))


def test_two_hmisbots_mailing_each_other_stop_within_two_messages(tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("one database per instance here; the SQLite run proves the loop guard")
    a, b = World(tmp_path / "a", db_url), World(tmp_path / "b", f"sqlite:///{tmp_path / 'b.sqlite3'}")
    a.mail("join", "Other Bot <HMISsupport@lahsa.org>", "Program setup for CES", SETUP)
    first = a.poll()
    assert len(first) == 1
    total = 1
    for _ in range(3):  # bounce the mail back and forth
        for s in first:
            b.deliver("support", a.outbox_bytes(s.message_id))
        first = b.poll()
        total += len(first)
        for s in first:
            a.deliver("support", b.outbox_bytes(s.message_id))
        first = a.poll()
        total += len(first)
    assert total <= 2


def test_forged_sender_is_not_believed(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url, extra="trusted_authserv_ids: [mx.lahsa.org]\n")
    forged = {"Authentication-Results": "mx.lahsa.org; dmarc=fail header.from=hopeharbor.org"}
    w.mail("training", ED, "Agreement", attachments=(("a.pdf", agreement()),), headers=forged)
    assert w.poll() == []  # no reply to an unverified sender
    assert not w.query(Organization)
    assert any("not authenticated" in r.reason for r in w.query(ReviewItem))
    # A header the sender wrote itself (another authserv-id) does not count either.
    w.mail("training", ED, "Agreement", attachments=(("a.pdf", agreement()),),
           headers={"Authentication-Results": "evil.example; dmarc=pass header.from=hopeharbor.org"})
    assert w.poll() == [] and not w.query(Organization)
    w.mail("training", ED, "Agreement", attachments=(("a.pdf", agreement()),),
           headers={"Authentication-Results": "mx.lahsa.org; spf=pass; dmarc=pass header.from=hopeharbor.org"})
    assert len(w.poll()) == 1 and w.org(ORG).agreement == "accepted"


def test_oversized_message_goes_to_review(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url, extra="limits: {max_message_mb: 0.05}\n")
    w.mail("training", ED, "Agreement", attachments=(("a.pdf", agreement() + b"%" * 80_000),))
    (reply,) = w.poll()
    assert reply.kind == "resend" and "send the file again" in reply.text and "0.05 MB limit" in reply.text
    assert any("larger than the 0.05 MB limit" in r.reason for r in w.query(ReviewItem))


def test_header_injection_and_template_markup_stay_inert(world: World) -> None:
    w = world
    w.mail("join", PM, "Setup {{ 7*7 }} <b>x</b>", SETUP + "\n{% for x in range(3) %}{{ x }}{% endfor %}")
    (reply,) = w.poll()
    assert "{{ 7*7 }}" in reply.text and "49" not in reply.text and "49" not in reply.subject
    assert "\n" not in reply.subject


def test_one_sender_gets_a_bounded_number_of_replies(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url, extra="limits: {replies_per_window: 2, reply_window_minutes: 60}\n")
    for i in range(4):
        w.mail("join", PM, f"Question {i}", "How do I reset my password? I am locked out.")
    sent = w.poll()
    assert len([s for s in sent if s.to == "maria.lopez@hopeharbor.org"]) == 2

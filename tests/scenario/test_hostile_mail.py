"""Mail written to abuse the bot (issue 14): replies to a third party, links in LAHSA's name,
hundreds of attachments, empty files. Played through real polls of the Maildir configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.models import Document, ReviewItem
from tests.scenario.harness import World

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    return World(tmp_path / "w", db_url)


def test_phishing_subject_and_reply_to_a_third_party(world: World) -> None:
    subject = "ACTION REQUIRED - reset your HMIS password at http://evil.example/reset " + "x" * 200_000
    world.mail("support", "Mallory <mallory.relay@gmail.com>", subject, "Hi, I cannot log in to HMIS.",
               headers={"Reply-To": "victim@thirdparty.example"})
    sent = world.poll()
    assert "victim@thirdparty.example" not in [s.to for s in sent]
    (reply,) = [s for s in sent if s.kind != "support_handoff"]
    assert reply.to == "mallory.relay@gmail.com"
    assert "evil.example" not in reply.subject and "evil.example" not in reply.text
    assert "[link removed]" in reply.text
    assert len(reply.subject) < 200 and len(reply.text) < 5000


def test_right_to_left_override_never_reaches_a_reply(world: World) -> None:
    world.mail("support", "Eve <eve@gmail.com>", "report\u202efdp.exe", "I am locked out of my HMIS account.")
    (reply,) = [s for s in world.poll() if s.to == "eve@gmail.com"]
    assert "\u202e" not in reply.subject and "\u202e" not in reply.text
    assert "reportfdp.exe" in reply.text


def test_two_hundred_attachments_make_one_review_item_and_name_the_unread(world: World) -> None:
    files = tuple((f"page{i:03}.pdf", b"%PDF-1.4\n%not really\n") for i in range(200))
    world.mail("support", "Sam <sam@brightpath.org>", "All our forms", "Attached.", attachments=files)
    world.poll()
    (item,) = world.query(ReviewItem)
    assert "180 more attachment(s) not read" in item.reason and "page020.pdf" in item.reason
    assert len(world.query(Document)) == 20


def test_an_empty_file_is_named_in_the_review_item(world: World) -> None:
    world.mail("training", "Nina <nina@brightpath.org>", "Agreement", "Our agreement.",
               attachments=(("agreement.pdf", b""),))
    (reply,) = world.poll()
    (item,) = world.query(ReviewItem)
    assert "agreement.pdf: the file is empty" in item.reason
    assert "agreement.pdf" in reply.text

"""Items 1 and 6 of issue 16: staff read the message and the replies, in plain words and local time."""

from __future__ import annotations

import re
from email.message import EmailMessage

from starlette.testclient import TestClient

from tests.web.conftest import Site, review_of


def test_the_org_timeline_shows_each_message_body_and_each_replys_text(site: Site, staff: TestClient) -> None:
    page = staff.get("/orgs/1").text
    bodies = re.findall(r'<pre class="body"[^>]*>(.*?)</pre>', page, re.S)
    assert any("Please set up our programs for CES." in b for b in bodies)  # a message
    assert any(b.startswith("Hello Daniel Kim,") for b in bodies)  # the reply sent to it


def test_a_review_item_shows_its_message_and_the_reply_it_got(site: Site, staff: TestClient) -> None:
    page = staff.get("/review").text
    tom = review_of(site, "tom.becker@valleyfamily.org") if site.sql(
        "SELECT 1 FROM review_item WHERE sender = 'tom.becker@valleyfamily.org'") else None
    item = page.split(f'id="item-{tom}"')[1] if tom else page
    assert "Sorry, I only have my phone today." in page
    assert "Reply sent:" in item and "Hello Tom Becker," in page


def test_a_hostile_body_is_shown_as_text(site: Site, staff: TestClient) -> None:
    item = review_of(site, "nina@brightpath.org")
    (path,) = site.sql("SELECT s.archive_path FROM seen_message s JOIN review_item r ON r.seen_id = s.id "
                       "WHERE r.id = :i", i=item)[0]
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "nina@brightpath.org", "forms"
    msg.set_content("<script>alert(1)</script><img src=x onerror=alert(2)> \u202eevil")
    with open(path, "wb") as fh:
        fh.write(msg.as_bytes())
    page = staff.get("/review").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x" in page and "<script>" not in page
    assert "[U+202E]evil" in page


def test_plain_words_not_codes(site: Site, staff: TestClient) -> None:
    pages = staff.get("/orgs/1").text + staff.get("/review").text
    # What a person reads: no markup (option values are codes), no folded-away technical detail.
    shown = re.sub(r"<details><summary>Technical detail</summary>.*?</details>", "", pages, flags=re.S)
    shown = re.sub(r"<[^>]+>", " ", shown)
    for code in ("hmis10_acknowledgement", "user_agreement", "text_layer", "outcome processed", "read as other",
                 "from ocr", "confidence 1.00", "PdfiumError"):
        assert code not in shown, code
    assert "HMIS 10 Acknowledgement Form" in pages and "Handled by the bot" in pages


def test_times_are_local_and_written_for_people(site: Site, staff: TestClient) -> None:
    page = staff.get("/orgs/1").text
    times = re.findall(r'<span class="when">([^<]*)</span>', page)
    people = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2}, 2026, \d{1,2}:\d\d [AP]M")
    assert times and all(people.fullmatch(t) for t in times)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page)


def test_the_timeline_is_in_order_and_a_reply_follows_its_message(site: Site, staff: TestClient) -> None:
    # The mailbox said the message arrived after the bot answered it (a server's clock): still message first.
    site.sql("UPDATE seen_message SET received_at = '2026-12-31 12:00:00' WHERE subject LIKE 'Signed HMIS Org%'")
    page = staff.get("/orgs/1").text
    message = page.index("Message from daniel.kim@hopeharbor.org: Signed HMIS Organization Agreement")
    reply = page.index("Hello Daniel Kim,")
    assert message < reply
    first, last = page.index("Program setup request"), page.index("Message from daniel.kim")
    assert first < last  # oldest first


def test_an_overdue_user_never_reads_ready(demo_master: object, tmp_path: object) -> None:
    from pathlib import Path

    from tests.web.conftest import client_for, demo_site, login

    site = demo_site(Path(str(demo_master)), Path(str(tmp_path)) / "demo", now="2026-12-10T10:00:00-08:00")
    client = client_for(site.bot)
    login(client)
    row = client.get("/orgs/1").text.split("james.carter@hopeharbor.org")[1].split("</tr>")[0]
    assert "Overdue" in row and "Ready" not in row and "late" in row
    site.bot.close()

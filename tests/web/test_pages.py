"""What the pages show: the board agrees with the digest, timelines and previews are complete.

The board and page queries run on SQLite and PostgreSQL over bench/web.py's
synthetic database; the timeline and the page previews over the demo, whose
archive holds real generated scans, PDFs and a phone photo.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session
from starlette.testclient import TestClient

from bot.core.digest import funnel
from bot.store.queries import load_all
from bot.web.board import load_board
from bot.web.http import rules_for
from tests.web.conftest import Site, client_for, login, synthetic_site


@pytest.fixture
def big(db_url: str, tmp_path: Path) -> Iterator[Site]:
    from bench.web import NOW

    site = synthetic_site(tmp_path, db_url, NOW, orgs=40, users=400)
    yield site
    site.bot.close()


def test_board_columns_are_the_digest_funnel_and_flag_overdue_work(big: Site) -> None:
    with Session(big.bot.engine) as session:
        board = load_board(session, rules_for(big.bot))
        orgs = load_all(session)
    assert [(c.step, c.count) for c in board.columns] == funnel(orgs)
    assert board.organizations == 40 and board.review_open == int(big.sql("SELECT count(*) FROM review_item")[0][0])
    today = big.bot.clock.today()
    late_users = {o.id for o in orgs for u in o.users
                  if u.access == "overdue" or (u.access == "ready" and u.access_due and u.access_due < today)}
    flagged = {card.id for col in board.columns for card in col.cards if any("access due" in w for w in card.overdue)}
    assert flagged == late_users and flagged  # the synthetic data has some, and exactly those are flagged


def test_every_page_renders_on_both_databases(big: Site) -> None:
    client = client_for(big.bot)
    login(client)
    board = client.get("/")
    # Each column shows its first cards (boardview.COLUMN_CARDS); its count covers all and links to them.
    assert board.status_code == 200 and len(re.findall(r'class="card( overdue)?"', board.text)) < 40
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', board.text)]
    assert sum(counts) == 40 and 'class="card overdue"' in board.text
    every = client.get("/?state=all").text
    assert len(re.findall(r'class="card( overdue)?"', every)) == 40
    user_id = big.sql("SELECT min(id) FROM hmis_user")[0][0]
    for path in ("/orgs/7", f"/users/{user_id}", "/review", "/today/access", "/today/implementation",
                 "/today/training"):
        r = client.get(path)
        assert r.status_code == 200, path
    org = client.get("/orgs/7").text
    assert org.count("Message from pm@org7.org") == 12 and "Mail sent: Received: Forms 0" in org
    assert client.get("/orgs/999").status_code == 404 and client.get("/users/999999").status_code == 404


def test_org_timeline_shows_messages_documents_checks_state_changes_and_replies(site: Site,
                                                                                staff: TestClient) -> None:
    page = staff.get("/orgs/1").text
    for expected in ("Message from daniel.kim@hopeharbor.org", "Hope Harbor Org Agreement.pdf",
                     "CoC Representative section left blank",
                     "Organization Agreement accepted",
                     # the access hand-off came from a training roster, a message of no organization
                     "Mail sent: HMIS access due Tue Dec 8, 2026: James Carter", "User ready for access"):
        assert expected in page, expected
    # The receipt for the agreement (its subject names what was received, not always the sender's words).
    assert re.search(r"Mail sent: (Received|Accepted): [^<]*Organization Agreement", page)
    previews = re.findall(r'src="(/documents/\d+/pages/\d+\.png)"', page)
    assert len(previews) >= 4  # the agreement's two pages, the scanned User Agreement, the acknowledgement


def test_user_page_shows_roles_trainings_forms_role_and_due_date(site: Site, staff: TestClient) -> None:
    james = site.sql("SELECT id FROM hmis_user WHERE email = 'james.carter@hopeharbor.org'")[0][0]
    page = staff.get(f"/users/{james}").text
    for expected in ("outreach", "HMIS 10", "HMIS 102", "User Agreement", "HMIS 10 Acknowledgement Form",
                     "CES_Outreach",
                     "Tue Dec 8, 2026", "scan0042.pdf", "Record access granted"):
        assert expected in page, expected


def _png(client: TestClient, path: str) -> Image.Image:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", path
    assert r.headers["cache-control"] == "no-store"  # not even the browser keeps it after logout
    return Image.open(io.BytesIO(r.content))


def test_previews_render_scans_pdfs_and_photos_from_the_archive(site: Site, staff: TestClient) -> None:
    docs = dict(site.sql("SELECT filename, id FROM document"))
    pdf = _png(staff, f"/documents/{docs['Hope Harbor Org Agreement.pdf']}/pages/2.png")
    assert pdf.width == 640 and pdf.height > 640  # a portrait page, large enough to read beside its fields
    assert _png(staff, f"/documents/{docs['scan0042.pdf']}/pages/1.png?size=full").width == 1400
    photo = _png(staff, f"/documents/{docs['IMG_2231.jpg']}/pages/1.png")
    assert photo.width <= 640 and sum(1 for n in photo.convert("L").histogram() if n) > 16  # a photo, not a blank image
    assert staff.get(f"/documents/{docs['forms.pdf']}/pages/1.png").status_code == 404  # unreadable: no preview
    assert staff.get(f"/documents/{docs['scan0042.pdf']}/pages/9.png").status_code == 404  # no such page


def test_previews_open_only_files_of_the_archive(site: Site, staff: TestClient) -> None:
    doc = site.sql("SELECT id, seen_id FROM document WHERE filename = 'ack.pdf'")[0]
    site.sql("UPDATE seen_message SET archive_path = '/etc/passwd' WHERE id = :i", i=doc[1])
    assert staff.get(f"/documents/{doc[0]}/pages/1.png").status_code == 404


def test_board_highlights_an_organization_whose_user_is_past_due(demo_master: Path, tmp_path: Path) -> None:
    from tests.web.conftest import demo_site

    late = demo_site(demo_master, tmp_path / "late", now="2026-12-10T10:00:00-08:00")
    client = client_for(late.bot)
    login(client)
    board = client.get("/").text
    # James Carter's access was due on December 8th and is not recorded as granted.
    card = re.search(r'<div class="card overdue">\s*<a href="/orgs/(\d+)">([^<]+)</a>', board)
    assert card and card.group(2) == "Hope Harbor Services"
    # ... and names who is late, by name and address, and by how many business days.
    assert "HMIS access for <a href=\"/users/" in board and "James Carter</a> <span class=\"addr\">" \
        "(james.carter@hopeharbor.org)</span> was due Tue Dec 8, 2026: 2 business days late" in board
    late.bot.close()


def test_org_and_user_pages_show_access_past_its_due_date_as_overdue(demo_master: Path, tmp_path: Path) -> None:
    """The stored state says ready until the nightly job runs; the pages say overdue from the day after."""
    from tests.web.conftest import demo_site

    late = demo_site(demo_master, tmp_path / "late", now="2026-12-10T10:00:00-08:00")
    assert late.sql("SELECT access FROM hmis_user WHERE email = 'james.carter@hopeharbor.org'") == [("ready",)]
    client = client_for(late.bot)
    login(client)
    james, org = late.sql("SELECT id, org_id FROM hmis_user WHERE email = 'james.carter@hopeharbor.org'")[0]
    for page in (client.get(f"/users/{james}").text, client.get(f"/orgs/{org}").text):
        assert "Overdue" in page and "Ready for an account" not in page
    late.bot.close()


def test_an_org_pages_review_items_link_to_the_queue_page_that_shows_them(site: Site, staff: TestClient) -> None:
    for n in range(30):  # a flood of other items first: the organization's item lands on page 2
        site.sql("INSERT INTO review_item (reason, mailbox, subject, sender, created_at, escalated) "
                 "VALUES (:r, 'support', 's', 'x@example.org', '2026-12-03 10:00:00', false)", r=f"other {n}")
    org = site.sql("SELECT id FROM organization WHERE name = 'Hope Harbor Services'")[0][0]
    site.sql("INSERT INTO review_item (reason, mailbox, subject, sender, org_id, created_at, escalated) "
             "VALUES ('check this one', 'join', 's', 'maria.lopez@hopeharbor.org', :org, '2026-12-03 10:00:00', "
             "false)", org=org)
    item = site.sql("SELECT max(id) FROM review_item")[0][0]
    opened = site.sql("SELECT count(*) FROM review_item WHERE resolved_at IS NULL AND id < :i", i=item)[0][0]
    page = opened // 25 + 1
    assert page >= 2
    assert f'href="/review?page={page}#item-{item}"' in staff.get(f"/orgs/{org}").text
    assert f'id="item-{item}"' in staff.get(f"/review?page={page}").text

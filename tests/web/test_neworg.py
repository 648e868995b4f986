"""Issue 16, item 3: an organization not on file is created from the review queue, then the item filed to it.

The demo's photographed agreement (IMG_2231.jpg, from tbecker@valleyfamily.org) could
not be placed: "unknown organization". Staff create Valley Family Services from the
item, then file the photo with the usual filing form, which the new organization now
fills in. Everything goes through the real application with a session and CSRF token.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.neworg import propose
from bot.store.models import ReviewItem
from tests.web.conftest import EMAIL, Site, client_for, csrf_of, demo_site, login, review_of
from tests.web.test_actions import outbox_mails, post
from tests.web.test_hardening import DUTIES

pytestmark = pytest.mark.slow  # builds the demo once per session
VALLEY = "tbecker@valleyfamily.org"


def create(client: TestClient, item: int, **data: str) -> tuple[int, str]:
    """POST the creation form; return the status and the page it shows (after the redirect, with its flash)."""
    token = csrf_of(client.get("/review").text)
    r = client.post(f"/review/{item}/organization", data={"csrf": token, **data})
    if r.status_code != 303:
        return r.status_code, r.text
    return 303, str(client.get(r.headers["location"]).text)


def test_an_unknown_organization_is_created_from_its_item_then_the_item_filed_to_it(site: Site,
                                                                                    staff: TestClient) -> None:
    item = review_of(site, VALLEY)
    queue = staff.get("/review").text
    form = queue[queue.index(f'action="/review/{item}/organization"'):]
    assert 'name="domain" value="valleyfamily.org"' in form  # from the sender's address
    assert 'name="name" value="Valleyfamily"' in form  # nothing read from the photo: the domain is a start
    assert "Record tbecker@valleyfamily.org as" in form
    # Only the unknown organization's item offers it: Nina's unreadable file and Kevin's question do not.
    assert queue.count("/organization\"") == 1

    status, page = create(staff, item, name="Valley  Family Services", domain="ValleyFamily.org",
                          role="executive_director", contact_name="Tom Becker")
    assert status == 303 and "Valley Family Services created. Now file review item" in page
    org_id, domains = site.sql("SELECT id, email_domains FROM organization WHERE name = 'Valley Family Services'")[0]
    assert json.loads(str(domains)) == ["valleyfamily.org"]
    assert site.sql("SELECT email, role, name FROM contact WHERE org_id = :o", o=org_id) == [
        (VALLEY, "executive_director", "Tom Becker")]
    assert site.sql("SELECT org_id, resolved_at FROM review_item WHERE id = :i", i=item) == [(org_id, None)]
    actor, detail = site.sql("SELECT actor, detail FROM audit_event WHERE action = 'organization_created' "
                             "AND org_id = :o", o=org_id)[0]
    assert actor == EMAIL and json.loads(str(detail)) == {
        "name": "Valley Family Services", "domain": "valleyfamily.org", "contact": VALLEY,
        "role": "executive_director", "review_item": item}
    # The item's filing form now names the new organization; filing is the existing flow, unchanged.
    assert f'id="org-{item}" type="text" name="org" list="orgs" value="Valley Family Services"' in page
    assert f'action="/review/{item}/organization"' not in page  # created once: the offer is gone
    doc = str(site.sql("SELECT id FROM document WHERE filename = 'IMG_2231.jpg'")[0][0])
    filed = post(staff, f"/review/{item}/classify", document=doc, kind="organization_agreement",
                 org="Valley Family Services")
    assert "filed as organization_agreement for Valley Family Services" in filed
    assert site.sql("SELECT agreement FROM organization WHERE id = :o", o=org_id) == [("accepted",)]
    receipt = next(m for m in outbox_mails(site) if m["X-HMISbot-Kind"] == "receipt" and m["To"] == VALLEY)
    body = receipt.get_body(("plain",))
    assert receipt["Subject"].startswith("Received: Organization Agreement")
    assert body is not None and "Valley Family Services" in body.get_content()
    assert "Organization created" in staff.get(f"/orgs/{org_id}").text  # on its timeline, by Ana


def test_creation_refuses_an_organization_on_file_and_asks_about_a_similar_name(site: Site,
                                                                               staff: TestClient) -> None:
    item = review_of(site, VALLEY)
    count = site.sql("SELECT count(*) FROM organization")
    for data, problem in [
        ({"name": "hope harbor  services"}, "Hope Harbor Services is already on file (same name)"),
        ({"name": "Valley Family", "domain": "eastsideyouth.org"},
         "Eastside Youth Center is already on file (same domain eastsideyouth.org)"),
        ({"name": "Valley Family", "domain": "gmail.com"}, "gmail.com is a free mail service"),
        ({"name": "Valley Family", "domain": "not a domain"}, "is not an email domain"),
        ({"name": "V"}, "give the organization&#39;s name"),
        ({"name": "Valley Family", "role": "treasurer"}, "unknown contact role"),
    ]:
        status, page = create(staff, item, **data)
        assert status == 303 and problem in page, (data, page[page.find('class="flash'):][:300])
    nina = review_of(site, "nina@brightpath.org")
    assert "is not waiting for an organization" in create(staff, nina, name="Bright Path")[1]
    # A similar name is shown first, and nothing is created until confirmed.
    status, page = create(staff, item, name="Hope Harbour Services", domain="valleyfamily.org")
    assert status == 200 and "Create “Hope Harbour Services” anyway?" in page and "<li class=\"late\">Hope Harbor " \
        "Services</li>" in page
    assert site.sql("SELECT count(*) FROM organization") == count
    token = csrf_of(page)
    r = staff.post(f"/review/{item}/organization", data={"csrf": token, "confirm": "1", "name": "Hope Harbour Services",
                                                         "domain": "valleyfamily.org", "role": "", "contact_name": ""})
    assert r.status_code == 303 and site.sql("SELECT count(*) FROM organization") == [(count[0][0] + 1,)]
    assert site.sql("SELECT count(*) FROM contact WHERE email = :e", e=VALLEY) == [(0,)]  # no contact asked for
    # A second click (an old tab) creates nothing more.
    assert "is not waiting for an organization" in create(staff, item, name="Valley Family Services")[1]
    assert site.sql("SELECT count(*) FROM audit_event WHERE action = 'organization_created' AND actor = :a",
                    a=EMAIL) == [(1,)]


def test_only_the_training_and_implementation_duties_create_organizations(demo_master: Path, tmp_path: Path) -> None:
    site = demo_site(demo_master, tmp_path / "duties", web=DUTIES)
    item = review_of(site, VALLEY)
    clients = {}
    for name in ("abe", "rita", "tess", "ian"):
        clients[name] = client_for(site.bot)
        login(clients[name], email=f"{name}@lahsa.org")
    for name in ("abe", "rita"):  # the access duty, and someone with no duty
        assert f'action="/review/{item}/organization"' not in clients[name].get("/review").text
        assert create(clients[name], item, name="Valley Family Services")[0] == 403
    assert site.sql("SELECT count(*) FROM organization WHERE name LIKE 'Valley%'") == [(0,)]
    assert f'action="/review/{item}/organization"' in clients["ian"].get("/review").text
    assert create(clients["tess"], item, name="Valley Family Services", domain="valleyfamily.org")[0] == 303
    assert site.sql("SELECT actor FROM audit_event WHERE action = 'organization_created' AND actor != 'bot'") == [
        ("tess@lahsa.org",)]
    site.bot.close()


def test_the_form_is_filled_in_from_what_was_read_and_the_sender() -> None:
    def item(sender: str) -> ReviewItem:
        return ReviewItem(reason="x.pdf: unknown organization", sender=sender, created_at=None)  # type: ignore[arg-type]

    read = propose(item("ed@valley-family.org"), [{}, {"organization": " Valley  Family Services ",
                                                      "signer_name": "Tom Becker"}])
    assert (read.name, read.domain, read.contact_name, read.free_mail) == (
        "Valley Family Services", "valley-family.org", "Tom Becker", "")
    assert propose(item("ed@valley-family.org"), []).name == "Valley Family"
    free = propose(item("tom.becker@gmail.com"), [{"agency": "Valley Family Services"}])
    assert (free.name, free.domain, free.free_mail) == ("Valley Family Services", "", "gmail.com")
    assert propose(item("tom.becker@gmail.com"), []).name == ""  # never "Gmail"

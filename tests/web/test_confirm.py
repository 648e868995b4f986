"""Item 2 of issue 16: filing a doubtful document asks first, listing what is wrong with it."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.web.conftest import Site, csrf_of, review_of


def _file(staff: TestClient, item: int, doc: int, **extra: str) -> tuple[int, str]:
    token = csrf_of(staff.get("/review").text)
    r = staff.post(f"/review/{item}/classify", data={"csrf": token, "document": str(doc),
                                                     "kind": "organization_agreement",
                                                     "org": "Eastside Youth Center", "note": "", **extra})
    return r.status_code, r.text


def test_an_unsigned_agreement_from_another_domain_needs_confirmation(site: Site, staff: TestClient) -> None:
    item = review_of(site, "tbecker@valleyfamily.org")
    doc = int(site.sql("SELECT id FROM document WHERE filename = 'IMG_2231.jpg'")[0][0])
    site.sql("UPDATE document SET checks = :c WHERE id = :i", c='{"signed": false, "coc_section_blank": false}', i=doc)
    status, page = _file(staff, item, doc)
    assert status == 200 and "File review item" in page
    for concern in ("Not signed.", "CoC Representative section is filled in.",
                    "The sender&#39;s address is at @valleyfamily.org, but Eastside Youth Center&#39;s domain is "
                    "@eastsideyouth.org."):
        assert concern in page, concern
    assert site.sql(f"SELECT resolved_at FROM review_item WHERE id = {item}") == [(None,)]  # nothing done yet
    assert site.sql("SELECT agreement FROM organization WHERE name = 'Eastside Youth Center'") != [("accepted",)]
    assert 'name="confirm" value="1"' in page
    status, _ = _file(staff, item, doc, confirm="1")
    assert status == 303
    assert site.sql(f"SELECT resolved_by FROM review_item WHERE id = {item}") != [(None,)]


def test_an_uncertain_kind_is_a_concern_and_a_clean_form_files_at_once(site: Site, staff: TestClient) -> None:
    item = review_of(site, "tbecker@valleyfamily.org")
    doc = int(site.sql("SELECT id FROM document WHERE filename = 'IMG_2231.jpg'")[0][0])
    site.sql("UPDATE document SET confidence = 0.4, checks = '{\"signed\": true}' WHERE id = :i", i=doc)
    site.sql("UPDATE organization SET email_domains = '[\"valleyfamily.org\"]' WHERE name = 'Eastside Youth Center'")
    status, page = _file(staff, item, doc)
    assert status == 200 and "The bot was only 40% sure this is the Organization Agreement." in page
    assert "domain" not in page.split("<ul class=\"concerns\">")[1].split("</ul>")[0]
    site.sql("UPDATE document SET confidence = 0.97 WHERE id = :i", i=doc)
    status, _ = _file(staff, item, doc)
    assert status == 303  # signed, sure, from the organization's own domain: no question

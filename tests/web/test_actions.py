"""The review queue's and the pages' actions change the database, the audit log and the outbox.

Each action is posted through the real application with a logged-in session and a
valid CSRF token; the tests then read the database and the outbox folder (the
TestClient runs the background flush before it returns).
"""

from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import EMAIL, Site, csrf_of, review_of

pytestmark = pytest.mark.slow  # builds the demo once per session


def post(client: TestClient, path: str, **data: str) -> str:
    """POST a form from the page that shows it; return the page it leads to (with its flash message).

    Filing is posted as confirmed: asking first is test_confirm.py's subject, filing itself is these tests'.
    """
    token = csrf_of(client.get("/review").text)
    confirmed = {"confirm": "1"} if path.endswith("/classify") else {}
    r = client.post(path, data={"csrf": token, **confirmed, **data})
    assert r.status_code == 303, r.text
    return str(client.get(r.headers["location"]).text)


def outbox_mails(site: Site) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((site.folder / "outbox").glob("*.eml"))]


def test_reject_tells_the_sender_why_and_records_who_did_it(site: Site, staff: TestClient) -> None:
    nina = review_of(site, "nina@brightpath.org")
    page = post(staff, f"/review/{nina}/reject", reason="The PDF arrived broken; please send it again.")
    assert "rejected; the reason is on its way to nina@brightpath.org" in page and "forms.pdf" not in page
    assert site.sql(f"SELECT resolved_by, resolution FROM review_item WHERE id = {nina}") == [
        (EMAIL, "rejected: The PDF arrived broken; please send it again.")]
    assert site.sql("SELECT status FROM document WHERE filename = 'forms.pdf'") == [("rejected",)]
    actor, detail = site.sql("SELECT actor, detail FROM audit_event WHERE action = 'review_rejected'")[0]
    assert actor == EMAIL and json.loads(str(detail))["to"] == "nina@brightpath.org"
    status, to, reply_to = site.sql("SELECT status, to_addrs, in_reply_to FROM outbox WHERE kind = 'rejected'")[0]
    assert status == "sent" and json.loads(str(to)) == ["nina@brightpath.org"]
    assert reply_to == "<demo.10@brightpath.org>"  # threaded to Nina's message
    mail = next(m for m in outbox_mails(site) if m["X-HMISbot-Kind"] == "rejected")
    body = mail.get_body(("plain",))
    assert body is not None and "The PDF arrived broken" in body.get_content()
    assert mail["To"] == "nina@brightpath.org" and mail["Subject"] == "Not accepted: Forms"


def test_a_reason_is_required_and_a_settled_item_cannot_be_settled_again(site: Site, staff: TestClient) -> None:
    nina = review_of(site, "nina@brightpath.org")
    assert "say why it is rejected" in post(staff, f"/review/{nina}/reject", reason="   ")
    assert site.sql(f"SELECT resolved_at FROM review_item WHERE id = {nina}") == [(None,)]
    post(staff, f"/review/{nina}/resolve", note="phoned Nina")
    assert "is not open" in post(staff, f"/review/{nina}/reject", reason="too late")
    assert site.sql("SELECT count(*) FROM outbox WHERE kind = 'rejected'") == [(0,)]


def test_filing_a_form_records_it_and_makes_a_ready_user_due(site: Site, staff: TestClient) -> None:
    nina = review_of(site, "nina@brightpath.org")
    # Priya has every training her role needs; only her User Agreement is missing.
    trainings = json.dumps({t: "2026-11-25" for t in ("HMIS 102", "HMIS 509", "HMIS 510", "HMIS 511")})
    site.sql("UPDATE hmis_user SET trainings = :t WHERE email = 'priya.shah@hopeharbor.org'", t=trainings)
    doc_id = site.sql("SELECT id FROM document WHERE filename = 'forms.pdf'")[0][0]
    page = post(staff, f"/review/{nina}/classify", document=str(doc_id), kind="user_agreement",
                org="hope harbor services", user="Priya.Shah@hopeharbor.org", note="checked the paper copy")
    assert "filed as user_agreement for Hope Harbor Services" in page
    forms, access, due = site.sql("SELECT forms, access, access_due FROM hmis_user WHERE email LIKE 'priya%'")[0]
    assert json.loads(str(forms))["user_agreement"] == "accepted" and access == "ready" and str(due) == "2026-12-08"
    kind, org_id, user_id, status = site.sql("SELECT kind, org_id, user_id, status FROM document WHERE id = :i",
                                             i=doc_id)[0]
    assert (kind, org_id, status) == ("user_agreement", 1, "accepted") and user_id is not None
    actions = dict(site.sql("SELECT action, actor FROM audit_event WHERE actor = :a AND action != 'login'", a=EMAIL))
    assert actions == {"review_classified": EMAIL, "user_ready": EMAIL}
    kinds = {k for (k,) in site.sql(f"SELECT kind FROM outbox WHERE key LIKE 'web:review:{nina}:%'")}
    assert kinds == {"handoff", "receipt"}  # the access duty is told; Nina gets a receipt
    handoff = next(m for m in outbox_mails(site) if m["X-HMISbot-Kind"] == "handoff" and "Priya" in m["Subject"])
    assert handoff["To"] == "hmis.access@lahsa.org"
    # The organization's timeline now shows the message, the staff action and the hand-off.
    org_page = staff.get("/orgs/1").text
    assert "Review item filed" in org_page and f"by {EMAIL}" in org_page and "Priya Shah" in org_page


def test_filing_refuses_what_it_cannot_do(site: Site, staff: TestClient) -> None:
    nina = review_of(site, "nina@brightpath.org")
    doc_id = str(site.sql("SELECT id FROM document WHERE filename = 'forms.pdf'")[0][0])
    assert "no organization named" in post(staff, f"/review/{nina}/classify", document=doc_id, kind="user_agreement",
                                           org="Nobody Such Inc", user="x@y.org")
    assert "needs the user&#39;s email" in post(staff, f"/review/{nina}/classify", document=doc_id,
                                                kind="user_agreement", org="Hope Harbor Services", user="")
    assert "not part of review item" in post(staff, f"/review/{nina}/classify", document="1", kind="user_agreement",
                                             org="Hope Harbor Services", user="x@hopeharbor.org")
    assert "unknown document kind" in post(staff, f"/review/{nina}/classify", document=doc_id, kind="love_letter",
                                           org="Hope Harbor Services")
    assert site.sql(f"SELECT resolved_at FROM review_item WHERE id = {nina}") == [(None,)]
    assert site.sql("SELECT forms FROM hmis_user WHERE email = 'x@hopeharbor.org'") == []


def test_a_message_without_a_document_is_filed_under_an_organization(site: Site, staff: TestClient) -> None:
    kevin = review_of(site, "kwu@example.net")
    assert "filed as Eastside Youth Center" in post(staff, f"/review/{kevin}/classify", org="Eastside Youth Center")
    org_id = site.sql("SELECT id FROM organization WHERE name = 'Eastside Youth Center'")[0][0]
    assert site.sql("SELECT org_id FROM seen_message WHERE sender = 'kwu@example.net'") == [(org_id,)]
    assert site.sql(f"SELECT resolved_by FROM review_item WHERE id = {kevin}") == [(EMAIL,)]
    assert "Message from kwu@example.net" in staff.get(f"/orgs/{org_id}").text


def test_countersign_an_accepted_agreement_only(site: Site, staff: TestClient) -> None:
    page = post(staff, "/orgs/1/countersign")
    assert "countersigned" in page and "Record countersignature" not in page
    assert site.sql("SELECT agreement FROM organization WHERE id = 1") == [("countersigned",)]
    assert site.sql("SELECT actor FROM audit_event WHERE action = 'agreement_countersigned'") == [(EMAIL,)]
    eastside = site.sql("SELECT id FROM organization WHERE name = 'Eastside Youth Center'")[0][0]
    assert "not accepted" in post(staff, f"/orgs/{eastside}/countersign")
    assert site.sql("SELECT agreement FROM organization WHERE id = :i", i=eastside) == [("rejected",)]


def test_grant_access_to_a_ready_user_only(site: Site, staff: TestClient) -> None:
    james, priya = (site.sql("SELECT id FROM hmis_user WHERE email = :e", e=f"{n}@hopeharbor.org")[0][0]
                    for n in ("james.carter", "priya.shah"))
    assert "Record access granted" in staff.get(f"/users/{james}").text
    assert "recorded as granted" in post(staff, f"/users/{james}/grant")
    assert site.sql("SELECT access FROM hmis_user WHERE id = :i", i=james) == [("granted",)]
    assert site.sql("SELECT actor, user_id FROM audit_event WHERE action = 'access_granted'") == [(EMAIL, james)]
    assert "access is granted only once the user is ready" in post(staff, f"/users/{priya}/grant")
    assert site.sql("SELECT access FROM hmis_user WHERE id = :i", i=priya) == [("waiting_on_user",)]

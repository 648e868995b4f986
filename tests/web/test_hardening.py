"""What an attacker tried against the staff site (issue 14) and what now happens.

Huge and non-numeric ids are 404/400 with the security headers (row 9), an
unexpected error still carries them, previews are never cached (they would stay in
the browser after logout), bidi and control characters are shown as [U+XXXX], each
action belongs to a duty, a second countersignature changes nothing, and the demo's
folder and database are private (row 7).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.service import countersign_agreement
from tests.web.conftest import HASH, Site, client_for, csrf_of, demo_site, login, review_of

pytestmark = pytest.mark.slow  # builds the demo once per session

HUGE = "99999999999999999999999999"


def _secured(r: object) -> bool:
    headers = r.headers  # type: ignore[attr-defined]
    return "frame-ancestors 'none'" in headers.get("content-security-policy", "") and \
        headers.get("x-content-type-options") == "nosniff" and headers.get("cache-control") == "no-store"


@pytest.mark.parametrize("bad", [HUGE, "abc", "1e3", "-1", "١٢"])
def test_huge_or_non_numeric_ids_are_404_for_pages_and_400_for_forms(site: Site, staff: TestClient,
                                                                    bad: str) -> None:
    for path in (f"/orgs/{bad}", f"/users/{bad}", f"/documents/{bad}/pages/1.png", f"/documents/1/pages/{bad}.png"):
        r = staff.get(path)
        assert r.status_code == 404 and _secured(r), (path, r.status_code)
    token = csrf_of(staff.get("/review").text)
    for path in (f"/review/{bad}/classify", f"/review/{bad}/reject", f"/review/{bad}/resolve",
                 f"/orgs/{bad}/countersign", f"/users/{bad}/grant"):
        r = staff.post(path, data={"csrf": token, "reason": "x", "kind": "unknown", "org": "Hope Harbor Services"})
        assert r.status_code == 400 and _secured(r), (path, r.status_code)
    nina = review_of(site, "nina@brightpath.org")
    r = staff.post(f"/review/{nina}/classify", data={"csrf": token, "document": HUGE, "kind": "user_agreement",
                                                      "org": "Hope Harbor Services"})
    assert r.status_code == 400 and _secured(r)


def test_an_unexpected_error_still_carries_the_security_headers(site: Site) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    client = client_for(site.bot)
    client.app.router.routes.append(Route("/boom", boom))  # type: ignore[attr-defined]
    quiet = TestClient(client.app, raise_server_exceptions=False)
    r = quiet.get("/boom")
    assert r.status_code == 500 and _secured(r) and "a bug" not in r.text


def test_previews_and_pages_are_never_cached(site: Site, staff: TestClient) -> None:
    doc = site.sql("SELECT id FROM document WHERE filename = 'scan0042.pdf'")[0][0]
    r = staff.get(f"/documents/{doc}/pages/1.png")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    for path in ("/", "/review", "/orgs/1", "/login"):
        assert staff.get(path).headers["cache-control"] == "no-store", path


def test_bidi_and_control_characters_are_shown_written_out(site: Site, staff: TestClient) -> None:
    nina = review_of(site, "nina@brightpath.org")
    site.sql("UPDATE document SET filename = :f WHERE filename = 'forms.pdf'", f="report\u202efdp.exe")
    site.sql("UPDATE review_item SET subject = :s WHERE id = :i", s="Forms\u2067 \u200f\x1b[31m", i=nina)
    site.sql("UPDATE organization SET name = :n WHERE id = 1", n="Hope\u202d Harbor\u0085")
    for path in ("/review", "/orgs/1"):
        page = staff.get(path).text
        for hidden in ("\u202e", "\u2067", "\u200f", "\x1b", "\u202d", "\u0085"):
            assert hidden not in page, (path, hidden)
    page = staff.get("/review").text
    assert "report[U+202E]fdp.exe" in page and "Forms[U+2067] [U+200F][U+001B][31m" in page
    assert "Hope[U+202D] Harbor[U+0085]" in staff.get("/orgs/1").text


def _users(*lines: str) -> str:
    return "\nweb:\n  users:\n" + "".join(f"    - {{{line}, password_hash: \"{HASH}\"}}\n" for line in lines)


DUTIES = _users("name: Ana, email: ana.staff@lahsa.org",  # no duties written: an administrator (as before)
                "name: Tess, email: tess@lahsa.org, duties: [training]",
                "name: Abe, email: abe@lahsa.org, duties: [access]",
                "name: Ian, email: ian@lahsa.org, duties: [implementation]",
                "name: Rita, email: rita@lahsa.org, admin: false",
                "name: Max, email: max@lahsa.org, duties: [training], admin: true")


def _as(site: Site, email: str) -> TestClient:
    client = client_for(site.bot)
    login(client, email=email)
    return client


def _post(client: TestClient, path: str, **data: str) -> int:
    return client.post(path, data={"csrf": csrf_of(client.get("/review").text), **data}).status_code


def test_each_action_belongs_to_a_duty(demo_master: Path, tmp_path: Path) -> None:
    site = demo_site(demo_master, tmp_path / "duties", web=DUTIES)
    james = site.sql("SELECT id FROM hmis_user WHERE email = 'james.carter@hopeharbor.org'")[0][0]
    nina, kevin = review_of(site, "nina@brightpath.org"), review_of(site, "kwu@example.net")
    tess, abe, ian, rita = (_as(site, f"{n}@lahsa.org") for n in ("tess", "abe", "ian", "rita"))
    # Countersigning is the implementation duty's, granting access the access duty's.
    assert _post(tess, "/orgs/1/countersign") == 403 and _post(abe, "/orgs/1/countersign") == 403
    assert _post(tess, f"/users/{james}/grant") == 403 and _post(ian, f"/users/{james}/grant") == 403
    assert "Record countersignature" not in tess.get("/orgs/1").text
    assert "Record access granted" not in tess.get(f"/users/{james}").text
    assert site.sql("SELECT count(*) FROM audit_event WHERE action IN ('agreement_countersigned', 'access_granted')"
                    ) == [(0,)]
    assert "Record countersignature" in ian.get("/orgs/1").text and _post(ian, "/orgs/1/countersign") == 303
    assert "Record access granted" in abe.get(f"/users/{james}").text and _post(abe, f"/users/{james}/grant") == 303
    # Any duty settles review items; someone with none (admin: false, no duties) may only look.
    assert _post(rita, f"/review/{nina}/resolve", note="x") == 403 and "Close without a reply" not in rita.get(
        "/review").text
    assert _post(tess, f"/review/{nina}/resolve", note="phoned Nina") == 303
    assert site.sql("SELECT actor FROM audit_event WHERE action IN ('agreement_countersigned', 'access_granted')"
                    " ORDER BY id") == [("ian@lahsa.org",), ("abe@lahsa.org",)]
    # An administrator does everything: Ana (no duties written, as in every older config) and Max.
    assert _post(_as(site, "max@lahsa.org"), f"/review/{kevin}/resolve", note="done") == 303
    site.bot.close()


def test_a_second_countersignature_is_a_no_op(site: Site, staff: TestClient) -> None:
    assert _post(staff, "/orgs/1/countersign") == 303
    page = staff.get("/orgs/1").text  # the form is gone; a second post (an old tab, a double click) changes nothing
    assert _post(staff, "/orgs/1/countersign") == 303 and "already countersigned" in staff.get("/orgs/1").text
    assert "countersigned" in page
    assert countersign_agreement(site.bot, "Hope Harbor Services", "cli@lahsa.org") is None  # the CLI too
    assert site.sql("SELECT actor FROM audit_event WHERE action = 'agreement_countersigned'") == [
        ("ana.staff@lahsa.org",)]


def test_the_demo_database_is_0600_in_a_0700_folder(demo_master: Path) -> None:
    assert stat.S_IMODE(demo_master.stat().st_mode) == 0o700
    for file in demo_master.glob("hmisbot.sqlite3*"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_staff_without_duties_written_are_administrators() -> None:
    from bot.config import parse_config
    from bot.web.auth import Staff
    from tests.web.test_auth import BASE

    config = parse_config(BASE + DUTIES)
    assert config.web is not None
    may = {u.name: [Staff.of(u).may(d) for d in (None, "implementation", "training", "access")]
           for u in config.web.users}
    assert may == {"Ana": [True] * 4, "Tess": [True, False, True, False], "Abe": [True, False, False, True],
                   "Ian": [True, True, False, False], "Rita": [False] * 4, "Max": [True] * 4}


def test_the_review_queue_paginates(site: Site, staff: TestClient) -> None:
    """Issue 14, row 6: 490 items made a 65 MB page no browser could load; 25 cards a page now."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from bot.store.models import ReviewItem

    before = site.sql("SELECT count(*) FROM review_item WHERE resolved_at IS NULL")[0][0]
    with Session(site.bot.engine) as session:
        for i in range(60):
            session.add(ReviewItem(reason=f"flood {i}", mailbox="support", subject=f"flood {i}",
                                   sender="x@flood.example", created_at=datetime(2026, 12, 3, tzinfo=UTC)))
        session.commit()
    total = before + 60
    pages = -(-total // 25)
    first = staff.get("/review").text
    assert f"{total} messages" in first and f"page 1 of {pages}" in first and "Later items" in first
    last = staff.get(f"/review?page={pages}").text
    assert f"page {pages} of {pages}" in last and "Earlier items" in last and "flood 59" in last
    assert "flood 59" not in first
    assert f"page 1 of {pages}" in staff.get("/review?page=abc").text
    assert f"page {pages} of {pages}" in staff.get("/review?page=99999999999999").text

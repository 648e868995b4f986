"""Issue 15, point 7 (the site's part): staff mark a program as set up from the organization page.

The button stands beside each program that waits for setup (requested or in setup),
for the implementation duty only; it calls ``bot.service.mark_program_set_up``, so the
program then waits for the Program Manager's confirmation, and the audit log says who.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import EMAIL, Site, client_for, csrf_of, demo_site, login
from tests.web.test_hardening import DUTIES

pytestmark = pytest.mark.slow  # builds the demo once per session
OUTREACH = "Hope Harbor Street Outreach"


def set_up(client: TestClient, org_id: int, program_id: int) -> tuple[int, str]:
    token = csrf_of(client.get(f"/orgs/{org_id}").text)
    r = client.post(f"/orgs/{org_id}/programs/{program_id}/set-up", data={"csrf": token})
    if r.status_code != 303:
        return r.status_code, r.text
    return 303, str(client.get(r.headers["location"]).text)


def _waiting(site: Site) -> tuple[int, int, int]:
    """Hope Harbor's outreach program put back to "requested"; (org id, its id, the shelter's id)."""
    site.sql("UPDATE program SET setup = 'requested', followup_at = NULL WHERE name = :n", n=OUTREACH)
    outreach, org_id = site.sql("SELECT id, org_id FROM program WHERE name = :n", n=OUTREACH)[0]
    shelter = site.sql("SELECT id FROM program WHERE name = 'Harbor Bridge Shelter'")[0][0]
    return int(org_id), int(outreach), int(shelter)


def test_a_program_waiting_for_setup_is_marked_set_up(site: Site, staff: TestClient) -> None:
    org_id, outreach, shelter = _waiting(site)
    page = staff.get(f"/orgs/{org_id}").text
    assert f'action="/orgs/{org_id}/programs/{outreach}/set-up"' in page
    assert f"/programs/{shelter}/set-up" not in page  # confirmed already: no button
    status, page = set_up(staff, org_id, outreach)
    assert status == 303 and f"{OUTREACH} is recorded as set up" in page
    setup, followup = site.sql("SELECT setup, followup_at FROM program WHERE id = :i", i=outreach)[0]
    assert setup == "awaiting_confirmation" and followup is not None
    assert site.sql("SELECT actor, org_id FROM audit_event WHERE action = 'program_set_up'") == [(EMAIL, org_id)]
    assert f'action="/orgs/{org_id}/programs/{outreach}/set-up"' not in page  # the button is gone
    assert "Set up, waiting for the manager&#39;s confirmation" in page and "Program marked as set up" in page
    # Twice (an old tab): refused in words, nothing recorded twice.
    status, page = set_up(staff, org_id, outreach)
    assert status == 303 and "is already set up" in page
    assert site.sql("SELECT count(*) FROM audit_event WHERE action = 'program_set_up'") == [(1,)]


def test_marking_set_up_refuses_a_program_of_another_organization(site: Site, staff: TestClient) -> None:
    org_id, outreach, _ = _waiting(site)
    other = site.sql("SELECT id FROM organization WHERE id != :o", o=org_id)[0][0]
    status, page = set_up(staff, other, outreach)
    assert status == 303 and f"no program #{outreach} at organization #{other}" in page
    assert site.sql("SELECT setup FROM program WHERE id = :i", i=outreach) == [("requested",)]
    assert staff.post(f"/orgs/{org_id}/programs/x/set-up", data={"csrf": csrf_of(page)}).status_code == 400


def test_only_the_implementation_duty_marks_a_program_set_up(demo_master: Path, tmp_path: Path) -> None:
    site = demo_site(demo_master, tmp_path / "duties", web=DUTIES)
    org_id, outreach, _ = _waiting(site)
    for name, allowed in (("abe", False), ("tess", False), ("ian", True)):
        client = client_for(site.bot)
        login(client, email=f"{name}@lahsa.org")
        shown = f"/programs/{outreach}/set-up" in client.get(f"/orgs/{org_id}").text
        status, _ = set_up(client, org_id, outreach)
        assert (shown, status) == (allowed, 303 if allowed else 403), name
    assert site.sql("SELECT actor FROM audit_event WHERE action = 'program_set_up'") == [("ian@lahsa.org",)]
    site.bot.close()

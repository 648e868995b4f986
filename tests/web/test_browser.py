"""The staff site in a real headless Chromium: log in, read the board, settle a review item.

Debian's ``chromium`` is driven by Playwright (never ``playwright install``, which
downloads a browser of its own) against ``hmisbot web``'s application served by
uvicorn on 127.0.0.1. A screenshot of every page goes to test-output/screenshots/.
Without Chromium the test is skipped, except under CI (CI=true), where that fails.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.web.conftest import EMAIL, PASSWORD, Site, demo_site
from tests.web.test_actions import outbox_mails

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
REASON = "The PDF arrived broken (it cannot be opened). Please send the forms again as a new scan."


def _need_chromium() -> None:
    why = None
    if not CHROMIUM.exists():
        why = "Debian's chromium is not installed (apt-get install chromium; scripts/test.sh does it)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            why = "the playwright package is not installed (pip install -e '.[test]')"
    if why and IN_CI:
        pytest.fail(f"{why} (CI=true: a missing browser is a failure, not a skip)", pytrace=False)
    if why:
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(demo_master: Path, tmp_path: Path) -> Iterator[tuple[Site, str]]:
    """The demo a week later (James's access is overdue), served by uvicorn on 127.0.0.1."""
    _need_chromium()
    import uvicorn

    from bot.web.app import create_app

    site = demo_site(demo_master, tmp_path / "demo", now="2026-12-10T10:00:00-08:00")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(site.bot), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield site, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    site.bot.close()


def _shoot(page: Any, name: str) -> None:
    """A full-page screenshot, after every lazy preview image has loaded."""
    for img in page.locator("img").all():
        img.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle(), timeout=30_000)
    page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _wait_sent(site: Site, kind: str) -> str:
    """The background flush runs after the response: wait (bounded) for the row to be sent."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = site.sql("SELECT status FROM outbox WHERE kind = :k", k=kind)
        if rows and rows[0][0] == "sent":
            return "sent"
        time.sleep(0.1)
    return str(rows)


def _log_in(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/review")
    expect(page).to_have_url(base + "/login?next=/review")
    _shoot(page, "01-login")
    page.fill("#email", EMAIL)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/review")  # back where the login began


def _read_pages(page: Any, base: str) -> None:
    """Board (an overdue organization highlighted), its page, a user's page."""
    from playwright.sync_api import expect

    page.goto(base + "/")
    expect(page.locator("section[aria-label='Users in training'] .count")).to_have_text("1")
    overdue = page.locator(".card.overdue")
    expect(overdue).to_have_count(1)
    expect(overdue).to_contain_text("Hope Harbor Services")
    # The card names the late user, with the address and how late it is (issue 16, item 4).
    expect(overdue).to_contain_text("HMIS access for James Carter (james.carter@hopeharbor.org) was due Tue Dec 8")
    expect(overdue).to_contain_text("2 business days late")
    _shoot(page, "02-board")
    overdue.get_by_role("link", name="Hope Harbor Services").click()
    expect(page.locator("h1")).to_have_text("Hope Harbor Services")
    expect(page.locator(".tl")).to_contain_text("Message from daniel.kim@hopeharbor.org")
    _shoot(page, "03-organization")
    page.get_by_role("link", name="James Carter").click()
    expect(page.locator("h1")).to_have_text("James Carter")
    expect(page.locator("main")).to_contain_text("CES_Outreach")
    expect(page.locator("main")).to_contain_text("Overdue")
    _shoot(page, "04-user")


def _reject_forms_pdf(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Review queue").click()
    item = page.locator("article", has_text="could not read forms.pdf")
    expect(item).to_contain_text("nina@brightpath.org")
    _shoot(page, "05-review-queue")
    item.locator("textarea[name=reason]").fill(REASON)
    item.get_by_role("button", name="Reject and reply").click()
    expect(page.locator(".flash")).to_contain_text("the reason is on its way to nina@brightpath.org")
    expect(page.locator("article", has_text="could not read forms.pdf")).to_have_count(0)
    _shoot(page, "06-review-after-reject")


def test_staff_log_in_read_the_board_and_reject_an_unreadable_form(served: tuple[Site, str]) -> None:
    from playwright.sync_api import sync_playwright

    site, base = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        _log_in(page, base)
        _read_pages(page, base)
        _reject_forms_pdf(page)
        browser.close()
    assert site.sql("SELECT resolved_by, resolution FROM review_item WHERE reason = 'could not read forms.pdf'") == [
        (EMAIL, f"rejected: {REASON}")]
    assert site.sql("SELECT actor FROM audit_event WHERE action = 'review_rejected'") == [(EMAIL,)]
    assert _wait_sent(site, "rejected") == "sent"
    to = site.sql("SELECT to_addrs FROM outbox WHERE kind = 'rejected'")[0][0]
    assert json.loads(str(to)) == ["nina@brightpath.org"]
    mails = [m for m in outbox_mails(site) if m["X-HMISbot-Kind"] == "rejected"]
    body = mails[0].get_body(("plain",)) if len(mails) == 1 else None
    assert body is not None and "Please send the forms again" in body.get_content()

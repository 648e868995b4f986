"""Issue 16, item 4: a "what do I do today" page per duty, and a board that is searched, filtered and sorted.

The duty pages run over the demo a week on (James Carter's access is two business days
late) with a few states set by hand; their rules are held to the digest's and the
escalations' over bench/web.py's synthetic database, on SQLite and PostgreSQL, as the
board is held to the digest's funnel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from bot.core.digest import ReviewView, waiting_on_lahsa
from bot.core.duties import due_escalations
from bot.store.queries import load_all, open_reviews
from bot.web.board import load_board
from bot.web.http import rules_for
from bot.web.listing import Listing, paginate
from bot.web.today import DUTY_TITLES, load_tasks, tasks_for
from tests.web.conftest import Site, client_for, demo_site, login, synthetic_site
from tests.web.test_hardening import DUTIES

pytestmark = pytest.mark.slow
WEEK_ON = "2026-12-10T10:00:00-08:00"  # a Thursday


@pytest.fixture
def later(demo_master: Path, tmp_path: Path) -> Iterator[tuple[Site, TestClient]]:
    site = demo_site(demo_master, tmp_path / "later", now=WEEK_ON)
    client = client_for(site.bot)
    login(client)
    yield site, client
    site.bot.close()


@pytest.fixture
def big(db_url: str, tmp_path: Path) -> Iterator[Site]:
    from bench.web import NOW

    site = synthetic_site(tmp_path, db_url, NOW, orgs=40, users=400)
    yield site
    site.bot.close()


def text_of(html: str) -> str:
    """The page's words, tags dropped and entities read, for assertions on what staff read."""
    import html as h

    return h.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def tasks(html: str) -> list[str]:
    """Each task of a today page, as text."""
    return [text_of(li).strip() for li in re.findall(r'<li class="(?:overdue|today|waiting)">(.*?)</li>', html, re.S)]


def test_the_access_page_names_each_late_person_and_how_late(later: tuple[Site, TestClient]) -> None:
    site, client = later
    james = site.sql("SELECT id FROM hmis_user WHERE email = 'james.carter@hopeharbor.org'")[0][0]
    # Priya becomes ready today, due today (a made-up state the demo would reach with her forms).
    site.sql("UPDATE hmis_user SET access = 'ready', access_due = :d WHERE email = 'priya.shah@hopeharbor.org'",
             d=date(2026, 12, 10))
    page = client.get("/today/access").text
    listed = tasks(page)
    nina = site.sql("SELECT id FROM review_item WHERE sender = 'nina@brightpath.org'")[0][0]
    forms = next(i for i, t in enumerate(listed) if "could not read forms.pdf" in t)
    carter = next(i for i, t in enumerate(listed) if "James Carter" in t)
    shah = next(i for i, t in enumerate(listed) if "Priya Shah" in t)
    assert forms < carter < shah  # the latest first (7, then 2 business days), then what is due today
    assert listed[forms].startswith(f"Overdue Settle review item #{nina}: could not read forms.pdf")
    assert "7 business days late" in listed[forms] and f'href="/review?page=1#item-{nina}"' in page
    assert listed[carter] == (
        "Overdue Create the HMIS account James Carter (james.carter@hopeharbor.org) · HMIS role CES_Outreach "
        "Organization: Hope Harbor Services Due Tue Dec 8, 2026: 2 business days late")
    assert f'href="/users/{james}"' in page
    assert listed[shah].startswith("Due today Create the HMIS account Priya Shah (priya.shah@hopeharbor.org)")
    assert "Due Thu Dec 10, 2026" in listed[shah]
    # The counters are links to the filtered list; the filters and the search narrow it.
    overdue = sum(1 for t in listed if t.startswith("Overdue"))
    assert re.search(rf'href="/today/access\?state=overdue"><div class="n late">{overdue}</div>Overdue', page)
    assert [t.split(" ")[0] for t in tasks(client.get("/today/access?state=today").text)] == ["Due"]
    assert len(tasks(client.get("/today/access?q=JAMES").text)) == 1
    assert len(tasks(client.get("/today/access?q=hope+harbor").text)) == 2  # James and Priya
    assert "Nothing matches." in client.get("/today/access?q=nobody+at+all").text


def test_the_implementation_and_training_pages(later: tuple[Site, TestClient]) -> None:
    site, client = later
    # One program requested a week ago (due after 3 business days: 2 late today), one set up and waiting
    # since Tuesday for the manager's confirmation (due today), one just requested (not due yet).
    site.sql("UPDATE program SET setup = 'requested', requested_at = '2026-12-04 18:00:00.000000',"
             " followup_at = NULL WHERE name = 'Hope Harbor Street Outreach'")
    site.sql("UPDATE program SET setup = 'awaiting_confirmation', followup_at = '2026-12-08 18:00:00.000000'"
             " WHERE name = 'Harbor Bridge Shelter'")
    listed = [t for t in tasks(client.get("/today/implementation").text) if "review item" not in t]
    assert len(listed) == 2 and listed[0].startswith("Overdue Set up the program in HMIS Hope Harbor Street Outreach")
    assert "· Outreach Organization: Hope Harbor Services Due Tue Dec 8, 2026: 2 business days late" in listed[0]
    assert listed[1].startswith("Due today Get the Program Manager's confirmation of the setup Harbor Bridge Shelter")
    training = tasks(client.get("/today/training").text)
    eastside = next(t for t in training if "Eastside" in t)
    assert eastside.startswith("Overdue Ask for a corrected Organization Agreement Angela Reyes "
                               "(areyes@eastsideyouth.org)") and "business days late" in eastside
    assert any(t.startswith("Waiting Countersign the Organization Agreement Daniel Kim") and "Waiting since Mon Nov "
               "30, 2026" in t for t in training)
    assert any("IMG_2231.jpg: unknown organization" in t for t in training)  # the training inbox's review items


def test_today_goes_to_the_staff_members_own_duty(demo_master: Path, tmp_path: Path) -> None:
    site = demo_site(demo_master, tmp_path / "duties", now=WEEK_ON, web=DUTIES)
    for email, duty in (("tess@lahsa.org", "training"), ("abe@lahsa.org", "access"),
                        ("ana.staff@lahsa.org", "implementation")):
        client = client_for(site.bot)
        login(client, email=email)
        r = client.get("/today")
        assert (r.status_code, r.headers["location"]) == (303, f"/today/{duty}"), email
    assert client.get("/today/payroll").status_code == 404
    assert client_for(site.bot).get("/today/access").status_code == 303  # not logged in: to the login page
    site.bot.close()


def test_today_agrees_with_the_digest_and_the_escalations(big: Site) -> None:
    bot = big.bot
    rules = rules_for(bot)
    with Session(bot.engine) as session:
        orgs = load_all(session)
        reviews = [ReviewView(i.id or 0, i.reason, "support", i.subject, i.sender,
                              i.created_at.astimezone(rules.tz).date()) for i in open_reviews(session)]
    s = bot.config.schedule
    escalations = due_escalations(orgs, reviews, rules.today, rules.cal, s.escalation_after_business_days,
                                  s.review_escalation_business_days, rules.tz)
    access = [t for t in tasks_for("access", orgs, reviews, rules) if t.email and "review item" not in t.what]
    waiting, overdue = waiting_on_lahsa("access", orgs, rules.today)
    assert len([t for t in access if t.state == "overdue"]) == len(overdue) and overdue
    assert len([t for t in access if t.state != "overdue"]) == len(waiting) and waiting
    late = {e.key.split(":")[1] for e in escalations if e.duty == "access" and e.key.startswith("access:")}
    assert {t.email for t in access if t.late > 0} == late  # late on a business day: escalated
    setups = tasks_for("implementation", orgs, reviews, rules)
    assert len([t for t in setups if t.what.startswith(("Set up", "Finish"))]) == len(
        waiting_on_lahsa("implementation", orgs, rules.today)[0])
    assert {t.org for t in setups if t.state == "overdue"} == {
        e.org_name for e in escalations if e.key.startswith("setup:")}
    training = tasks_for("training", orgs, reviews, rules)
    assert len([t for t in training if t.what.startswith("Countersign")]) == len(
        waiting_on_lahsa("training", orgs, rules.today)[0])
    assert {t.org for t in training if t.state == "overdue"} == {
        e.org_name for e in escalations if e.key.startswith("agreement:")}
    with Session(bot.engine) as session:  # the page's lighter read (only the users waiting) loses nothing
        for duty in DUTY_TITLES:
            assert load_tasks(session, duty, rules, {"support": "support"}) == tasks_for(duty, orgs, reviews, rules)
    review_tasks = [t for t in tasks_for("access", orgs, reviews, rules) if "review item" in t.what]
    assert {t.link.rpartition("#item-")[2] for t in review_tasks if t.state == "overdue"} == {
        e.key.partition(":")[2] for e in escalations if e.key.startswith("review:")}


def test_the_board_is_searched_filtered_and_sorted_and_its_counters_are_links(big: Site) -> None:
    client = client_for(big.bot)
    login(client)
    with Session(big.bot.engine) as session:
        board = load_board(session, rules_for(big.bot))
    page = client.get("/").text
    assert 'href="/?state=all">' in page and 'href="/?state=all&amp;late=1">' in page
    assert 'href="/review">' in page and 'href="/review?late=1">' in page
    for column in board.columns:  # each column's count leads to all of its organizations
        link = "/?state=" + column.step.replace(" ", "+")
        assert f'data-count="{column.count}" href="{link}"' in page
        assert len(re.findall(r'class="card( overdue)?"', client.get(link).text)) == column.count
    names = re.findall(r'<a href="/orgs/\d+">([^<]+)</a>', client.get("/?state=all&sort=name").text)
    assert len(names) == 40 and names == sorted(names)
    found = client.get("/?q=organization+0007").text
    assert re.findall(r'<a href="/orgs/\d+">([^<]+)</a>', found) == ["Organization 0007 Services"]
    assert "1 organization matching “organization 0007”" in text_of(found)
    late = client.get("/?late=1").text
    overdue = sum(column.overdue for column in board.columns)
    assert len(re.findall(r'class="card overdue"', late)) == overdue and 'class="card"' not in late
    by_lateness = client.get("/?state=all&sort=late").text
    assert by_lateness.index('class="card overdue"') < by_lateness.index('class="card"')
    # Anything else in the query string is the plain board, never an error.
    assert client.get("/?state=nonsense&sort=evil&page=x&late=yes").status_code == 200


def test_a_card_names_its_late_users_and_counts_the_rest(later: tuple[Site, TestClient]) -> None:
    site, client = later
    site.sql("UPDATE hmis_user SET access = 'ready', access_due = '2026-12-07' WHERE email LIKE '%@hopeharbor.org'")
    card = re.search(r'<div class="card overdue">(.*?)\n</div>', client.get("/").text, re.S)
    assert card
    words = text_of(card.group(1))
    for name in ("James Carter", "Priya Shah", "Luis Ortega"):  # the latest first, at most three named
        assert f"HMIS access for {name}" in words
    assert "was due Mon Dec 7, 2026: 3 business days late" in words


def test_the_review_queue_shows_only_the_overdue_items_when_asked(later: tuple[Site, TestClient]) -> None:
    site, client = later
    site.sql("UPDATE review_item SET created_at = '2026-12-10 17:00:00.000000' WHERE sender = 'kwu@example.net'")
    every, overdue = client.get("/review").text, client.get("/review?late=1").text
    assert "kwu@example.net" in every and "kwu@example.net" not in overdue
    n = site.sql("SELECT count(*) FROM review_item WHERE resolved_at IS NULL")[0][0] - 1
    assert "nina@brightpath.org" in overdue and f"{n} overdue messages the bot could not settle alone" in overdue


def test_a_listing_reads_the_query_string_and_writes_it_back() -> None:
    ls = Listing.of("/today/access", {"q": "  Hope   Harbor ", "state": "overdue", "page": "3", "sort": "x"},
                    ("overdue", "today"), ("late",))
    assert (ls.q, ls.state, ls.sort, ls.page, ls.filtered) == ("Hope Harbor", "overdue", "late", 3, True)
    assert ls.link(state="today") == "/today/access?q=Hope+Harbor&state=today"  # a new filter: page 1
    assert ls.link(page=4) == "/today/access?q=Hope+Harbor&state=overdue&page=4"
    assert Listing.of("/", {"state": "<script>", "page": "9" * 40}, ("a",), ("late",)).state == ""
    assert ls.matches("HOPE HARBOR SERVICES") and not ls.matches("Eastside")
    page = paginate(list(range(120)), 99, 50)
    assert (page.items, page.number, page.pages, page.total) == (list(range(100, 120)), 3, 3, 120)

"""Item 7 of issue 16: staff mails link to the item on the staff site, never to a command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import jobs
from bot.outbox.render import Rendered, make_env, render
from tests.web.conftest import WEB, Site, client_for, demo_site, login

BASE_URL = "https://hmis-bot.lahsa.org"
COMMAND = re.compile(r"`|<code>|\bhmisbot (status|review|grant|countersign|import-orgs|remind|escalate|digest|poll"
                     r"|run|web|init|export|purge)\b")
CONTEXTS = {
    "escalation": {"subject": "HMIS access overdue: James", "detail": "Access for j@h.org was due 2026-12-04.",
                   "level": 1, "duty": "access", "path": "/find?user=j@h.org"},
    "handoff": {"org_name": "Hope", "user_name": "James", "user_email": "j@h.org", "roles": ["outreach"],
                "hmis_role": "CES_Outreach", "lacking": [], "due": "2026-12-04"},
    "support_handoff": {"sender_name": "Maria", "sender": "m@h.org", "subject": "password", "body": "I'm locked out"},
    "bounce_notice": {"address": "gone@h.org", "subject": "Received", "kind": "receipt", "status": "5.1.1",
                      "sent_at": "2026-12-01"},
    "mailbox_stalled": {"mailbox": "join", "address": "JoinHMIS@lahsa.org", "since": "2026-12-01",
                        "error": "login failed"},
    "digest": {"duty": "access", "today": "2026-12-03", "arrivals": [], "waiting": [], "overdue": ["x"],
               "waiting_on_orgs": [], "forms_missing": [],
               "health": [], "funnel": [("Agreement accepted", 3), ("No users yet", 0)], "funnel_max": 3,
               "review": [{"id": 7, "reason": "unreadable", "sender": "m@h.org", "subject": "forms"}]},
}
WHERE = {"escalation": "/find?user=j@h.org", "handoff": "/find?user=j%40h.org",
         "support_handoff": "/find?user=m%40h.org",
         "bounce_notice": "/find?user=gone%40h.org", "mailbox_stalled": "/healthz", "digest": "/review#item-7"}


def _no_command(mail: Rendered) -> None:
    for part in (mail.subject, mail.text, mail.html):
        assert not COMMAND.search(part), COMMAND.search(part)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_staff_mail_links_to_the_site_and_names_no_command(name: str) -> None:
    mail = render(make_env(), name, CONTEXTS[name] | {"base_url": BASE_URL})
    _no_command(mail)
    assert BASE_URL + WHERE[name] in mail.text
    assert f'href="{BASE_URL}{WHERE[name]}"' in mail.html.replace("&amp;", "&")


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_without_base_url_a_staff_mail_says_on_the_staff_site(name: str) -> None:
    for context in (CONTEXTS[name], CONTEXTS[name] | {"base_url": None}):
        mail = render(make_env(), name, context)
        _no_command(mail)
        assert "on the staff site" in mail.text and "on the staff site" in mail.html
        assert "href=" not in mail.html


def test_the_digest_draws_bars_as_table_cells_and_sends_no_bitmap_chart() -> None:
    html = render(make_env(), "digest", CONTEXTS["digest"]).html
    assert '<td width="300" height="14" bgcolor="#2b6cb0"' in html
    assert "<div" not in html and "cid:" not in html


def _week_later(demo_master: Path, tmp_path: Path) -> Site:
    web = WEB + f"  base_url: {BASE_URL}/\n"
    return demo_site(demo_master, tmp_path / "demo", now="2026-12-10T10:00:00-08:00", web=web)


def test_the_jobs_escalations_and_digests_link_with_base_url(demo_master: Path, tmp_path: Path) -> None:
    site = _week_later(demo_master, tmp_path)
    mails = jobs.escalations(site.bot, dry_run=True) + jobs.digests(site.bot, dry_run=True)
    assert any("HMIS access overdue" in m.subject for m in mails)
    for mail in mails:
        _no_command(mail)
        assert f"{BASE_URL}/" in mail.text and f'href="{BASE_URL}/' in mail.html
        assert "//find" not in mail.text  # base_url's trailing slash was dropped
    jobs.digests(site.bot)
    assert site.sql("SELECT count(*) FROM outbox WHERE kind = 'digest' AND inline_png IS NOT NULL") == [(0,)]
    site.bot.close()


def test_an_escalations_link_opens_the_users_page(demo_master: Path, tmp_path: Path) -> None:
    site = _week_later(demo_master, tmp_path)
    access = next(m for m in jobs.escalations(site.bot, dry_run=True) if "HMIS access overdue" in m.subject)
    path = re.search(re.escape(BASE_URL) + r"(/\S+)", access.text).group(1)  # type: ignore[union-attr]
    client = client_for(site.bot)
    login(client)
    r = client.get(path)
    assert r.status_code == 303 and re.fullmatch(r"/users/\d+", r.headers["location"])
    assert client.get(r.headers["location"]).status_code == 200
    org = site.sql("SELECT name FROM organization ORDER BY id LIMIT 1")[0][0]
    assert re.fullmatch(r"/orgs/\d+", client.get("/find", params={"org": org.upper()}).headers["location"])
    assert client.get("/find", params={"user": "nobody@nowhere.org"}).status_code == 404
    site.bot.close()

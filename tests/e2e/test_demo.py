"""The embedded default end to end: `hmisbot demo` builds, polls and answers.

Runs the real demo (Maildir inboxes, generated scans and PDFs, the outbox folder)
and checks the database and every mail in the outbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import email
import json
import subprocess
import sys
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.demo import run_demo, seeds
from bot.store.db import make_engine
from bot.store.models import HmisUser, Organization, OutboxRow, Program, ReviewItem, SeenMessage
from tests.support.db import pg_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One demo run per database, shared by the module's tests (it takes seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    if request.param == "sqlite":
        assert run_demo(folder) == 0
        yield folder, f"sqlite:///{folder / 'hmisbot.sqlite3'}"
        return
    for url in pg_database():
        assert run_demo(folder, url) == 0
        yield folder, url


def _outbox(folder: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted((folder / "outbox").glob("*.eml"))]


def test_demo_moves_the_database_and_fills_the_outbox(demo: tuple[Path, str]) -> None:
    folder, url = demo
    engine = make_engine(url)
    with Session(engine) as s:
        seen = s.exec(select(SeenMessage)).all()
        assert len([x for x in seen if x.outcome in ("processed", "review")]) == len(seeds())
        hope = s.exec(select(Organization).where(Organization.name == "Hope Harbor Services")).one()
        assert hope.agreement == "accepted" and hope.email_domains == ["hopeharbor.org"]
        eastside = s.exec(select(Organization).where(Organization.name == "Eastside Youth Center")).one()
        assert eastside.agreement == "rejected" and "CoC Representative" in (eastside.agreement_note or "")
        programs = {p.name: p.setup for p in s.exec(select(Program).where(Program.org_id == hope.id)).all()}
        assert programs == {"Hope Harbor Street Outreach": "confirmed", "Harbor Bridge Shelter": "confirmed",
                            "Harbor Homes PSH": "not_needed"}
        james = s.exec(select(HmisUser).where(HmisUser.email == "james.carter@hopeharbor.org")).one()
        assert james.access == "ready" and str(james.access_due) == "2026-12-08"
        assert james.forms == {"user_agreement": "accepted", "hmis10_acknowledgement": "accepted"}
        assert set(james.trainings) == {"HMIS 10", "HMIS 102"}
        luis = s.exec(select(HmisUser).where(HmisUser.email == "luis.ortega@hopeharbor.org")).one()
        assert sorted(luis.roles) == ["assessment_only", "housing_provider"] and luis.access == "waiting_on_user"
        reasons = [r.reason for r in s.exec(select(ReviewItem)).all()]
        assert any("could not read forms.pdf" in r for r in reasons)
        assert any("not a form or a request handled automatically" in r for r in reasons)
        rows = s.exec(select(OutboxRow)).all()
        assert all(r.status == "sent" for r in rows)
    engine.dispose()
    # Every message left the inboxes: processed or review folder, none lost.
    for box in ("training", "support", "join"):
        assert not list((folder / "mail" / box / "new").iterdir())
        assert not list((folder / "mail" / box / "cur").iterdir())
    moved = sum(len(list((folder / "mail" / b / f".{d}" / "cur").glob("*")))
                for b in ("training", "support", "join") for d in ("Processed", "Needs Review")
                if (folder / "mail" / b / f".{d}").exists())
    assert moved == len(seeds())


def test_demo_replies_thread_and_say_what_is_missing(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    mails = _outbox(folder)
    by_kind: dict[str, list[email.message.EmailMessage]] = {}
    for m in mails:
        by_kind.setdefault(str(m["X-HMISbot-Kind"]), []).append(m)
    assert by_kind.get("receipt")
    # The auto-reply got nothing back; at most one reply per inbound message.
    assert not any("daniel.kim" in str(m["To"]) and "Automatic" in str(m["Subject"]) for m in mails)
    replies = [m for m in mails if m["In-Reply-To"]]
    assert len({str(m["In-Reply-To"]) for m in replies}) == len(replies)
    wrong = by_kind["wrong_inbox"][0]
    assert "HMISsupport@lahsa.org" in wrong.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    not_ready = by_kind["not_ready"][0]
    assert "Step 1" in not_ready.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    handoff = by_kind["handoff"][0]
    assert handoff["To"] == "hmis.access@lahsa.org"
    assert "CES_Outreach" in str(handoff["Subject"]) and "Tue Dec 8, 2026" in str(handoff["Subject"])
    for m in mails:
        assert m["Auto-Submitted"] in ("auto-replied", "auto-generated")
        assert {p.get_content_type() for p in m.walk()} >= {"text/plain", "text/html"}


def test_status_json_on_the_demo_has_the_interface_shape(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    out = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(folder / "mailboxes.yaml"), "--now",
         "2026-12-03T10:00:00-08:00", "status", "--json"], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout)
    assert report["now"].startswith("2026-12-03T10:00:00")
    hope = next(o for o in report["organizations"] if o["name"] == "Hope Harbor Services")
    assert hope["agreement"] == "accepted" and hope["ready_for_step3"] is True
    assert {"name", "type", "setup"} <= set(hope["programs"][0])
    james = next(u for u in hope["users"] if u["email"] == "james.carter@hopeharbor.org")
    assert james == {**james, "roles": ["outreach"], "new_user": True, "hmis_role": "CES_Outreach",
                     "access": "ready", "access_due": "2026-12-08", "missing": []}
    assert james["trainings"] == {"HMIS 10": "completed", "HMIS 102": "completed"}
    assert james["forms"] == {"user_agreement": "accepted", "hmis10_acknowledgement": "accepted"}
    assert {"id", "reason", "mailbox", "subject"} <= set(report["review"][0])

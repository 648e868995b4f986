"""Pure decisions on bounces, staff answers and training rosters (bot/core/staffmail.py).

They take the state the orchestrator loaded and return a Decision; nothing here touches a
database, so each rule is tested on values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.calendar import BusinessCalendar
from bot.core import staffmail
from bot.core.state import OrgState, ProgramState, UserState
from bot.mail.bounce import Bounce, FailedRecipient

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
CAL = BusinessCalendar()
OURS = staffmail.SentMail("<r1@lahsa.org>", "<m1@hope.org>:reply", "receipt", "Accepted: ...", NOW)


def report(*addresses: str, permanent: bool = True) -> Bounce:
    return Bounce(tuple(FailedRecipient(a, permanent, "5.1.1" if permanent else "4.4.1") for a in addresses),
                  OURS.message_id, "dsn")


def test_a_bounce_of_our_mail_marks_the_address_and_tells_staff_once_per_address() -> None:
    d = staffmail.bounce(report("gone@hope.org"), OURS, "support-staff@lahsa.org", ZoneInfo("America/Los_Angeles"))
    assert d.undeliverable == ["gone@hope.org"] and d.bounced == OURS.message_id
    (notice,) = d.mails
    assert notice.template == "bounce_notice" and notice.to == ["support-staff@lahsa.org"]
    assert notice.key == "bounce:gone@hope.org" and notice.context["status"] == "5.1.1"
    assert notice.context["sent_at"] == "Tue Dec 1, 2026, 10:00 AM"  # staff read local time, not ISO UTC


def test_a_bounce_that_names_no_mail_of_ours_changes_nothing() -> None:
    d = staffmail.bounce(report("victim@example.org"), None, "staff@lahsa.org")
    assert not d.undeliverable and d.bounced is None and not d.mails
    assert [e.action for e in d.events] == ["bounce_not_ours"]


def test_a_delay_is_not_a_dead_address() -> None:
    d = staffmail.bounce(report("slow@hope.org", permanent=False), OURS, "staff@lahsa.org")
    assert not d.undeliverable and d.bounced is None and not d.mails


def ready_user(access: str = "ready") -> OrgState:
    return OrgState("Hope", agreement="accepted", programs=[ProgramState("P", "outreach", "confirmed")],
                    users=[UserState("j@hope.org", "James", ["outreach"], access=access)])


def test_a_grant_reply_records_access_only_through_the_one_rule() -> None:
    org = ready_user()
    d = staffmail.grant_reply(org, "j@hope.org", "Done, account created.", "access@lahsa.org", NOW)
    assert d.org is not None and d.org.users[0].access == "granted" and d.events[0].user == "j@hope.org"
    assert org.users[0].access == "ready"  # the loaded state is not changed behind the orchestrator's back
    blocked = staffmail.grant_reply(ready_user("waiting_on_user"), "j@hope.org", "granted", "a@lahsa.org", NOW)
    assert blocked.review and "only once the user is ready" in blocked.review[0]
    unclear = staffmail.grant_reply(ready_user(), "j@hope.org", "Who is this?", "a@lahsa.org", NOW)
    assert unclear.review and unclear.org is not None and unclear.org.users[0].access == "ready"


def test_a_setup_followup_moves_only_programs_in_setup() -> None:
    org = OrgState("Hope", programs=[ProgramState("A", "outreach", "requested"),
                                     ProgramState("B", "permanent_housing", "not_needed"),
                                     ProgramState("C", "outreach", "confirmed")])
    d = staffmail.setup_followup(org, NOW)
    assert d.org is not None and [p.setup for p in d.org.programs] == ["awaiting_confirmation", "not_needed",
                                                                       "confirmed"]


def test_a_roster_spans_organizations_and_names_unknown_users() -> None:
    hope = OrgState("Hope", agreement="accepted", programs=[ProgramState("P", "outreach", "confirmed")], id=1,
                    users=[UserState("j@hope.org", "James", ["outreach"], new_user=False,
                                     trainings={"HMIS 102": "2026-11-02"}, forms={"user_agreement": "accepted"})])
    east = OrgState("East", agreement="accepted", id=2, users=[UserState("k@east.org", "Kim", ["outreach"])])
    rows = [{"email": "J@hope.org", "training": "HMIS 509 full class", "date": "2026-11-30"},
            {"email": "k@east.org", "training": "HMIS 10"},
            {"email": "nobody@x.org", "training": "HMIS 10"},
            {"email": "k@east.org", "training": "Underwater basket weaving"}]
    done = staffmail.completions(rows, "2026-12-01")
    assert [(c.email, c.on) for c in done] == [("j@hope.org", "2026-11-30"), ("k@east.org", "2026-12-01"),
                                               ("nobody@x.org", "2026-12-01")]
    d = staffmail.training_roster(done, {"j@hope.org": hope, "k@east.org": east}, NOW, CAL, "access@lahsa.org")
    assert {o.name for o in d.others} == {"Hope", "East"}
    assert d.review == ["training roster names unknown users: nobody@x.org"]
    saved = {o.name: o for o in d.others}
    assert saved["Hope"].users[0].access == "ready"  # existing user, trainings and agreement done
    assert [m.to for m in d.mails] == [["access@lahsa.org"]] and d.mails[0].key == "handoff:j@hope.org"
    ready = next(e for e in d.events if e.action == "user_ready")
    assert ready.org_id == 1 and ready.user == "j@hope.org"
    assert "HMIS 509" not in hope.users[0].trainings  # the loaded copy is untouched

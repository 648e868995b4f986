"""The program setup loop (issue 15 point 7), pure: what a Program Manager's mail does to the
setup state, and which reply it gets, whatever the wording or the thread it arrives in."""

from __future__ import annotations

from dataclasses import replace

from bot.core.decide import Inbound, decide
from bot.core.replies import reply_for
from bot.core.state import ContactState, OrgState, ProgramState, UserState
from bot.mail.kinds import MessageKind
from tests.unit.test_decide import CAL, HOME, inbound, mail

PM = "Maria <maria@hope.org>"


def org(*programs: ProgramState) -> OrgState:
    return OrgState(name="Hope Harbor", agreement="accepted", domains=["hope.org"],
                    contacts=[ContactState("maria@hope.org", "program_manager", "Maria")], programs=list(programs))


def test_a_program_whose_type_is_not_understood_is_named_in_the_receipt_and_in_review() -> None:
    body = "Please set up our programs for CES:\n- Street Team (Outreach)\n- Harbor Hub (drop-in)\n"
    d = decide(org(), inbound("join", mail(PM, body=body)), CAL)
    assert d.org is not None and [p.name for p in d.org.programs] == ["Street Team"]
    assert d.not_understood == ["Harbor Hub (drop-in)"] and "Harbor Hub" in d.review[0]
    reply = reply_for(d, inbound("join", mail(PM, body=body)), HOME)
    assert reply is not None and reply.template == "receipt"
    assert reply.context["not_understood"] == ["Harbor Hub (drop-in)"]


def test_looks_good_in_a_new_mail_confirms_the_setup_waiting_for_confirmation() -> None:
    waiting = org(ProgramState("Street Team", "outreach", "awaiting_confirmation"))
    msg = mail(PM, "Street Team", "Hi, I checked it in HMIS and it looks good. Thanks!")
    d = decide(waiting, inbound("join", msg), CAL)
    assert d.read_as is not None and d.read_as.kind == "program_setup_confirmation"
    assert d.org is not None and d.org.programs[0].setup == "confirmed" and d.org.ready_for_step3
    reply = reply_for(d, inbound("join", msg), HOME)
    assert reply is not None and reply.template == "receipt" and reply.reply_to == HOME["join"]


def test_a_dispute_sends_the_setup_back_to_lahsa_and_stops_asking_for_confirmation() -> None:
    waiting = org(ProgramState("Street Team", "outreach", "awaiting_confirmation"))
    msg = mail(PM, "Re: setup", "The program name is wrong, it should read Street Outreach Team.")
    d = decide(waiting, inbound("join", msg), CAL)
    assert d.org is not None and d.org.programs[0].setup == "in_setup"
    assert d.setup_changed == ["Street Team"] and "Street Outreach Team" in d.review[0]
    assert not any(m.code == "program_setup_confirmation" for m in d.org.org_missing())
    reply = reply_for(d, inbound("join", msg), HOME)
    assert reply is not None and reply.template == "setup_change"


def test_a_dispute_in_the_setup_thread_is_read_the_same_way() -> None:
    waiting = org(ProgramState("Street Team", "outreach", "awaiting_confirmation"))
    d = decide(waiting, inbound("join", mail(PM, body="This is not correct, please fix the type."),
                                kind="program_setup_request"), CAL)
    assert d.org is not None and d.org.programs[0].setup == "awaiting_confirmation"  # no change flag: a request
    base = inbound("join", mail(PM, body="This is not correct, please fix the type."))
    disputed = Inbound(base.mailbox_role, base.msg, base.screen,
                       MessageKind("program_setup_request", "in thread", change=True), (), base.now)
    d = decide(waiting, disputed, CAL)
    assert d.org is not None and d.org.programs[0].setup == "in_setup"


def test_nothing_to_confirm_leaves_a_plain_note_alone() -> None:
    done = org(ProgramState("Street Team", "outreach", "confirmed"))
    d = decide(done, inbound("join", mail(PM, "Thanks", "Looks good, thank you!")), CAL)
    assert d.read_as is None and d.org is not None and d.org.programs[0].setup == "confirmed"


def test_a_role_that_no_program_supports_is_flagged_not_accepted_silently() -> None:
    o = org(ProgramState("Street Team", "outreach", "confirmed"))
    body = "Users for training:\n- Ana Diaz, ana@hope.org, Assessment Only, new user\n" \
           "- Ben Ode, ben@hope.org, Outreach, new user\n"
    d = decide(o, inbound("join", mail(PM, body=body)), CAL)
    assert d.role_problems == ["Ana Diaz: Assessment Only"]
    assert d.org is not None and {u.email for u in d.org.users} == {"ana@hope.org", "ben@hope.org"}
    reply = reply_for(d, inbound("join", mail(PM, body=body)), HOME)
    assert reply is not None and reply.template == "receipt"
    assert reply.context["role_problems"] == ["Ana Diaz: Assessment Only"]
    assert any("no program of the organization supports" in r for r in d.review)


def test_a_user_cannot_confirm_or_dispute_the_setup() -> None:
    o = org(ProgramState("Street Team", "outreach", "awaiting_confirmation"))
    o.users.append(UserState("ben@hope.org", "Ben", ["outreach"]))
    base = inbound("join", mail("Ben <ben@hope.org>", "x", "Looks good"))
    d = decide(o, replace(base, standing="user"), CAL)
    assert d.org is not None and d.org.programs[0].setup == "awaiting_confirmation"

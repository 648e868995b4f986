"""The pure workflow core: decide() over an OrgState copy, with forms given as values."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.calendar import BusinessCalendar
from bot.core.decide import Inbound, decide
from bot.core.replies import reply_for
from bot.core.staffmail import setup_followup
from bot.core.state import OrgState, ProgramState, UserState
from bot.documents.model import FormResult
from bot.mail.kinds import MessageKind, classify_message
from bot.mail.message import parse_message
from bot.mail.screen import Screen

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # Tuesday 1 Dec 2026, 10:00 in Los Angeles
CAL = BusinessCalendar()
OK = Screen(auto=None, reason=None, dmarc="none", authenticated=True)
HOME = {"training": "LAHSA.Training@lahsa.org", "support": "HMISsupport@lahsa.org", "join": "JoinHMIS@lahsa.org"}


def mail(sender: str = "Maria <maria@hope.org>", subject: str = "s", body: str = "hello") -> bytes:
    head = f"From: {sender}\r\nTo: x@lahsa.org\r\nSubject: {subject}\r\nMessage-ID: <m1@hope.org>\r\n"
    return f"{head}\r\n{body}\r\n".encode()


def inbound(role: str, data: bytes, forms: tuple[FormResult, ...] = (), kind: str | None = None,
            new_name: str | None = None) -> Inbound:
    msg = parse_message(data)
    mk = MessageKind(kind, "test") if kind else classify_message(msg, None)
    return Inbound(role, msg, OK, mk, forms, NOW, None, new_name, "new" if new_name else "contact")


def org_agreement(signed: bool = True, coc_blank: bool = True) -> FormResult:
    return FormResult("a.pdf", "organization_agreement", 0.97, (1, 2),
                      {"organization": "Hope Harbor", "signer_name": "Dan Kim", "signer_title": "Executive Director"},
                      {"signed": signed, "coc_section_blank": coc_blank}, "ocr")


def ready_org() -> OrgState:
    return OrgState(name="Hope Harbor", agreement="accepted", domains=["hope.org"],
                    programs=[ProgramState("Outreach", "outreach", "confirmed")])


def test_signed_agreement_founds_and_accepts_an_organization() -> None:
    d = decide(None, inbound("training", mail(), (org_agreement(),), new_name="Hope Harbor"), CAL)
    assert d.org is not None and d.org.name == "Hope Harbor" and d.org.agreement == "accepted"
    assert d.org.domains == ["hope.org"] and d.outcome == "processed" and not d.wrong_inbox


def test_agreement_rejected_with_reasons() -> None:
    d = decide(OrgState(name="Hope Harbor"), inbound("training", mail(), (org_agreement(False, False),)), CAL)
    assert d.org is not None and d.org.agreement == "rejected"
    assert "not signed" in (d.org.agreement_note or "") and "CoC Representative" in (d.org.agreement_note or "")
    assert d.docs[0].status == "rejected"


def test_agreement_in_wrong_inbox_is_processed_and_flagged() -> None:
    d = decide(OrgState(name="Hope Harbor"), inbound("support", mail(), (org_agreement(),)), CAL)
    assert d.org is not None and d.org.agreement == "accepted" and d.wrong_inbox == ["organization_agreement"]
    reply = reply_for(d, inbound("support", mail(), (org_agreement(),)), HOME)
    assert reply is not None and reply.template == "wrong_inbox"
    assert reply.context["wrong_inbox"][0]["address"] == "LAHSA.Training@lahsa.org"


def test_setup_request_parses_programs_and_permanent_housing_needs_no_setup() -> None:
    body = ("Please set up our programs for CES.\nOrganization: Hope Harbor\nCES roles: Housing Provider\n"
            "Programs:\n- Street Team (Outreach)\n- Harbor PSH (Permanent Housing)\n")
    d = decide(OrgState(name="Hope Harbor"), inbound("join", mail(body=body)), CAL)
    assert d.org is not None
    assert [(p.name, p.type, p.setup) for p in d.org.programs] == [
        ("Street Team", "outreach", "requested"), ("Harbor PSH", "permanent_housing", "not_needed")]
    assert "housing_provider" in d.org.ces_roles
    assert d.org.contacts[0].role == "program_manager"


def test_confirmation_only_after_followup() -> None:
    org = OrgState(name="H", agreement="accepted", programs=[ProgramState("P", "outreach", "requested")])
    early = decide(org, inbound("join", mail(body="I confirm the program setup is correct"),
                                kind="program_setup_confirmation"), CAL)
    assert early.outcome == "review" and early.org is not None and early.org.programs[0].setup == "requested"
    followup = setup_followup(org, NOW)
    assert followup.events[0].detail == {"programs": ["P"]} and followup.org is not None
    later = decide(followup.org, inbound("join", mail(body="Confirmed"), kind="program_setup_confirmation"), CAL)
    assert later.org is not None and later.org.programs[0].setup == "confirmed" and later.org.ready_for_step3


def test_user_becomes_ready_with_due_date_three_business_days_later() -> None:
    org = ready_org()
    org.users.append(UserState("j@hope.org", "James", ["outreach"], True, {"HMIS 10": "x", "HMIS 102": "x"},
                               {"hmis10_acknowledgement": "accepted"}))
    ua = FormResult("ua.pdf", "user_agreement", 0.95, (1,), {"user_name": "James", "email": "j@hope.org"},
                    {"signed": True}, "ocr")
    d = decide(org, inbound("support", mail("James <j@hope.org>"), (ua,)), CAL)
    assert d.org is not None and [u.email for u in d.newly_ready] == ["j@hope.org"]
    user = d.org.users[0]
    assert user.access == "ready" and str(user.access_due) == "2026-12-04"
    assert org.users[0].access == "blocked"  # the input copy is untouched


def test_user_form_before_steps_1_and_2_is_kept_and_user_blocked() -> None:
    org = OrgState(name="Hope Harbor")
    ua = FormResult("ua.pdf", "user_agreement", 0.95, (1,), {"email": "j@hope.org"}, {"signed": True}, "ocr")
    d = decide(org, inbound("support", mail("James <j@hope.org>"), (ua,)), CAL)
    assert d.org is not None and d.org.users[0].forms == {"user_agreement": "accepted"}
    assert d.org.users[0].access == "blocked"
    reply = reply_for(d, inbound("support", mail("James <j@hope.org>"), (ua,)), HOME)
    assert reply is not None and reply.template == "not_ready"


def test_unknown_sender_without_form_goes_to_review_and_machine_mail_gets_nothing() -> None:
    d = decide(None, inbound("training", mail(body="who do I talk to about volunteering?")), CAL)
    assert d.outcome == "review" and d.org is None
    auto = Inbound("join", parse_message(mail()), Screen("auto_reply", "x", "none", True),
                   MessageKind("auto_reply", "x"), (), NOW)
    assert decide(None, auto, CAL).outcome == "processed"
    assert reply_for(decide(None, auto, CAL), auto, HOME) is None


def test_unreadable_attachment_is_a_review_item() -> None:
    bad = FormResult("x.pdf", "unknown", 0.0, (), error="not a PDF")
    d = decide(ready_org(), inbound("support", mail(), (bad,)), CAL)
    assert d.outcome == "review" and d.docs[0].status == "review"


def test_unauthenticated_sender_changes_nothing_and_gets_no_reply() -> None:
    forged = Inbound("training", parse_message(mail()), Screen(None, None, "fail", False),
                     MessageKind("other", "x"), (org_agreement(),), NOW, None, "Hope Harbor")
    d = decide(None, forged, CAL)
    assert d.org is None and d.outcome == "review" and reply_for(d, forged, HOME) is None


def test_an_ocr_misread_name_does_not_found_an_organization() -> None:
    from bot.core.decide import plausible_org_name

    assert plausible_org_name("Hope Harbor Services") and plausible_org_name("LA Family Housing Corp.")
    assert not plausible_org_name("for the Los Angeles Continuum of Care (CoC), and the Participating")
    d = decide(None, inbound("training", mail(), (org_agreement(),),
                             new_name="for the Los Angeles Continuum of Care (CoC), and the Participating"), CAL)
    assert d.org is None and d.outcome == "review"


def test_replies_go_to_the_sender_and_a_reply_to_only_at_the_senders_domain() -> None:
    """Issue 14, row 1: a stranger's Reply-To must not make LAHSA mail a third party."""
    from bot.core.replies import reply_address

    def with_reply_to(sender: str, reply_to: str) -> bytes:
        return (f"From: {sender}\r\nReply-To: {reply_to}\r\nTo: x@lahsa.org\r\nSubject: s\r\n"
                "Message-ID: <r1@x>\r\n\r\nhello\r\n").encode()

    assert reply_address(parse_message(with_reply_to("m <mallory.relay@gmail.com>", "victim@thirdparty.example"))) \
        == "mallory.relay@gmail.com"
    assert reply_address(parse_message(with_reply_to("maria <maria@hope.org>", "Team <team@hope.org>"))) \
        == "team@hope.org"

"""Message kinds and line readers (bot.mail.kinds) on realistic mail: plain, quoted, forwarded, HTML-only."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.mail.kinds import classify_message, forwarded_text, labelled_value, own_text, program_lines, roster_lines
from bot.mail.message import parse_message

RECEIPT = """Thank you. We received your program setup request for:
- Street Team (Outreach)
Our Implementation Team will set up the programs and ask you to confirm the program setup is correct.
Please reply with any questions about your password or account."""


def message(body: str, subject: str = "HMIS", sender: str = "Maria Lopez <maria@hope.org>", html: bool = False,
            files: tuple[tuple[str, str, bytes], ...] = ()) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "JoinHMIS@lahsa.org", subject
    msg.set_content(body, subtype="html" if html else "plain")
    for name, ctype, data in files:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg


def kind(body: str, **kw: object) -> str:
    followup = bool(kw.pop("followup", False))
    staff = bool(kw.pop("staff", False))
    parsed = parse_message(message(body, **kw).as_bytes())  # type: ignore[arg-type]
    return classify_message(parsed, None, answers_setup_followup=followup, from_training_staff=staff).kind


SETUP = """Hello JoinHMIS team,

Hope Harbor's agreement was accepted last week. Please set up the following programs for CES participation:

- Harbor Street Team (Street Outreach)
- Harbor Interim Housing - Interim Housing
- Harbor PSH: Permanent Supportive Housing

Organization: Hope Harbor Services
CES roles: Housing Provider, Housing Navigation

Thanks,
Maria Lopez
Program Manager"""

ROSTER = """Hi,

These staff will attend training:
1. Jane Doe, jane.doe@hope.org, Outreach, new user
2. Sam Lee <sam.lee@hope.org> - Case Manager - existing HMIS user
3. kim.park@hope.org; Kim Park; Community Matcher; new

Thank you!"""


@pytest.mark.parametrize(("body", "extra", "expected"), [
    (SETUP, {}, "program_setup_request"),
    ("We'd like to add our new emergency shelter program to CES.\n\n- Casa Esperanza (Emergency Shelter)", {},
     "program_setup_request"),
    ("I confirm the program setup is correct. Thank you for configuring our programs.", {},
     "program_setup_confirmation"),
    ("Yes, everything looks good.\n\nMaria", {"followup": True}, "program_setup_confirmation"),
    ("Confirmed - thank you!", {"followup": True}, "program_setup_confirmation"),
    ("The setup is not correct: the shelter program should be named Casa Esperanza.", {"followup": True},
     "program_setup_request"),
    (ROSTER, {}, "user_roster"),
    ("Please find our user list attached.", {"files": (("users.csv", "text/csv",
                                                         b"Name,Email,Role,New/Existing\nJane,j@h.org,Outreach,new\n"),)},
     "user_roster"),
    ("Attached are this week's completions.", {"staff": True,
                                                "files": (("export.csv", "text/csv", b"Name,Email,Course\n"),)},
     "training_roster"),
    ("Weekly export attached.", {"files": (("export.csv", "text/csv",
                                            b"Name,Email,Course,Completion Date\nJane,j@h.org,HMIS 10,2026-11-30\n"),)},
     "training_roster"),
    ("Hi, I'm locked out of HMIS and can't log in. Could you reset my password?\n\nJane", {}, "account_support"),
    ("I forgot my username. How do I register for HMIS 102?", {}, "account_support"),
    ("Thanks so much for your help last week!", {}, "other"),
    ("Could you send me the CES participation procedures document?", {}, "other"),
])
def test_realistic_bodies(body: str, extra: dict[str, object], expected: str) -> None:
    assert kind(body, **extra) == expected


def test_yes_alone_is_not_a_confirmation_outside_the_setup_thread() -> None:
    assert kind("Yes, please set up our outreach program too.") == "program_setup_request"
    assert kind("Yes, thank you.") == "other"


def test_a_reply_is_classified_by_its_own_words_not_by_our_quoted_receipt() -> None:
    gmail = "Thanks!\n\nOn Mon, Dec 1, 2026 at 10:00 AM LAHSA HMIS <\nJoinHMIS@lahsa.org> wrote:\n" + \
        "\n".join("> " + line for line in RECEIPT.splitlines())
    outlook = "Thank you, received.\n\n________________________________\nFrom: LAHSA HMIS\nSent: Monday, " \
              "December 1, 2026 10:00 AM\nTo: Maria Lopez\nSubject: RE: Program setup\n\n" + RECEIPT
    plain = "Got it.\n\n-----Original Message-----\n" + RECEIPT
    for body in (gmail, outlook, plain):
        assert kind(body, subject="RE: Program setup") == "other", body
        assert program_lines(body) == [] and own_text(body).strip().startswith(("Thanks", "Thank", "Got"))


def test_html_only_mail_is_read_including_list_items_and_without_the_blockquote() -> None:
    html = ("<div>Please set up these programs:<ul><li>Harbor Street Team (Outreach)</li>"
            "<li>Harbor PSH (Permanent Housing)</li></ul></div><div class='gmail_quote'>On Mon, LAHSA wrote:"
            "<blockquote><p>I confirm the program setup is correct</p></blockquote></div>")
    parsed = parse_message(message(html, html=True).as_bytes())
    assert classify_message(parsed, None).kind == "program_setup_request"
    assert [(p.name, p.type_text) for p in program_lines(parsed.body_text)] == [
        ("Harbor Street Team", "Outreach"), ("Harbor PSH", "Permanent Housing")]


def test_forwarded_chain_uses_the_forwarded_mail_when_the_forwarder_says_nothing_specific() -> None:
    chain = ("FYI - see below.\n\n---------- Forwarded message ---------\nFrom: Jane Doe <jane@hope.org>\n"
             "Date: Mon, Dec 1, 2026\nSubject: HMIS\nTo: Maria <maria@hope.org>\n\n"
             "Maria, I'm locked out of HMIS again, can you ask them to reset my password?\n\n"
             "On Fri, Nov 28, 2026, LAHSA <HMISsupport@lahsa.org> wrote:\n> I confirm the program setup")
    assert kind(chain, subject="Fwd: HMIS") == "account_support"
    assert forwarded_text(chain).startswith("Maria, I'm locked out") and "confirm" not in forwarded_text(chain)
    # The forwarder's own words win when they say something we know.
    assert kind("Please set up our outreach program as below.\n\n" + chain.split("\n\n", 1)[1]) == \
        "program_setup_request"


def test_outlook_forward_without_a_marker_counts_only_when_the_subject_says_fw() -> None:
    body = ("Please see below.\n\n________________________________\nFrom: Jane Doe <jane@hope.org>\nSent: Monday\n"
            "To: Maria\nSubject: access\n\nI cannot log in to HMIS since Friday.")
    assert kind(body, subject="FW: access") == "account_support"
    assert kind(body, subject="RE: access") == "other"


def test_forwarded_attachment_message_and_its_roster() -> None:
    inner = message(ROSTER, sender="HR <hr@hope.org>")
    outer = message("FYI", subject="Fwd: staff for training")
    outer.add_attachment(inner.as_bytes(), maintype="message", subtype="rfc822")
    parsed = parse_message(outer.as_bytes())
    assert classify_message(parsed, None).kind == "user_roster"
    assert [r.email for r in roster_lines(parsed.body_text)] == ["jane.doe@hope.org", "sam.lee@hope.org",
                                                                 "kim.park@hope.org"]


def test_roster_lines_find_name_roles_and_new_or_existing_in_any_order() -> None:
    lines = roster_lines(ROSTER)
    assert [(r.name, r.email) for r in lines] == [("Jane Doe", "jane.doe@hope.org"), ("Sam Lee", "sam.lee@hope.org"),
                                                  ("Kim Park", "kim.park@hope.org")]
    assert lines[0].rest == "Outreach new user" and "Case Manager" in lines[1].rest and "new" in lines[2].rest


def test_program_lines_and_labels_read_own_text_only() -> None:
    assert [(p.name, p.type_text) for p in program_lines(SETUP)] == [
        ("Harbor Street Team", "Street Outreach"), ("Harbor Interim Housing", "Interim Housing"),
        ("Harbor PSH", "Permanent Supportive Housing")]
    assert labelled_value(SETUP, "Organization", "Agency") == "Hope Harbor Services"
    quoted = "Thanks\n\nOn Mon, X wrote:\n> Organization: Someone Else"
    assert labelled_value(quoted, "Organization") is None


def test_machine_mail_kinds_and_a_noreply_training_export() -> None:
    parsed = parse_message(message("Out of office.").as_bytes())
    assert classify_message(parsed, "auto_reply").kind == "auto_reply"
    assert classify_message(parsed, "bounce").kind == "bounce"
    assert classify_message(parsed, "list").kind == "auto_reply"
    export = message("Completions for November attached.", sender="noreply@lms.example.com",
                     files=(("completions.csv", "text/csv", b"Email,Course,Completed\n"),))
    assert classify_message(parse_message(export.as_bytes()), "system").kind == "training_roster"

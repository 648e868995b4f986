"""Every template renders with the context the workflow gives it; mail content stays literal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.outbox.compose import compose, make_message_id
from bot.outbox.render import make_env, render

BASE = {
    "sender_name": "Maria Lopez", "subject": "Program setup", "org_name": "Hope Harbor Services",
    "org_missing": ["Organization Agreement"],
    "users": [{"name": "James", "email": "j@h.org", "missing": ["HMIS 102 not yet completed."]}],
    "is_manager": True, "ready_for_step3": False, "received": ["program setup request for: X (outreach)"],
    "review": ["could not read forms.pdf"],
    "wrong_inbox": [{"what": "User Agreements", "address": "HMISsupport@lahsa.org"}],
    "headline": "accepted: Organization Agreement", "no_users": False, "files": ["forms.pdf"],
    "inbox": "JoinHMIS@lahsa.org", "setup_changed": ["Street Team"],
    "next_steps": [{"text": "Register for your role's trainings on the HMIS Training Website.",
                    "link": "https://training.example/hmis"}],
    "resend": {"text": "Send a corrected, signed Organization Agreement to LAHSA.Training@lahsa.org.", "link": None},
}
HANDOFF = {"org_name": "Hope", "user_name": "James", "user_email": "j@h.org", "roles": ["outreach"],
           "hmis_role": "CES_Outreach", "lacking": ["View Housing Resource List"], "due": "Fri Dec 4, 2026"}


REPLIES = ["receipt", "wrong_inbox", "not_ready", "unreadable", "not_accepted", "resend", "unknown_org", "question",
           "setup_answer", "held", "setup_change"]


@pytest.mark.parametrize("name", REPLIES)
def test_replies_render_text_and_html(name: str) -> None:
    out = render(make_env(), name, BASE)
    assert out.subject and "\n" not in out.subject
    assert "Maria Lopez" in out.text and "<html>" in out.html
    assert "the bot" not in out.text.lower() and "hmisbot" not in out.text.lower()
    if name in ("receipt", "wrong_inbox", "not_ready", "not_accepted"):
        assert "HMIS 102 not yet completed." in out.text and "Organization Agreement" in out.html
    if name in ("receipt", "wrong_inbox", "not_ready", "question"):
        assert "What to do next:" in out.text and "https://training.example/hmis" in out.text
    if name == "wrong_inbox":
        assert "User Agreements to HMISsupport@lahsa.org" in out.text


def test_handoff_names_user_org_role_and_due_date() -> None:
    out = render(make_env(), "handoff", HANDOFF)
    assert "due Fri Dec 4, 2026:" in out.subject and "CES_Outreach" in out.subject
    assert "View Housing Resource List" in out.text and "the user's page on the staff site" in out.text


def test_missing_value_is_an_error_not_an_empty_sentence() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render(make_env(), "receipt", {k: v for k, v in BASE.items() if k != "received"})


def test_markup_and_header_injection_in_mail_content_stay_literal() -> None:
    hostile = dict(BASE, sender_name="<script>x</script>{{ 7*7 }}", subject="Hi\r\nBcc: victim@x.org")
    out = render(make_env(), "receipt", hostile)
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert "{{ 7*7 }}" in out.text and "49" not in out.text
    assert "\r" not in out.subject and "\n" not in out.subject


def test_composed_mail_threads_and_says_it_is_automatic() -> None:
    out = render(make_env(), "receipt", BASE)
    msg = compose(sender="LAHSA HMIS <HMISsupport@lahsa.org>", to=["m@h.org"], subject=out.subject, text=out.text,
                  html=out.html, message_id=make_message_id("k", "lahsa.org"), kind="receipt",
                  date=datetime(2026, 12, 1, tzinfo=UTC), in_reply_to="<a@h.org>", references="<a@h.org>")
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["In-Reply-To"] == "<a@h.org>" and msg["References"] == "<a@h.org>"
    assert msg["Message-ID"].endswith("@lahsa.org>")
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert make_message_id("k", "lahsa.org") == make_message_id("k", "lahsa.org")


def test_a_long_subject_goes_out_on_one_line_without_a_leading_space() -> None:
    import email
    from email import policy

    subject = "Reminder: what Hope Harbor Services still needs to finish joining HMIS"  # 80 with "Subject: "
    msg = compose(sender="LAHSA HMIS <HMISsupport@lahsa.org>", to=["m@h.org"], subject=subject, text="x\n",
                  html="<p>x</p>", message_id=make_message_id("k", "lahsa.org"), kind="reminder",
                  date=datetime(2026, 12, 1, tzinfo=UTC))
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    assert f"\r\nSubject: {subject}\r\n".encode() in raw
    assert str(email.message_from_bytes(raw, policy=policy.default)["Subject"]) == subject


def test_the_receipt_names_what_it_did_not_understand_and_roles_no_program_supports() -> None:
    out = render(make_env(), "receipt", BASE | {"not_understood": ["Harbor Hub (drop-in)"],
                                                "role_problems": ["Ana Diaz: Assessment Only"]})
    text = " ".join(out.text.split())
    assert "We could not tell the type of this program, so it has not been requested yet: - Harbor Hub (drop-in)" \
        in text
    assert "No program of your organization supports this role" in text and "Ana Diaz: Assessment Only" in out.html


NOTICE = {"org_name": "Hope Harbor Services", "user_name": "James Park", "user_email": "j@h.org",
          "due": "Monday, December 7, 2026", "support": "HMISsupport@lahsa.org", "no_users": False,
          "users": ["James Park"], "next_steps": BASE["next_steps"]}


@pytest.mark.parametrize(("name", "says"), [
    ("steps_done", "Your users can now start Step 3"),
    ("user_ready", "LAHSA's HMIS team will now create the HMIS account, within 3 business days: by Monday, "
                   "December 7, 2026."),
    ("access_granted", "LAHSA has granted HMIS access to James Park <j@h.org> of Hope Harbor Services."),
])
def test_notices_say_what_happened_and_what_comes_next(name: str, says: str) -> None:
    out = render(make_env(), name, NOTICE)
    assert says in " ".join(out.text.split()) and "<html>" in out.html and "\n" not in out.subject
    assert "automatic reply" not in out.text and "the bot" not in out.text.lower()


def test_an_account_question_receipt_says_who_answers_and_that_nothing_else_is_needed() -> None:
    ctx = BASE | {"org_name": "", "org_missing": [], "users": [], "next_steps": [],
                  "received": ["your account question (passed to our support staff)"]}
    out = render(make_env(), "receipt", ctx)
    said = "There is nothing more you need to do now: a member of LAHSA's HMIS team will answer you by email."
    assert said in " ".join(out.text.split()) and said in out.html

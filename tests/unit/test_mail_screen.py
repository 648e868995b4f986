"""Screening (bot.mail.screen): machine-mail rules and DMARC; and reading delivery reports (bot.mail.bounce)."""

from __future__ import annotations

import pytest

from bot.mail.bounce import parse_bounce
from bot.mail.message import parse_message
from bot.mail.screen import RULES, classify_auto, dmarc_verdict, parse_auth_results, screen

PERSON = "From: Maria Lopez <maria@hope.org>\nTo: JoinHMIS@lahsa.org\nSubject: Program setup\nMessage-ID: <m@h.org>\n"


def msg(extra: str = "", base: str = PERSON, body: str = "Hi, please set up our programs.") -> bytes:
    headers = extra.strip() + "\n" + base if extra.strip() else base
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode()


def kind_of(data: bytes) -> str | None:
    return classify_auto(parse_message(data))[0]


# --- RFC 3834: each rule with a message that fires it and a near miss that must not -------------

REPORT = ('Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n',
          "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n")
CASES = [
    # (rule, headers that fire it, expected kind, near-miss headers)
    ("spam_verdict", "X-Spam-Flag: YES", "spam", "X-Spam-Flag: NO"),
    ("spam_verdict", "X-Spam-Status: Yes, score=9.1 required=5.0", "spam", "X-Spam-Status: No, score=0.2"),
    ("spam_verdict", "X-MS-Exchange-Organization-SCL: 5", "spam", "X-MS-Exchange-Organization-SCL: -1"),
    ("spam_verdict", "X-Forefront-Antispam-Report: CIP:1.2.3.4;SFV:SPM;H:mx", "spam",
     "X-Forefront-Antispam-Report: CIP:1.2.3.4;SFV:NSPM;H:mx"),
    ("auto_submitted", "Auto-Submitted: auto-replied", "auto_reply", "Auto-Submitted: no"),
    ("auto_submitted", "Auto-Submitted: auto-generated", "auto_reply", "Auto-Submitted: No (a person wrote it)"),
    ("auto_submitted_failure", "Auto-Submitted: auto-generated (failure)", "bounce", ""),
    ("null_return_path", "Return-Path: <>", "auto_reply", "Return-Path: <maria@hope.org>"),
    ("precedence_bulk", "Precedence: bulk", "list", "Precedence: first-class"),
    ("precedence_bulk", "Precedence: junk", "list", "Precedence: normal"),
    ("precedence_bulk", "Precedence: list", "list", ""),
    ("precedence_auto_reply", "Precedence: auto_reply", "auto_reply", ""),
    ("list_headers", "List-Id: <ces.lists.example.org>", "list", "X-List: not a list header"),
    ("list_headers", "List-Unsubscribe: <mailto:leave@example.org>", "list", "Listing: 3"),
    ("auto_response_suppress", "X-Auto-Response-Suppress: All", "auto_reply", "X-Auto-Response-Suppress: DR, RN, NRN"),
    ("auto_response_suppress", "X-Auto-Response-Suppress: OOF, AutoReply", "auto_reply", ""),
    ("autoreply_header", "X-Autoreply: yes", "auto_reply", "X-Autoreply: no"),
    ("autoreply_header", "X-Autorespond: vacation", "auto_reply", "X-Auto-Response-Suppress: NRN"),
    ("exchange_ndr", "X-MS-Exchange-Message-Is-Ndr: ", "bounce", "X-MS-Exchange-Organization-SCL: 1"),
]


@pytest.mark.parametrize(("rule", "fires", "kind", "near_miss"), CASES)
def test_each_header_rule_fires_and_its_near_miss_does_not(rule: str, fires: str, kind: str, near_miss: str) -> None:
    found = classify_auto(parse_message(msg(fires)))
    assert found[0] == kind and found[1], rule
    assert kind_of(msg(near_miss)) is None, near_miss


@pytest.mark.parametrize(("sender", "kind"), [
    ("MAILER-DAEMON@mx.hope.org", "bounce"), ("postmaster@hope.org", "bounce"), ("noreply@lms.example.com", "system"),
    ("no-reply@hope.org", "system"), ("do-not-reply@hope.org", "system"), ("DoNotReply@hope.org", "system"),
    ("bounces+123@lists.example.org", "system"),
])
def test_system_addresses_are_not_answered(sender: str, kind: str) -> None:
    assert kind_of(msg(base=PERSON.replace("Maria Lopez <maria@hope.org>", sender))) == kind


@pytest.mark.parametrize("sender", ["replying.person@hope.org", "noreen@hope.org", "postmaster.jones@hope.org",
                                    "daemon.fan@hope.org"])
def test_people_with_lookalike_addresses_are_answered(sender: str) -> None:
    assert kind_of(msg(base=PERSON.replace("maria@hope.org", sender))) is None


def test_mailer_daemon_as_return_path_is_a_bounce() -> None:
    assert kind_of(msg("Return-Path: <MAILER-DAEMON>")) == "bounce"


def test_delivery_reports_and_read_receipts() -> None:
    assert kind_of(msg(REPORT[0], body=REPORT[1])) == "bounce"
    receipt = REPORT[0].replace("delivery-status", "disposition-notification")
    assert kind_of(msg(receipt, body=REPORT[1])) == "auto_reply"
    assert kind_of(msg('Content-Type: multipart/mixed; boundary="b"', body=REPORT[1])) is None


@pytest.mark.parametrize(("subject", "kind"), [
    ("Undeliverable: Program setup", "bounce"), ("Delivery Status Notification (Failure)", "bounce"),
    ("Mail delivery failed: returning message to sender", "bounce"), ("failure notice", "bounce"),
    ("Automatic reply: Program setup", "auto_reply"), ("Out of Office: Program setup", "auto_reply"),
    ("Auto-Reply: your message", "auto_reply"),
])
def test_machine_subjects_are_a_last_resort(subject: str, kind: str) -> None:
    assert kind_of(msg(base=PERSON.replace("Subject: Program setup", f"Subject: {subject}"))) == kind


@pytest.mark.parametrize("subject", [
    "Delivery of our signed agreement", "Re: Undeliverable: Program setup", "Question about a delivery failure",
    "Out of office next week - setup can wait", "Re: Automatic reply: Program setup", "Returned mail question",
])
def test_people_who_write_about_delivery_are_still_answered(subject: str) -> None:
    body = "Our last email bounced with a delivery failure notice, so I am resending. Mail delivery failed twice."
    data = msg(base=PERSON.replace("Subject: Program setup", f"Subject: {subject}"), body=body)
    assert kind_of(data) is None


def test_null_return_path_with_a_bounce_subject_is_a_bounce() -> None:
    data = msg("Return-Path: <>", base=PERSON.replace("Subject: Program setup", "Subject: Undeliverable: hi"))
    assert kind_of(data) == "bounce"


def test_every_rule_has_a_name_and_is_tested() -> None:
    tested = {c[0] for c in CASES} | {"read_receipt", "delivery_report", "mail_system_sender", "system_sender",
                                      "null_return_path_bounce", "bounce_subject", "auto_reply_subject"}
    assert {r.name for r in RULES} == tested


# --- Authentication-Results / DMARC (RFC 8601) ------------------------------------------------

TRUSTED = ("mx.lahsa.org",)


def ar(*values: str, sender: str = "maria@hope.org") -> bytes:
    extra = "\n".join(f"Authentication-Results: {v}" for v in values)
    return msg(extra, base=PERSON.replace("maria@hope.org", sender))


def verdict(data: bytes) -> str:
    return dmarc_verdict(parse_message(data), TRUSTED)


def test_only_our_authserv_id_counts() -> None:
    assert verdict(ar("mx.lahsa.org; dmarc=pass header.from=hope.org")) == "pass"
    assert verdict(ar("MX.LAHSA.ORG 1; dmarc=pass (p=reject dis=none) header.from=Hope.Org")) == "pass"
    assert verdict(ar("mx.evil.example; dmarc=pass header.from=hope.org")) == "none"
    assert verdict(ar("mx.lahsa.org.evil.example; dmarc=pass header.from=hope.org")) == "none"


def test_a_forged_pass_above_or_below_ours_cannot_outvote_our_fail() -> None:
    ours = "mx.lahsa.org; spf=fail smtp.mailfrom=hope.org; dmarc=fail (p=reject) header.from=hope.org"
    forged = "mx.lahsa.org; dmarc=pass header.from=hope.org"
    assert verdict(ar(forged, ours)) == "fail"
    assert verdict(ar(ours, forged)) == "fail"
    unknown = "mx.evil.example; dmarc=pass header.from=hope.org"
    assert verdict(ar(unknown, "mx.lahsa.org; dmarc=none header.from=hope.org")) == "none"


def test_header_from_must_be_the_from_domain() -> None:
    assert verdict(ar("mx.lahsa.org; dmarc=pass header.from=lahsa.org")) == "none"
    assert verdict(ar("mx.lahsa.org; dmarc=pass header.from=lahsa.org", sender="x@lahsa.org")) == "pass"
    assert verdict(ar("mx.lahsa.org; dmarc=pass (header.from=hope.org) header.from=evil.example")) == "none"
    assert verdict(ar("mx.lahsa.org; dmarc=pass")) == "none"  # a result that names no domain proves nothing


def test_comments_quotes_and_multiple_results() -> None:
    value = ('mx.lahsa.org (postfix (nested) comment); dkim=pass (2048-bit key; "quoted ; semicolon") '
             "header.d=hope.org header.s=sel1; spf=pass (sender ok) smtp.mailfrom=hope.org; "
             'dmarc=pass (p=reject sp=none dis=none) header.from="hope.org"')
    authserv, results = parse_auth_results(value)
    assert authserv == "mx.lahsa.org"
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert results[0].props == {"header.d": "hope.org", "header.s": "sel1"}
    assert verdict(ar(value)) == "pass"
    assert parse_auth_results("(comment first) mx.lahsa.org; none") == ("mx.lahsa.org", [])
    assert verdict(ar("mx.lahsa.org; dkim=pass header.d=hope.org")) == "none"  # no DMARC result at all


def test_screen_needs_dmarc_pass_to_reply_and_never_replies_to_machines() -> None:
    ok = parse_message(ar("mx.lahsa.org; dmarc=pass header.from=hope.org"))
    assert screen(ok, TRUSTED).may_reply
    assert not screen(parse_message(ar("mx.lahsa.org; dmarc=fail header.from=hope.org")), TRUSTED).may_reply
    auto = parse_message(msg("Auto-Submitted: auto-replied\nAuthentication-Results: mx.lahsa.org; dmarc=pass "
                             "header.from=hope.org"))
    assert screen(auto, TRUSTED).authenticated and not screen(auto, TRUSTED).may_reply
    assert screen(parse_message(msg()), ()).may_reply  # the demo: no trusted server configured


# --- bounce reports (bot.mail.bounce) ----------------------------------------------------------

def dsn(*recipients: tuple[str, str, str], returned: str = "Message-ID: <reply-42@lahsa.org>\r\nSubject: x\r\n") \
        -> bytes:
    blocks = "".join(f"\r\nFinal-Recipient: rfc822; {addr}\r\nAction: {action}\r\nStatus: {status}\r\n"
                     f"Diagnostic-Code: smtp; {status} no such user\r\n" for addr, action, status in recipients)
    return (
        "From: MAILER-DAEMON@mx.hope.org\r\nTo: HMISsupport@lahsa.org\r\nSubject: Undelivered Mail\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
        f"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.hope.org\r\n{blocks}\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n{returned}\r\n--b--\r\n"
    ).encode()


def test_dsn_gives_addresses_permanence_status_and_our_message_id() -> None:
    bounce = parse_bounce(dsn(("Gone@Hope.org", "failed", "5.1.1"), ("full@hope.org", "delayed", "4.2.2"),
                              ("fine@hope.org", "delivered", "2.0.0")))
    assert bounce is not None and bounce.source == "dsn"
    assert (bounce.permanent, bounce.transient) == (("gone@hope.org",), ("full@hope.org",))
    assert [r.status for r in bounce.recipients] == ["5.1.1", "4.2.2"]
    assert "no such user" in bounce.recipients[0].diagnostic
    assert bounce.original_message_id == "<reply-42@lahsa.org>"


def test_a_failed_action_with_a_4xx_status_is_transient_and_without_status_is_permanent() -> None:
    bounce = parse_bounce(dsn(("a@hope.org", "failed", "4.4.7"), ("b@hope.org", "failed", "(none)"), returned=""))
    assert bounce is not None and bounce.transient == ("a@hope.org",) and bounce.permanent == ("b@hope.org",)
    assert bounce.original_message_id is None


def test_not_a_bounce_gives_none_and_garbage_never_raises() -> None:
    assert parse_bounce(msg()) is None
    assert parse_bounce(b"") is None and parse_bounce(b"\xff\x00" * 50) is None
    assert parse_bounce(dsn(("x400-address-without-at", "failed", "5.0.0"))) is None

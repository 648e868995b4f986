"""Every real malformed message of the shared corpus through parse_message, screen and parse_bounce.

The corpus lives beside the repository (``../shared/corpus``, see its MANIFEST.md), or where
``HMISBOT_CORPUS`` points. A clone without it skips these tests, saying so, in CI too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.mail.bounce import parse_bounce
from bot.mail.message import parse_message
from bot.mail.screen import classify_auto
from bot.mail.unpack import split_mbox

CORPUS = Path(os.environ.get("HMISBOT_CORPUS") or Path(__file__).resolve().parents[3] / "shared" / "corpus")
EML = CORPUS / "eml"
FILES = sorted(p.name for p in EML.iterdir()) if EML.is_dir() else []
ABSENT = pytest.mark.skipif(not FILES, reason=f"mail corpus not found at {EML} (set HMISBOT_CORPUS to its folder)")


def messages(name: str) -> list[bytes]:
    data = (EML / name).read_bytes()
    return split_mbox(data) if name.endswith(".mbox") else [data]


# Files that hold attachments, and their names (read from each file; the KeyError-trap ones included).
ATTACHMENTS = {
    "cpython_msg_04.eml": ["msg.txt", "msg.txt"],
    "cpython_msg_07.eml": ["dingusfish.gif"],
    "cpython_msg_13.eml": ["dingusfish.gif"],
    "cpython_msg_15.eml": ["xx.gif"],  # after the outer closing boundary (same boundary nested twice)
    "cpython_msg_22.eml": ["wibble.JPG", "wibble2.JPG"],
    "cpython_msg_26.eml": ["clock.bmp"],
    "cpython_msg_37.eml": ["attachment"] * 3,  # text/x-one, text/x-two parts: data, not body text
    "cpython_msg_39.eml": ["attachment"] * 6,  # patch1..6 under a reused boundary
    "cpython_msg_44.eml": ["msg.txt", "msg.txt"],
    "cpython_msg_45.eml": ["signature.asc"],
    "dovecot_malformed_015.eml": ["signature.asc"],
    "dovecot_malformed_017.eml": ["image001.png"],  # "multipart/mixed" with no ';' before boundary=
    "dovecot_malformed_020.eml": ["attachment.png"],
    "dovecot_malformed_021.eml": ["attachment.png"],
    "dovecot_thirdparty_007.eml": ["test.txt"],
}


@ABSENT
@pytest.mark.parametrize("name", FILES or ["none"])
def test_every_corpus_file_parses_without_raising(name: str) -> None:
    for data in messages(name):
        msg = parse_message(data)
        assert msg.sha256 and msg.message_id.startswith("<")
        names = [a.filename for a in msg.attachments]
        assert names == ATTACHMENTS.get(name, []), name
        assert all(a.data for a in msg.attachments)
        classify_auto(msg)
        parse_bounce(data)


@ABSENT
def test_corpus_totals() -> None:
    assert len(FILES) == 94
    parsed = [parse_message(data) for name in FILES for data in messages(name)]
    assert len(parsed) == 93 + 16  # 92 single messages and one .msg, the two mbox files hold 1 and 16
    assert sum(len(m.attachments) for m in parsed) == sum(map(len, ATTACHMENTS.values())) == 25
    outlook = parse_message((EML / "spamscope_mail_outlook_1.msg").read_bytes())
    assert "Outlook" in outlook.defects[0]
    assert [parse_message(m).subject for m in messages("imaptest_nil.mbox")] == ["NiL"]


@ABSENT
def test_the_whole_corpus_parses_fast() -> None:
    started = time.perf_counter()
    for name in FILES:
        for data in messages(name):
            parse_message(data)
    assert time.perf_counter() - started < 5.0


# name: (permanent, transient, Message-ID of the bounced message). Read from each file; flufl.bounce's
# own tests agree on the addresses.
BOUNCES = {
    "flufl_bounce_dsn_01.eml": (["userx@example.com"], [], "<F1218V8zDv60gxapzha000001ae@hotmail.com>"),
    "flufl_bounce_dsn_05.eml": ([], ["userx@example.cz"], "<pfchbtkf3j0p7prf0sp45vi21fro3bs7ad@4ax.com>"),
    "flufl_bounce_dsn_06.eml": ([], ["userx@example.com"], "<j4d77kvs79.fsf@informatik.hu-berlin.de>"),
    "flufl_bounce_dsn_09.eml": (["userx@example.com"], [], "<3BE4F1EC.8306C281@nleaudio.com>"),  # X.400 final
    "flufl_bounce_exim_01.eml": (["userx@its.example.nl"], [], "<19990920022322.A19735@stereo.rotzorg.org>"),
    "flufl_bounce_groupwise_01.eml": (["userx@example.edu"], [], "<20010720085308.H17468@magic.example.org>"),
    "flufl_bounce_microsoft_01.eml": (["userx@example.com"], [], None),  # "Message removed"
    "flufl_bounce_postfix_01.eml": (["xxxxx@local.ie"], [], None),
    "flufl_bounce_qmail_01.eml": (["userx@example.de"], [], None),
    "flufl_bounce_sendmail_01.eml": (["zzzzz@nfg.nl", "zzzzz@shaft.coal.nl"], [], None),
    "flufl_bounce_simple_03.eml": ([], ["userx@example.za"], None),  # "delayed 24 hours" warning
    "flufl_bounce_simple_21.eml": ([], ["userx@example.com"], None),
    "flufl_bounce_yahoo_01.eml": (["userx@example.com"], [], None),  # "(#4.4.1)" but "not going to try again"
    "spamscope_mail_malformed_2_dsn.eml": ([], ["abh@netpar.com.br"],  # Action: failed, Status: 4.2.2
                                           "<004801d1fc84$01c934ac$b247f0b7$@infospacemail.com>"),
    "cpython_msg_16.eml": (["jangel1@cougar.noc.ucla.edu"], [], "<002001c144a6$8752e060$56104586@oxy.edu>"),
}


@ABSENT
@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_bounces_give_failed_addresses_permanence_and_our_message_id(name: str) -> None:
    data = (EML / name).read_bytes()
    assert classify_auto(parse_message(data))[0] == "bounce"
    bounce = parse_bounce(data)
    assert bounce is not None
    permanent, transient, message_id = BOUNCES[name]
    assert (list(bounce.permanent), list(bounce.transient), bounce.original_message_id) == (
        permanent, transient, message_id)
    assert bounce.source == ("dsn" if "dsn" in name or name.startswith("cpython") else "heuristic")


@ABSENT
def test_no_other_corpus_file_is_taken_for_a_bounce() -> None:
    others = [n for n in FILES if n not in BOUNCES and n != "cpython_msg_43.eml"]  # 43: a spam-firewall DSN
    assert [n for n in others if any(parse_bounce(d) for d in messages(n))] == []

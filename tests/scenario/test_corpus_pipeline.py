"""Every file of ../shared/corpus through `poll` and `classify`: no crash, no hang, nothing lost."""

from __future__ import annotations

import json
import mailbox as mbox
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.mail.message import message_id_of
from bot.store.models import SeenMessage
from tests.conftest import CORPUS
from tests.scenario.harness import World

MISSING = f"corpus not found at {CORPUS} (a clone has no ../shared)"
MISSING = f"corpus not found at {CORPUS} (a clone has no ../shared)"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CORPUS.is_dir(), reason=MISSING)]


def _messages() -> list[bytes]:
    out: list[bytes] = []
    for path in sorted((CORPUS / "eml").iterdir()):
        if path.suffix == ".mbox":
            out.extend(m.as_bytes() for m in mbox.mbox(str(path)))
        else:
            out.append(path.read_bytes())
    for path in sorted((CORPUS / "pdf").iterdir()):  # each hostile PDF attached to a mail
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "Someone <someone@example.org>", "HMISsupport@lahsa.org", path.name
        m.set_content("Form attached.")
        m.add_attachment(path.read_bytes(), maintype="application", subtype="pdf", filename=path.name)
        out.append(m.as_bytes())
    return out


def test_every_corpus_file_goes_through_poll_and_nothing_is_lost(tmp_path: Path) -> None:
    w = World(tmp_path / "w", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    messages = _messages()
    for i, data in enumerate(messages):
        w.deliver(("training", "support", "join")[i % 3], data)
    w.poll()  # fails the test if any message failed to be handled
    rows = w.query(SeenMessage)
    done = {(r.mailbox, r.message_id) for r in rows if r.outcome in ("processed", "review")}
    # Byte-identical copies (the mbox files hold some) are one message: each is accounted for.
    delivered = {(("training", "support", "join")[i % 3], message_id_of(d)) for i, d in enumerate(messages)}
    assert done == delivered
    assert len(rows) >= len(delivered)
    left = [p for box in ("training", "support", "join") for sub in ("new", "cur")
            for p in (w.root / "mail" / box / sub).iterdir()]
    assert left == []  # every message was moved to Processed or Needs Review, none deleted


def test_classify_reads_every_corpus_file_without_a_traceback(tmp_path: Path) -> None:
    files = sorted(p for p in (CORPUS / "eml").iterdir()) + sorted((CORPUS / "pdf").iterdir())
    out = subprocess.run([sys.executable, "-m", "bot", "classify", "--json", *map(str, files)],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode in (0, 1) and "Traceback" not in out.stderr
    objects = [json.loads(line) for line in out.stdout.splitlines()]
    sources = {o["source"].split("#")[0] for o in objects}
    assert sources == {str(f) for f in files}
    assert all(o["kind"] in ("organization_agreement", "user_agreement", "hmis10_acknowledgement", "unknown",
                             "program_setup_request", "program_setup_confirmation", "user_roster",
                             "training_roster", "account_support", "auto_reply", "bounce", "other") for o in objects)
    pdfs = [o for o in objects if o["source"].endswith(".pdf")]
    assert pdfs and all(o["kind"] == "unknown" for o in pdfs)  # none of the hostile PDFs is a form


SPAM_AND_NEWSLETTERS = [
    ("Deals <deals@shop.example>", "Your weekly deals", {"X-Spam-Flag": "YES"}, "Buy now!"),
    ("Win <win@prize.example>", "You won", {"X-Spam-Status": "Yes, score=12.3 required=5.0"}, "Claim your prize."),
    ("Promo <promo@outlook.example>", "Limited offer", {"X-MS-Exchange-Organization-SCL": "6"}, "Offer inside."),
    ("Bulk <bulk@mailer.example>", "Hello friend", {"X-Forefront-Antispam-Report": "CIP:1.2.3.4;SFV:SPM;H:x"},
     "Dear friend, I need your help with a transfer."),
    ("City News <news@city.example>", "December newsletter",
     {"List-Unsubscribe": "<mailto:unsub@city.example>", "List-Id": "<news.city.example>"}, "This month in LA..."),
    ("A Stranger <someone@nowhere.example>", "Volunteering", {}, "Hello, who should I talk to about volunteering?"),
    ("Vendor <sales@vendor.example>", "Copier lease renewal", {}, "Your copier lease is up for renewal."),
]


def test_no_reply_to_the_corpus_nor_to_spam_newsletters_and_strangers(tmp_path: Path) -> None:
    """Issue 15 point 4: a public agency's inbox gets this every day; answering it is backscatter."""
    w = World(tmp_path / "w", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    messages = [path.read_bytes() for path in sorted((CORPUS / "eml").iterdir()) if path.suffix == ".eml"]
    for i, data in enumerate(messages):
        w.deliver(("training", "support", "join")[i % 3], data)
    for sender, subject, headers, body in SPAM_AND_NEWSLETTERS:
        w.mail("support", sender, subject, body, headers=headers)
    sent = w.poll()
    assert [(s.to, s.kind, s.subject) for s in sent if s.kind not in ("support_handoff", "handoff")] == []

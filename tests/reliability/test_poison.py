"""Poison messages: one message whose processing always raises must not stop the rest.

The documents reader is patched to raise for one attachment (``poison.pdf``), as a
crashing PDF engine would. That message is tried again on each poll, up to
``limits.max_attempts``; meanwhile every other message, in the same batch and in the
batches after it, is processed and answered once. At the last attempt it is moved to
Needs Review with a review item carrying its error, its sender and its subject, and the
next digest lists it. It is never tried again after that, and its sender gets no reply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import App
from bot.documents.model import FormResult
from bot.store.models import ReviewItem, SeenMessage
from tests.integration.conftest import SmtpServer
from tests.integration.dovecot import DovecotServer
from tests.reliability.conftest import (
    Mail,
    agreement_pdf,
    backlog,
    check_exactly_once,
    decided,
    deliver,
    folder_ids,
    make_mail,
    write_config,
)
from tests.support.db import rows
from tests.support.pipeline import TRAINING, cli_in_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ATTEMPTS = 3
POISON_ID = "<poison.1@samaritan.example.org>"
ERROR = "RuntimeError: pdf engine crashed on poison.pdf"


def _poison() -> Mail:
    pdf = agreement_pdf("Good Samaritan Shelter", "Sam Poe")
    raw = make_mail("training", POISON_ID, ("Sam Poe", "Sam.Poe@samaritan.example.org"), "Our signed agreement",
                    "Hello,\n\nAttached is our signed Organization Agreement.\n\nSam Poe", ("poison.pdf", pdf))
    return Mail("training", POISON_ID, raw, "agreement")


def test_poison_message_is_retried_then_sent_to_review_and_the_rest_goes_on(
        lahsa: DovecotServer, smtp: SmtpServer, secrets: None, db_url: str, engine: Engine, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = App.read_document
    calls: Counter[str] = Counter()

    def reader(self: App, data: bytes, source: str) -> Sequence[FormResult]:
        calls[source] += 1
        if source == "poison.pdf":
            raise RuntimeError("pdf engine crashed on poison.pdf")
        return real(self, data, source)

    monkeypatch.setattr(App, "read_document", reader)
    config = write_config(tmp_path, db_url, lahsa, smtp, limits={"max_attempts": ATTEMPTS})
    code, out = cli_in_process(config, "poll", "--once")  # first contact with the empty inboxes
    assert code == 0, out

    poison = _poison()
    batches = [backlog(10, tag=f"batch{n}", pdfs=1 if n == 0 else 0, start=10 * n) for n in range(ATTEMPTS + 1)]
    first = batches[0]
    deliver(lahsa, [*first[:5], poison, *first[5:]])  # in the middle of the first batch
    everyone: list[Mail] = [poison]

    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            deliver(lahsa, batches[attempt - 1])
        everyone += batches[attempt - 1]
        code, out = cli_in_process(config, "poll", "--once")
        assert code == 1, out  # something needs attention
        assert out.count("FAILED") == 1 and ERROR in out, out
        assert calls["poison.pdf"] == attempt
        # The rest of the batch, before and after the poison message, went through.
        assert decided(engine) == Counter(m.message_id for m in everyone if m is not poison) + (
            Counter([POISON_ID]) if attempt == ATTEMPTS else Counter())
        [row] = [s for s in rows(engine, SeenMessage) if s.message_id == POISON_ID]
        assert row.attempts == attempt and row.error == ERROR
        poisoned = [r for r in rows(engine, ReviewItem) if r.reason.startswith("failed ")]
        if attempt < ATTEMPTS:
            assert row.outcome == "failed"
            assert folder_ids(lahsa, TRAINING, "INBOX") == [POISON_ID]  # waits for the next poll
            assert poisoned == []
        else:
            assert row.outcome == "review"
            assert folder_ids(lahsa, TRAINING, "INBOX") == []
            assert POISON_ID in folder_ids(lahsa, TRAINING, "Needs Review")
            [item] = poisoned
            assert item.reason == f"failed {ATTEMPTS} times: {ERROR}"
            assert (item.mailbox, item.sender, item.subject) == (
                "training", "sam.poe@samaritan.example.org", "Our signed agreement")
            assert item.seen_id == row.id and item.resolved_at is None
    assert len({s.message_id for s in rows(engine, SeenMessage) if s.outcome == "failed"}) == 0

    # Settled: the next poll handles new mail and leaves the poison message alone.
    deliver(lahsa, batches[ATTEMPTS])
    everyone += batches[ATTEMPTS]
    code, out = cli_in_process(config, "poll", "--once")
    assert code == 0, out
    assert calls["poison.pdf"] == ATTEMPTS
    check_exactly_once(engine, lahsa, smtp, everyone, unanswered=frozenset({POISON_ID}))
    assert calls["agreement-0.pdf"] == 1  # the other PDF was read once

    # The digest of the duty that owns the mailbox shows the item, with its error and origin.
    code, digest = cli_in_process(config, "digest", "--dry-run")
    assert code == 0, digest
    line = f"failed {ATTEMPTS} times: {ERROR} (from sam.poe@samaritan.example.org: Our signed agreement)"
    assert digest.count(line) == 1, digest
    assert "Review queue" in digest

"""Mailbox health: remember failures and tell staff once when a mailbox stalls.

A mailbox is stalled when no check has succeeded for ``schedule.stalled_mailbox_after``.
Staff are told once per stall (the flag resets on the next successful check); the
digest shows the same facts every morning while it lasts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.outbox.outbox import enqueue
from bot.store.db import transaction
from bot.store.models import MailboxState

if TYPE_CHECKING:
    from bot.workflow.deps import Pipeline

log = logging.getLogger(__name__)


def record_failure(app: Pipeline, mailbox: str, error: str) -> bool:
    """Record a failed check; return True when this failure made the mailbox count as stalled."""
    now = app.clock.utcnow()
    with transaction(app.engine) as session:
        state = session.get(MailboxState, mailbox) or MailboxState(mailbox=mailbox)
        session.add(state)
        state.last_error = error[:500]
        since = state.last_ok_at
        stalled = since is None or (now - since).total_seconds() > app.config.schedule.stalled_mailbox_after
        if not stalled or state.stalled_reported:
            log.warning("mailbox %s: check failed: %s", mailbox, error)
            return False
        state.stalled_reported = True
        log.error("mailbox %s: STALLED, no successful check since %s: %s", mailbox, since, error)
        enqueue(session, app.env, key=f"stalled:{mailbox}:{now:%Y%m%d%H%M}", kind="mailbox_stalled",
                to=[app.duty_address("implementation")], now=now, domain=app.mail_domain,
                context={"mailbox": mailbox, "address": str(app.config.mailboxes[mailbox].address),
                         "since": since.isoformat() if since else "the start", "error": error[:500]})
    return True

"""The protocol every sender speaks (outbox_dir, smtp, graph, ews), and its failures.

The outbox decides what to do with each failure kind: retry a transient one later,
show a permanent one to staff, and never blindly resend one whose outcome is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol


class SendError(Exception):
    """Base of every send failure."""


class TransientSendError(SendError):
    """Try again later (SMTP 4xx, connection refused before the message was handed over)."""


class PermanentSendError(SendError):
    """The server refused the message for good (SMTP 5xx); retrying will not help."""


class UnknownOutcomeError(SendError):
    """The connection broke after the message was handed over (after DATA): it may have gone."""


class Sender(Protocol):
    def send(self, msg: EmailMessage, before_commit: Callable[[], None] | None = None) -> None:
        """Deliver one fully composed message (it already has its Message-ID); raise SendError.

        ``before_commit``, when the transport has such an instant, is called just before
        the point after which the message may have been delivered (SMTP: the final dot).
        A transport whose resend is harmless (same file, same id) need not call it.
        """
        ...

    def close(self) -> None: ...

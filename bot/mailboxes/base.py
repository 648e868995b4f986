"""The one protocol every mailbox adapter speaks (maildir, imap, graph, ews).

An adapter knows how to list what waits in its watched folder, fetch raw bytes
and, once the orchestrator has committed its decision, move the message to the
processed or review folder. It never parses, decides or deletes: deciding is the
core's job, and mail is never deleted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Outcome = Literal["processed", "review"]


class MailboxError(Exception):
    """The mailbox could not be reached or did not answer as expected (retryable)."""


class LoginFailed(MailboxError):
    """The server refused our credentials: the message names the account and where its secret comes from."""


@dataclass(frozen=True)
class RawMessage:
    """One message exactly as the server holds it."""

    mailbox: str  # the config name of the mailbox (training, support, join, ...)
    key: str  # the adapter's own id, used by settle(): IMAP UID, maildir key, Graph id
    data: bytes
    uidvalidity: str | None = None  # IMAP UIDVALIDITY; None where the store has no such notion
    received_at: datetime | None = None


@dataclass(frozen=True)
class Listing:
    """What waits in the watched folder right now, oldest first."""

    uidvalidity: str | None
    keys: tuple[str, ...] = field(default_factory=tuple)


class Mailbox(Protocol):
    """A watched folder plus the two folders finished mail goes to."""

    name: str
    address: str

    def list_pending(self) -> Listing:
        """Keys of every message in the watched folder (processed mail has been moved out)."""
        ...

    def fetch(self, keys: Sequence[str]) -> Iterator[RawMessage]:
        """Raw bytes of the given messages, without marking them seen (BODY.PEEK)."""
        ...

    def settle(self, msg: RawMessage, outcome: Outcome) -> None:
        """Move a message whose decision is committed to the processed or review folder."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block until new mail may have arrived (IMAP IDLE) or timeout; True if woken early."""
        ...

    def close(self) -> None: ...

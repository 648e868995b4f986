"""The one clock. Every decision that depends on the time reads it from here.

``--now`` (or ``$HMISBOT_NOW``) freezes it, so reminders, escalations, deadlines and
digests can be driven through days in tests without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def parse_now(text: str, tz: ZoneInfo) -> datetime:
    """ISO-8601 -> aware datetime; a naive value is taken to be in the office's time zone."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


@dataclass(frozen=True)
class Clock:
    tz: ZoneInfo
    fixed: datetime | None = None
    source: Callable[[], datetime] = lambda: datetime.now(UTC)

    def now(self) -> datetime:
        """Aware time in the office's zone."""
        return (self.fixed or self.source()).astimezone(self.tz)

    def today(self) -> date:
        return self.now().date()

    def utcnow(self) -> datetime:
        return self.now().astimezone(UTC)


def arrival(reported: datetime | None, now: datetime) -> datetime:
    """When a message arrived, on the bot's clock.

    A mailbox reports its own arrival time (Maildir mtime, IMAP INTERNALDATE, Graph/EWS
    receivedDateTime). That time is a fact about the message and is kept, with one
    exception: it may never lie after the bot's ``now``. The bot's clock is the authority
    for every decision (deadlines, retention), and a mail server whose clock runs ahead,
    or a ``--now`` that replays the past, would otherwise file a message in the bot's
    future, where no retention cutoff or "received N days ago" could ever reach it.
    """
    return now if reported is None or reported > now else reported

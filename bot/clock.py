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

"""Text for people: strangers' words made safe to quote back in LAHSA's mail, and times. Pure.

A subject or a name comes from whoever sent the mail. Quoted in a reply from LAHSA's
address it must not become a link ("reset your HMIS password at http://evil.example"),
reverse itself on screen (U+202E makes "report\\u202efdp.exe" read "reportexe.pdf"),
smuggle a line break, or grow a 200 KB subject into a 665 KB reply.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, tzinfo

QUOTE_LIMIT = 120
# Bidirectional overrides and isolates, zero-width and other invisible format characters.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u061c\u180e]")
_URL = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]{1,20}://|\bwww\.)\S+"  # scheme:// or www.
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,24}/\S*",  # a host with a path: mail clients link these too
    re.I,
)


def visible(text: str) -> str:
    """Control, bidi and invisible characters removed; runs of whitespace become one space."""
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A stranger's words as a reply may quote them: visible, no links, at most ``limit`` characters."""
    text = _URL.sub("[link removed]", visible(text))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def local_time(value: datetime | None, tz: tzinfo) -> str:
    """``Thu Dec 3, 2026, 10:00 AM`` in the configured timezone; naive values are UTC (as stored).

    The one way a time is written for people, in mail and on the site alike.
    """
    if value is None:
        return ""
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)
    return f"{local:%a %b} {local.day}, {local:%Y}, {local:%I:%M %p}".replace(", 0", ", ", 1)


def local_date(value: date | str | None) -> str:
    """``Thu Dec 3, 2026`` from a date or an ISO date string."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%a %b} {day.day}, {day:%Y}"

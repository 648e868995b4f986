"""The text of a received message, read again from the audit archive for staff to read.

The database keeps only sender and subject; the body is in the archived raw message
(``SeenMessage.archive_path``). It is parsed with the same parser as the poller
(``bot.mail.message.parse_message``, which never raises) and shown as escaped text,
never as HTML. Only files inside ``archive_dir`` are opened (a row must not open any
file on the host), big messages are refused unread, and parsed bodies are cached.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # above limits.max_message_mb's usual 25 MB: such mail went to review unread
MAX_CHARS = 20_000  # a page shows the start of a very long body; the archive keeps all of it
_CACHE_SIZE = 512


class Bodies:
    """Message bodies by archive path, with an LRU cache shared by every request of the server."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir.resolve()
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, archive_path: str | None) -> str:
        """The message's text body (possibly shortened), or a sentence saying why it cannot be shown."""
        if not archive_path:
            return ""
        with self._lock:
            if archive_path in self._cache:
                self._cache.move_to_end(archive_path)
                return self._cache[archive_path]
        body = self._read(Path(archive_path).resolve())
        with self._lock:
            self._cache[archive_path] = body
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return body

    def _read(self, path: Path) -> str:
        from bot.mail.message import parse_message

        if not path.is_relative_to(self.archive_dir):
            log.warning("body of %s refused: outside the archive", path)
            return "(the archived message is outside the archive folder)"
        try:
            if path.stat().st_size > MAX_MESSAGE_BYTES:
                return "(the message is too large to show here)"
            body = parse_message(path.read_bytes()).body_text.strip()
        except OSError as exc:
            log.warning("body of %s unreadable: %s", path, exc)
            return "(the archived message could not be read)"
        if len(body) > MAX_CHARS:
            body = body[:MAX_CHARS] + "\n[... the rest is in the archived message]"
        return body or "(no text in the message)"

"""The embedded sender: every outgoing mail becomes an .eml file in a folder.

Files are written to a temporary name and renamed, so a reader never sees half a
mail; the name is derived from the Message-ID, so sending the same row twice
overwrites rather than duplicates.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path


class OutboxDirSender:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def send(self, msg: EmailMessage, before_commit: Callable[[], None] | None = None) -> None:
        # No commit hook needed: a resend writes the same file again.
        mid = str(msg["Message-ID"] or "")
        name = hashlib.sha256(mid.encode()).hexdigest()[:20] + ".eml"
        final = self.folder / name
        tmp = self.folder / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(msg.as_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)

    def close(self) -> None:
        return None

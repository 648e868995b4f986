"""The embedded mailbox: a Maildir folder on disk (Maildir++ subfolders).

Used by the demo and by anyone who lets their MTA deliver into Maildir. A message's
key is its unique file name; settling renames the file into ``.Processed`` or
``.Needs Review``, which is atomic on one file system, so a message is never in two
places or none.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.mailboxes.base import Listing, MailboxError, Outcome, RawMessage


def ensure_maildir(path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True, mode=0o700)


class MaildirMailbox:
    supports_idle = False

    def __init__(
        self, name: str, address: str, root: Path, processed_folder: str, review_folder: str
    ) -> None:
        self.name = name
        self.address = address
        self.root = root
        self._folders = {"processed": processed_folder, "review": review_folder}
        ensure_maildir(root)

    def _files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for sub in ("new", "cur"):
            try:
                entries = list(os.scandir(self.root / sub))
            except OSError as exc:
                raise MailboxError(f"{self.root}: {exc}") from exc
            for entry in entries:
                if entry.is_file() and not entry.name.startswith("."):
                    found[entry.name.split(":", 1)[0]] = Path(entry.path)
        return found

    def list_pending(self) -> Listing:
        files = self._files()
        # Oldest first: Maildir names start with the delivery time, mtime breaks ties.
        keys = sorted(files, key=lambda k: (files[k].stat().st_mtime, k))
        return Listing(uidvalidity=None, keys=tuple(keys))

    def fetch(self, keys: Sequence[str]) -> Iterator[RawMessage]:
        files = self._files()
        for key in keys:
            path = files.get(key)
            if path is None:
                continue  # settled by another instance meanwhile
            try:
                data = path.read_bytes()
                received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except FileNotFoundError:
                continue
            yield RawMessage(mailbox=self.name, key=key, data=data, received_at=received)

    def settle(self, msg: RawMessage, outcome: Outcome) -> None:
        path = self._files().get(msg.key)
        if path is None:
            return  # already moved: settling is idempotent
        target = self.root / f".{self._folders[outcome]}"
        ensure_maildir(target)
        name = path.name if ":" in path.name else f"{path.name}:2,"
        os.rename(path, target / "cur" / name)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        before = set(self._files())
        while time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            if set(self._files()) - before:
                return True
        return False

    def close(self) -> None:
        return None

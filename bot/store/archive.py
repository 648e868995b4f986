"""The audit archive: every raw message as received, written once, readable only by us.

Files are 0600 in 0700 folders (they hold homeless clients' organizations' signed
agreements), named by content hash so that the same message is stored once.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path


def archive_raw(root: Path, sha256: str, data: bytes, now: datetime) -> Path:
    folder = root / f"{now:%Y}" / f"{now:%m}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for parent in (root, root / f"{now:%Y}", folder):
        os.chmod(parent, 0o700)
    path = folder / f"{sha256}.eml"
    if path.exists():
        return path
    tmp = folder / f".{sha256}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return path

"""`hmisbot` as staff run it: a separate process, its output captured, or its stderr on a terminal.

On a terminal (a pseudo-terminal here) rich draws progress bars on stderr; anywhere
else the progress is a count in the log. ``on_a_terminal`` returns what was drawn.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def _argv(config: Path, args: tuple[str, ...], now: str | None) -> list[str]:
    return [sys.executable, "-m", "bot", "--config", str(config), *(("--now", now) if now else ()), *args]


def hmisbot(config: Path, *args: str, now: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m bot --config CONFIG [--now NOW] ARGS`; stdout and stderr captured as text."""
    return subprocess.run(_argv(config, args, now), capture_output=True, text=True, timeout=timeout)


def on_a_terminal(config: Path, *args: str, now: str | None = None, timeout: float = 300) -> tuple[int, str, str]:
    """The same with stderr on a 100-column xterm: (exit code, stdout, what stderr drew)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(_argv(config, args, now), stdout=subprocess.PIPE, stderr=follower,
                            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"})
    os.close(follower)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), _read_all(leader)


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO once the other side has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")

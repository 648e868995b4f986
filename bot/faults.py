"""Failpoints: named places where a test may kill the process, to prove crash safety.

``checkpoint("after_commit")`` does nothing unless the environment variable
``HMISBOT_CRASH_AT`` names that point (optionally ``name:N`` for the N-th time it is
reached in this process), in which case the process dies at once with SIGKILL, as a
power cut or the OOM killer would end it. Production never sets the variable; the
cost of an unset point is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def checkpoint(name: str) -> None:
    spec = os.environ.get("HMISBOT_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)

"""Waiting for something a separate process or thread does."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def wait_for(what: str, check: Callable[[], bool], timeout: float, logs: Callable[[], str] = lambda: "", *,
             every: float = 0.2) -> float:
    """Seconds until check() holds (asked every ``every`` s); fail with the end of ``logs()`` after timeout."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{what}: not within {timeout} s\n{logs()[-6000:]}")
        time.sleep(every)
    return time.monotonic() - t0

"""Time spent per pipeline stage, for the benchmarks (fetch, parse, extract, ocr, decide, commit, send).

``stage("parse")`` accumulates wall time per stage in this process; with
``HMISBOT_METRICS=/path.json`` set, the totals are written there at exit, so a
benchmark can read what `hmisbot poll --once` spent where. Cheap enough to leave on.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_totals: dict[str, float] = {}
_counts: dict[str, int] = {}
_lock = threading.Lock()


def add(name: str, seconds: float) -> None:
    with _lock:
        _totals[name] = _totals.get(name, 0.0) + seconds
        _counts[name] = _counts.get(name, 0) + 1


@contextmanager
def stage(name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        add(name, time.perf_counter() - start)


def timed_iter(name: str, items: Iterator[T]) -> Iterator[T]:
    """Time spent producing each item of a lazy iterator (e.g. IMAP FETCH batches)."""
    while True:
        start = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            add(name, time.perf_counter() - start)
        yield item


def snapshot() -> dict[str, dict[str, float]]:
    with _lock:
        return {k: {"seconds": round(v, 4), "count": _counts[k]} for k, v in _totals.items()}


@atexit.register
def _dump() -> None:
    path = os.environ.get("HMISBOT_METRICS")
    if path and _totals:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(snapshot(), fh, indent=1)

"""Time spent per pipeline stage, for the benchmarks (fetch, parse, extract, ocr, decide, commit, send).

``stage("parse")`` accumulates wall time per stage in this process; with
``HMISBOT_METRICS=/path.json`` set, the totals are written there at exit, so a
benchmark can read what `hmisbot poll --once` spent where. Cheap enough to leave on.

The same file is also rewritten at most every ``PUBLISH_EVERY`` seconds while the
process runs: ``hmisbot web`` serves Prometheus' ``/metrics`` from another process
than the poller that does the OCR, and reads these totals from the file (``load``).
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
PUBLISH_EVERY = 15.0  # seconds between rewrites of $HMISBOT_METRICS; a scrape every 15-60 s sees fresh totals
_published = [0.0]


def add(name: str, seconds: float) -> None:
    with _lock:
        _totals[name] = _totals.get(name, 0.0) + seconds
        _counts[name] = _counts.get(name, 0) + 1
        due = time.monotonic() - _published[0] >= PUBLISH_EVERY
        if due:
            _published[0] = time.monotonic()
    if due:
        _publish()


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


def _publish() -> None:
    """Write the totals to $HMISBOT_METRICS (atomically: a scrape never reads half a file); never raises."""
    path = os.environ.get("HMISBOT_METRICS")
    if not path or not _totals:
        return
    try:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(snapshot(), fh, indent=1)
        os.replace(tmp, path)
    except OSError:  # metrics must never stop the pipeline
        pass


def load(path: str | None) -> dict[str, dict[str, float]]:
    """Totals published by another process at ``path``, or this process's own when there is none."""
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            return {str(k): {"seconds": float(v["seconds"]), "count": float(v["count"])} for k, v in data.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    return snapshot()


atexit.register(_publish)

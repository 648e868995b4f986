"""Progress of long work (``poll --backfill``, ``import-orgs``): a bar on a terminal, a count in the log otherwise.

Owns how progress is shown, not the work: a caller asks ``Bars`` for a ``Bar`` and
advances it. When stderr is a terminal the bars are drawn there with ``rich`` (stdout
stays clean for the command's own output); otherwise, under systemd, cron or a pipe,
each bar logs ``<label>: <done>/<total>`` at INFO every tenth of the way and at the end.

``counting`` wraps a mailbox adapter so that a poll's bar advances as messages are
settled, without the drain (``bot.workflow.poll``) knowing about progress at all.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from bot.mailboxes.base import Listing, Mailbox, Outcome, RawMessage

log = logging.getLogger(__name__)


def on_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


class Bar:
    """One piece of work of ``total`` steps; the total may grow (mail arriving during a drain)."""

    def __init__(self, label: str, total: int, bars: Bars) -> None:
        self.label, self.total, self.done = label, total, 0
        self._bars = bars
        self._task = bars.rich.add_task(label, total=total) if bars.rich is not None else None
        self._logged_tenth = 0

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        self._show()

    def grow(self, steps: int) -> None:
        if steps:
            self.total += steps
            self._show()

    def _show(self) -> None:
        if self._task is not None and self._bars.rich is not None:
            self._bars.rich.update(self._task, completed=self.done, total=self.total)
            return
        # Without a terminal: a line each tenth of the way, so a 3,000-row import logs ten lines, not 3,000.
        tenth = self.done * 10 // self.total if self.total else 0
        if tenth > self._logged_tenth and self.done < self.total:
            self._logged_tenth = tenth
            log.info("%s: %d/%d", self.label, self.done, self.total)

    def finish(self) -> None:
        if self._task is None:
            log.info("%s: %d/%d done", self.label, self.done, self.total)


class Bars:
    """A context in which bars are shown; on a terminal they are drawn together until it ends."""

    def __init__(self, terminal: bool | None = None) -> None:
        self.rich: Any = None
        if on_terminal() if terminal is None else terminal:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.rich = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(stderr=True))
        self._bars: list[Bar] = []

    def add(self, label: str, total: int = 0) -> Bar:
        bar = Bar(label, total, self)
        self._bars.append(bar)
        return bar

    def __enter__(self) -> Bars:
        if self.rich is not None:
            self.rich.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.rich is not None:
            self.rich.stop()
        for bar in self._bars:
            bar.finish()


class _Counted:
    """A mailbox adapter that advances a bar for every message settled (decided, committed, moved).

    The total is every key listed so far: the first listing, then what arrives during the
    drain. Settling, not fetching, is counted: the drain fetches up to eight messages ahead
    of its commits, and a bar that ran ahead of the work would end full seconds early. A
    message that fails (and stays for the next poll) is not counted: the bar ends short.
    """

    def __init__(self, box: Mailbox, bar: Bar) -> None:
        self._box, self._bar = box, bar
        self.name, self.address = box.name, box.address
        self._known: set[str] = set()

    def list_pending(self, *args: Any, **kwargs: Any) -> Listing:
        listing: Listing = self._box.list_pending(*args, **kwargs)
        fresh = [k for k in listing.keys if k not in self._known]
        self._known.update(fresh)
        self._bar.grow(len(fresh))
        return listing

    def fetch(self, keys: Sequence[str]) -> Iterator[RawMessage]:
        return self._box.fetch(keys)

    def settle(self, msg: RawMessage, outcome: Outcome) -> None:
        self._box.settle(msg, outcome)
        self._bar.advance()

    def wait(self, timeout: float) -> bool:
        return self._box.wait(timeout)

    def close(self) -> None:
        self._box.close()

    def __getattr__(self, name: str) -> Any:  # anything adapter-specific goes to the adapter
        return getattr(self._box, name)


def counting(bar: Bar) -> Any:
    """A wrapper for ``App.wrap_mailbox``: each message the mailbox settles advances ``bar``."""

    def wrap(box: Mailbox) -> Mailbox:
        return _Counted(box, bar)

    return wrap

"""Move the machine's clock for every Python process of a test run (issue 12).

``HMISBOT_TEST_MOVED_CLOCK=+400d`` (or ``-30d``, ``+3000d``, ``+12h``) with this folder on
PYTHONPATH makes ``time.time``, ``datetime.now``, ``date.today`` and the rest of what
Python reads of the wall clock run that far from the real time, ticking, in pytest and in
every ``python -m bot`` it starts. The monotonic clock is left alone, so timeouts still
work. Code that mixes the machine's clock with ``--now`` (or with file times, which the
kernel still writes in real time) then fails the suite, as it would on a later date.

Why not Debian's libfaketime: under it, Python's timed waits (``threading.Event.wait``,
``Timer``; ``pthread_cond_timedwait``) never return, and ``FAKETIME_DONT_FAKE_MONOTONIC``
makes ``time.sleep`` fail with EINVAL (libfaketime 0.9.10, seen on this machine).
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta


def _offset(spec: str) -> timedelta:
    match = re.fullmatch(r"([+-])(\d+)([dhm])", spec.strip())
    if not match:
        raise SystemExit(f"HMISBOT_TEST_MOVED_CLOCK={spec!r}: use +400d, -30d, +12h or +90m")
    sign, amount, unit = match.groups()
    delta = {"d": timedelta(days=int(amount)), "h": timedelta(hours=int(amount)),
             "m": timedelta(minutes=int(amount))}[unit]
    return delta if sign == "+" else -delta


_spec = os.environ.get("HMISBOT_TEST_MOVED_CLOCK")
if _spec:
    import time_machine

    _traveller = time_machine.travel(datetime.now().astimezone() + _offset(_spec), tick=True)
    _traveller.start()
    if os.environ.get("HMISBOT_TEST_MOVED_CLOCK_SAY"):
        print(f"moved clock: {datetime.now().astimezone().isoformat()}", file=sys.stderr)

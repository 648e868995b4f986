"""Exponential backoff with jitter for callers that retry a failing mailbox or sender.

Adapters raise at once and reconnect on their next call; how long to wait before
that next call is the caller's choice, and this is the one helper for it. It is
pure apart from the injectable random source, so it is tested without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of initial, initial*factor, ... capped at maximum, each with +-jitter spread.

    Jitter keeps the three pollers (and several bot processes) from retrying a
    recovering server in lock-step.
    """

    initial: float = 1.0
    maximum: float = 300.0
    factor: float = 2.0
    jitter: float = 0.1  # fraction of the delay, each side
    rand: Callable[[], float] = field(default=random.random, repr=False)
    attempts: int = 0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("Backoff needs 0 < initial <= maximum, factor >= 1 and 0 <= jitter < 1")

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; each call counts one failure."""
        # The exponent is capped so that a long outage cannot overflow the float.
        base = min(self.maximum, self.initial * self.factor ** min(self.attempts, 64))
        self.attempts += 1
        spread = base * self.jitter * (2 * self.rand() - 1)
        return max(0.0, min(self.maximum, base + spread))

    def reset(self) -> None:
        """Call after a success: the next failure starts again from `initial`."""
        self.attempts = 0

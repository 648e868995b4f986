"""Login throttling: per account, decided atomically, a growing delay rather than a lock-out.

Each account (the address typed, known or not, so the answer tells nothing) may
have one password check in flight at a time; after ``free`` failures each further
try must wait 1, 2, 4 ... seconds, up to ``ceiling``, after the last failure. The
check and the reservation happen under one lock, so a hundred parallel tries cost
one scrypt, not a hundred, and a guesser gets no more tries by racing. Nobody is
locked out: the real user waits at most ``ceiling`` seconds however many wrong
guesses anyone made. The state is in memory (the site is one process) and bounded.

Password hashing is bounded too: scrypt takes ~32 MiB, so at most ``HASH_SLOTS``
run at once and a try that finds them all taken is refused at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HASH_SLOTS = 4  # ~128 MiB of scrypt at most, whatever the burst
HASH_WAIT_S = 0.25  # two staff logging in together still both get in


@dataclass
class _Account:
    failures: int = 0
    last: float = 0.0
    busy: bool = False


@dataclass
class LoginThrottle:
    free: int = 3  # failures before any delay (typos)
    base: float = 1.0
    ceiling: float = 60.0
    forget: float = 900.0  # failures are forgotten this long after the last one
    cap: int = 10_000  # accounts remembered at most
    clock: Callable[[], float] = time.monotonic
    _accounts: dict[str, _Account] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def delay(self, failures: int) -> float:
        return 0.0 if failures < self.free else min(self.ceiling, self.base * 2.0 ** (failures - self.free))

    def begin(self, account: str) -> float:
        """0 when this try may check the password (the account is then reserved until ``end``);
        otherwise the seconds to wait."""
        now = self.clock()
        with self._lock:
            entry = self._accounts.get(account)
            if entry is None:
                self._make_room(now)
                entry = self._accounts[account] = _Account()
            elif not entry.busy and now - entry.last > self.forget:
                entry.failures = 0
            if entry.busy:
                return max(1.0, self.delay(entry.failures))
            wait = entry.last + self.delay(entry.failures) - now
            if wait > 0:
                return wait
            entry.busy = True
            return 0.0

    def end(self, account: str, ok: bool | None) -> None:
        """Release the account: ``ok`` True forgets its failures, False adds one, None (nothing was
        checked) neither."""
        with self._lock:
            entry = self._accounts.get(account)
            if entry is None:
                return
            if ok is None:
                entry.busy = False
            elif ok:
                del self._accounts[account]
            else:
                entry.busy, entry.failures, entry.last = False, entry.failures + 1, self.clock()

    def _make_room(self, now: float) -> None:
        if len(self._accounts) < self.cap:
            return
        for key in [k for k, a in self._accounts.items() if not a.busy and now - a.last > self.forget]:
            del self._accounts[key]
        if len(self._accounts) >= self.cap:
            # Forget the account with the least to remember: a flood of new addresses cannot
            # wipe out the delay that many failures earned.
            idle = [(a.failures, a.last, k) for k, a in self._accounts.items() if not a.busy]
            if idle:
                del self._accounts[min(idle)[2]]


class Busy(Exception):
    """Every hashing slot is taken: the try is refused without checking the password."""


@dataclass
class HashSlots:
    slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(HASH_SLOTS))

    def __enter__(self) -> None:
        if not self.slots.acquire(timeout=HASH_WAIT_S):
            raise Busy

    def __exit__(self, *exc: object) -> None:
        self.slots.release()

"""Backoff: growth, cap, jitter bounds and reset, without sleeping."""

from __future__ import annotations

import pytest

from bot.mailboxes.backoff import Backoff


def test_grows_exponentially_and_caps_without_jitter() -> None:
    b = Backoff(initial=1, maximum=10, factor=2, jitter=0)
    assert [b.next_delay() for _ in range(6)] == [1, 2, 4, 8, 10, 10]


def test_jitter_stays_within_bounds_and_reset_starts_over() -> None:
    low, high = Backoff(initial=4, jitter=0.25, rand=lambda: 0.0), Backoff(initial=4, jitter=0.25, rand=lambda: 1.0)
    assert (low.next_delay(), high.next_delay()) == (3.0, 5.0)
    low.next_delay()
    low.reset()
    assert low.next_delay() == 3.0


def test_long_outage_does_not_overflow() -> None:
    b = Backoff(initial=1, maximum=300, jitter=0)
    for _ in range(5000):
        delay = b.next_delay()
    assert delay == 300


@pytest.mark.parametrize("kw", [{"initial": 0}, {"maximum": 0.5}, {"factor": 0.5}, {"jitter": 1.0}])
def test_rejects_nonsense(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kw)  # type: ignore[arg-type]

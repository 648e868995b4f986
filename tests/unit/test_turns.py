"""bot.scheduler._Turns: one job at a time, and a long drain lets waiting jobs go first."""

from __future__ import annotations

import threading
import time

from bot.scheduler import _Turns


def test_pass_turn_lets_every_waiting_job_run_first() -> None:
    turns = _Turns()
    log: list[str] = []
    holding, others_waiting = threading.Event(), threading.Event()

    def drain() -> None:
        with turns.hold():
            log.append("drain: slice 1")
            holding.set()
            others_waiting.wait(5)
            turns.pass_turn()
            log.append("drain: slice 2")

    def other(name: str) -> None:
        with turns.hold():
            log.append(name)

    t = threading.Thread(target=drain)
    t.start()
    assert holding.wait(5)
    waiters = [threading.Thread(target=other, args=(n,)) for n in ("join poll", "reminders")]
    for w in waiters:
        w.start()
    while turns._waiting < 2:  # both blocked on the turn
        threading.Event().wait(0.01)
    others_waiting.set()
    t.join(5)
    for w in waiters:
        w.join(5)
    assert log[0] == "drain: slice 1" and log[-1] == "drain: slice 2"
    assert sorted(log[1:3]) == ["join poll", "reminders"]


def test_pass_turn_without_waiters_keeps_the_turn() -> None:
    turns = _Turns()
    with turns.hold():
        turns.pass_turn()  # nobody waits: returns at once, still holding
        assert turns._busy


def test_jobs_never_overlap() -> None:
    """Whoever holds the turn works alone: between taking it (or getting it back from
    pass_turn) and handing it on, no other job's work runs."""
    turns = _Turns()
    inside, overlaps, passes = [0], [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with lock:
            inside[0] += 1
            overlaps[0] += inside[0] > 1
        time.sleep(0.0005)  # let the other threads run and queue up for the turn
        with lock:
            inside[0] -= 1

    def job() -> None:
        for _ in range(50):
            with turns.hold():
                work()
                with lock:
                    passes[0] += turns._waiting > 0
                turns.pass_turn()
                work()

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert passes[0] > 0  # the turn really was handed over while others waited
    assert overlaps[0] == 0


def test_drains_take_turns_slice_by_slice() -> None:
    """Three mailboxes draining at once: each slice's pass_turn goes to the drain that has
    waited longest, the passer included. Before, a job waiting inside pass_turn did not
    count as waiting, so the third drain to get the turn kept it to the end of its
    backlog, and new mail in the other two mailboxes waited that long (bench/latency.py:
    52-60 s)."""
    turns = _Turns()
    log: list[str] = []
    first_holds, all_queued = threading.Event(), threading.Event()

    def drain(name: str) -> None:
        with turns.hold():
            if name == "training":
                first_holds.set()
                all_queued.wait(5)
            for _ in range(4):
                log.append(name)
                turns.pass_turn()

    threads = [threading.Thread(target=drain, args=("training",))]
    threads[0].start()
    assert first_holds.wait(5)
    for name in ("support", "join"):
        threads.append(threading.Thread(target=drain, args=(name,)))
        threads[-1].start()
        while turns._waiting < len(threads) - 1:  # queued in this order
            time.sleep(0.005)
    all_queued.set()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    assert log == ["training", "support", "join"] * 4, log


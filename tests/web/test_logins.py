"""Guessing passwords: the limit holds under concurrency, costs bounded memory, locks nobody out.

Issue 14, row 4: a hundred parallel logins for one account must not each get a
password check; a burst for many accounts must not run more than a few scrypt
hashes (32 MiB each) at once; and however many wrong guesses anyone makes, the
real user gets in after a bounded wait. Every check, right or wrong, is audited.
The requests run concurrently on one event loop through httpx's ASGI transport,
so the server's own thread pool does the hashing, as under uvicorn.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from bot.web import auth
from bot.web.throttle import HASH_SLOTS, LoginThrottle
from tests.web.conftest import EMAIL, PASSWORD, Site, client_for, csrf_of

pytestmark = pytest.mark.slow  # builds the demo once per session


class Checks:
    """Counts password checks and the most that ran at once (each takes 50 ms, like real scrypt)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = self.running = self.most = 0
        self._lock = threading.Lock()
        real = auth.verify_password

        def counted(password: str, stored: str) -> bool:
            with self._lock:
                self.count, self.running = self.count + 1, self.running + 1
                self.most = max(self.most, self.running)
            time.sleep(0.05)
            try:
                return real(password, stored)
            finally:
                with self._lock:
                    self.running -= 1

        monkeypatch.setattr(auth, "verify_password", counted)


async def _burst(app: Any, tries: list[tuple[str, str]]) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        token = csrf_of((await http.get("/login")).text)
        answers = await asyncio.gather(*(http.post("/login", data={"csrf": token, "email": e, "password": p})
                                         for e, p in tries))
    return [r.status_code for r in answers]


def test_a_hundred_parallel_logins_for_one_account_get_few_checks(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = Checks(monkeypatch)
    tries = [(EMAIL, f"guess {i}") for i in range(99)] + [(EMAIL, PASSWORD)]
    random.Random(14).shuffle(tries)
    codes = asyncio.run(_burst(client_for(site.bot).app, tries))
    throttle = LoginThrottle()
    assert checks.count <= throttle.free + 1 and checks.most == 1  # one check at a time for an account
    assert codes.count(429) >= 100 - checks.count and 500 not in codes


def test_a_burst_for_many_accounts_hashes_a_bounded_number_at_once(site: Site,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    checks = Checks(monkeypatch)
    codes = asyncio.run(_burst(client_for(site.bot).app, [(f"user{i}@example.org", "x") for i in range(60)]))
    assert checks.most <= HASH_SLOTS  # scrypt memory is bounded whatever the burst
    assert set(codes) <= {401, 503} and codes.count(401) == checks.count


def test_wrong_guesses_delay_the_account_but_never_lock_the_real_user_out(client: TestClient) -> None:
    clock = [1000.0]
    client.app.state.web.gate.throttle.clock = lambda: clock[0]  # type: ignore[attr-defined]

    def attempt(password: str) -> Any:
        token = csrf_of(client.get("/login").text)
        return client.post("/login", data={"csrf": token, "email": EMAIL, "password": password})

    waits = []
    for i in range(12):  # an attacker guessing as fast as the site lets them
        r = attempt(f"guess {i}")
        if r.status_code == 429:  # told how long to wait: after that long, the guess is checked
            waits.append(int(r.text.split("wait ")[1].split(" ")[0]))
            clock[0] += waits[-1]
            r = attempt(f"guess {i}")
        assert r.status_code == 401, r.text
    assert waits == sorted(waits) and waits[0] == 1 and max(waits) == 60  # growing, then capped
    r = attempt(PASSWORD)  # the real user, right after the attacker's last guess: asked to wait, not refused
    assert r.status_code == 429 and "wait 60 seconds" in r.text
    clock[0] += 60
    assert attempt(PASSWORD).status_code == 303 and client.get("/").status_code == 200


def test_every_login_and_logout_is_audited(site: Site, client: TestClient) -> None:
    for email, password in ((EMAIL, "wrong"), ("nobody@lahsa.org", PASSWORD), (EMAIL, PASSWORD)):
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"csrf": token, "email": email, "password": password})
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    rows = site.sql("SELECT action, actor, detail FROM audit_event WHERE action LIKE 'log%' ORDER BY id")
    assert [(a, who) for a, who, _ in rows] == [("login_failed", EMAIL), ("login_failed", "nobody@lahsa.org"),
                                                ("login", EMAIL), ("logout", EMAIL)]
    assert all('"client": "testclient"' in str(detail) for *_, detail in rows)

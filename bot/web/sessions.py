"""Server-side sessions: the cookie is a random key, what it stands for lives here.

A signed cookie cannot be taken back: a copy kept from before logout would work
until it expires, and re-issuing it on every response made it live for ever. Here
the cookie only names a record in this process's memory (the site runs as one
process), so logout deletes the record, and a record unused for ``web.session_idle``
(30 minutes) or older than ``web.session_max`` (8 hours after login) is gone too. A
restart logs everyone out. The cookie is set once, when a record is made (first
visit, and again at login so that a key known before login is worthless after it:
session fixation), never refreshed, HttpOnly, SameSite=Strict, and Secure whenever
the site is reached over https.

The store is bounded: a visitor who is not logged in still gets a record (the login
form's CSRF token), so a flood of first visits evicts the oldest anonymous records,
never a logged-in one.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.proxy import Proxies

COOKIE = "hmisbot_session"
MAX_RECORDS = 10_000  # a few MB at most; LAHSA has tens of staff


@dataclass
class Record:
    data: dict[str, Any]
    created: float
    seen: float


@dataclass
class SessionStore:
    """Session records by the hash of their key (a memory dump holds no usable cookie)."""

    idle: float = 1800.0
    lifetime: float = 8 * 3600.0
    clock: Callable[[], float] = time.monotonic  # tests move it to expire sessions
    cap: int = MAX_RECORDS
    _records: OrderedDict[str, Record] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def _id(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def load(self, key: str) -> dict[str, Any] | None:
        """A copy of the session's data; None when there is no such session or it has expired."""
        now = self.clock()
        with self._lock:
            record = self._records.get(self._id(key))
            if record is None:
                return None
            if now - record.seen > self.idle or now - record.created > self.lifetime:
                del self._records[self._id(key)]
                return None
            record.seen = now
            self._records.move_to_end(self._id(key))
            return dict(record.data)

    def save(self, key: str, data: dict[str, Any]) -> None:
        with self._lock:
            record = self._records.get(self._id(key))
            if record is not None:
                record.data = dict(data)

    def create(self, data: dict[str, Any]) -> str:
        """A new session holding ``data``; returns the key for the cookie."""
        key, now = secrets.token_urlsafe(32), self.clock()
        with self._lock:
            self._make_room(now)
            self._records[self._id(key)] = Record(dict(data), now, now)
        return key

    def drop(self, key: str) -> None:
        with self._lock:
            self._records.pop(self._id(key), None)

    def __len__(self) -> int:
        return len(self._records)

    def _make_room(self, now: float) -> None:
        if len(self._records) < self.cap:
            return
        for rid, rec in list(self._records.items()):  # expired ones first
            if now - rec.seen > self.idle or now - rec.created > self.lifetime:
                del self._records[rid]
        # Then the least recently used anonymous ones: a flood of visitors never logs staff out.
        while len(self._records) >= self.cap:
            anonymous = next((r for r, rec in self._records.items() if "staff" not in rec.data), None)
            del self._records[anonymous if anonymous is not None else next(iter(self._records))]


class ServerSessions:
    """ASGI middleware: ``request.session`` backed by a ``SessionStore``."""

    def __init__(self, app: ASGIApp, store: SessionStore, proxies: Proxies) -> None:
        self.app, self.store, self.proxies = app, store, proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = _cookie(scope)
        before = self.store.load(key) if key else None
        session: dict[str, Any] = dict(before) if before is not None else {}
        scope["session"] = session

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._settle(scope, message, key if before is not None else None, before or {}, session)
            await send(message)

        await self.app(scope, receive, wrapped)

    def _settle(self, scope: Scope, message: Message, key: str | None, before: dict[str, Any],
                after: dict[str, Any]) -> None:
        """Write the session back; a new cookie only when a record is made or ended."""
        headers = MutableHeaders(scope=message)
        if key is not None and (not after or after.get("staff") != before.get("staff")):
            self.store.drop(key)  # logout, or a login: the old key ends here
            key = None
            if not after:
                headers.append("set-cookie", self._cookie("", scope, expire=True))
        if key is not None:
            self.store.save(key, after)
        elif after:
            headers.append("set-cookie", self._cookie(self.store.create(after), scope))

    def _cookie(self, value: str, scope: Scope, expire: bool = False) -> str:
        # No Max-Age: the browser forgets it when closed; the server decides when it has expired.
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
        if expire:
            parts.append("Max-Age=0")
        if self.proxies.is_https(scope):
            parts.append("Secure")
        return "; ".join(parts)


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(COOKIE)  # lenient: a bad header is no session
            if found:
                return found
    return None

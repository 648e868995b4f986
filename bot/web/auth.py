"""Who may use the staff site: LAHSA staff named in the config, and nobody else.

Passwords are hashed with the standard library's scrypt (memory-hard, no extra
dependency) and stored in the config as ``scrypt$N$r$p$salt$hash`` (base64); make
one with ``python -m bot.web.auth`` (it asks twice and prints the line to paste).
Sessions are kept by the server (``bot.web.sessions``) and hold only the staff
address, a CSRF token and the login time. A reverse proxy that has already
authenticated the user may name them in a header (``web.trusted_header``); it counts
only on connections from ``web.trusted_proxies`` and only for staff in ``web.users``,
because anyone who can reach the port directly could send the header too. Logins
are throttled per account (``bot.web.throttle``).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from bot.config import WebConfig, WebUser
from bot.web.proxy import Proxies
from bot.web.throttle import HashSlots, LoginThrottle

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # ~32 MiB and ~50 ms per guess
_MAX_NR, _MAX_P = 2**21, 16  # a hash edited to absurd costs (memory 128*N*r) must not hang a login
_DUMMY = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * n * r + (1 << 20))


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, r, p)
    return f"scrypt${n}${r}${p}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches; False for a wrong one or a malformed hash (never raises)."""
    try:
        scheme, n_s, r_s, p_s, salt_s, digest_s = stored.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt, digest = base64.b64decode(salt_s), base64.b64decode(digest_s)
    except ValueError:
        return False
    if scheme != "scrypt" or not (n > 1 and r > 0 and n * r <= _MAX_NR and 0 < p <= _MAX_P) or n & (n - 1):
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)


DUTIES = ("implementation", "training", "access")


@dataclass(frozen=True)
class Staff:
    """The person behind a request; ``email`` is what the audit log records as the actor.

    ``duties`` are the parts of LAHSA's procedure they do (``web.users[].duties``); an
    administrator may do all of them.
    """

    name: str
    email: str
    duties: frozenset[str] = frozenset()
    admin: bool = False

    @classmethod
    def of(cls, user: WebUser) -> Staff:
        return cls(user.name, str(user.email).lower(), frozenset(user.duties), user.is_admin)

    def may(self, duty: str | None) -> bool:
        """May act for ``duty``; ``None`` means any duty (e.g. settling a review item)."""
        return self.admin or (bool(self.duties) if duty is None else duty in self.duties)


class Gate:
    """Decides who a request comes from: the server-side session, or the trusted proxy's header."""

    def __init__(self, config: WebConfig) -> None:
        self.users: dict[str, WebUser] = {str(u.email).lower(): u for u in config.users}
        self.header = config.trusted_header
        self.proxies = Proxies(config.trusted_proxies)
        self.throttle = LoginThrottle()
        self.hashing = HashSlots()

    def login(self, email: str, password: str) -> Staff | None:
        """The staff member, or None for a wrong address or password; raises ``Busy`` when saturated."""
        user = self.users.get(email.strip().lower())
        with self.hashing:
            # Hash even for an unknown address, so the answer's timing does not tell which addresses exist.
            ok = verify_password(password, user.password_hash if user else _DUMMY)
        return Staff.of(user) if user and ok else None

    def who(self, request: Request) -> Staff | None:
        if self.header:
            # Only from the proxy, and only for listed staff: with no web.users nobody gets in this way.
            value = (self.proxies.header(request.scope, self.header) or "").strip().lower()
            if value:
                found = self.users.get(value)
                return Staff.of(found) if found else None
        email = request.session.get("staff")
        user = self.users.get(email) if isinstance(email, str) else None
        # A user removed from the config is out at once, whatever their session says.
        return Staff.of(user) if user else None


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use; every POST form carries it back."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: Mapping[str, Any], form: Mapping[str, Any]) -> bool:
    expected, given = session.get("csrf"), form.get("csrf")
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(expected, given)


def start_session(session: dict[str, Any], staff: Staff) -> None:
    """A fresh session at login (never reuse one from before: session fixation)."""
    session.clear()
    session.update(staff=staff.email, csrf=secrets.token_urlsafe(32), at=int(time.time()))


def main() -> int:
    """``python -m bot.web.auth``: prompt for a password, print its hash for mailboxes.yaml."""
    first = getpass.getpass("password: ")
    if len(first) < 12:
        print("use at least 12 characters", file=sys.stderr)
        return 2
    if getpass.getpass("again: ") != first:
        print("the two passwords differ", file=sys.stderr)
        return 2
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

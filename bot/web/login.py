"""Logging in and out: the throttle, the bounded password check, and the audit of both.

Every password check, right or wrong, is an audit event (``login`` /
``login_failed``), as is every logout; a try refused by the throttle or for want
of a hashing slot is only logged, since it checked nothing. A failed login's
actor is the address that was typed: a claim, not a person, which is why the
action says so.
"""

from __future__ import annotations

import logging
import math

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store import repo
from bot.store.db import transaction
from bot.web.auth import Staff, start_session
from bot.web.http import Web, field_text, page, read_form, staff, staff_only, web
from bot.web.throttle import Busy
from bot.web.views import safe_next

log = logging.getLogger(__name__)


def _audit(w: Web, action: str, actor: str, client: str) -> None:
    with transaction(w.bot.engine) as session:
        repo.audit(session, w.bot.clock.utcnow(), action, actor=actor, detail={"client": client})


def _check(w: Web, email: str, password: str, client: str) -> Staff | None:
    """The password check and its audit event, in a worker thread (scrypt takes ~50 ms)."""
    verdict: bool | None = None  # Busy: nothing was checked, so it is no failure either
    try:
        who = w.gate.login(email, password)
        verdict = who is not None
    finally:
        w.gate.throttle.end(email, verdict)  # the reservation must not outlive the try
    _audit(w, "login" if who else "login_failed", email, client)
    return who


async def login(request: Request) -> Response:
    w = web(request)
    data = await read_form(request)  # the login form carries a CSRF token too (login CSRF)
    if isinstance(data, Response):
        return data
    email, password = field_text(data, "email", 254).lower(), str(data.get("password", ""))[:1024]
    target, client = safe_next(field_text(data, "next")), request.client.host if request.client else ""
    wait = w.gate.throttle.begin(email)
    if wait:
        log.warning("login for %s from %s refused: throttled for %.0f s", email, client, wait)
        return page(request, "login", 429, next=target, email=email,
                    error=f"Too many failed attempts: wait {math.ceil(wait)} seconds and try again.")
    try:
        who = await run_in_threadpool(_check, w, email, password, client)
    except Busy:
        log.warning("login for %s from %s refused: every password check slot is busy", email, client)
        return page(request, "login", 503, next=target, email=email,
                    error="The site is busy: try again in a moment.")
    if who is None:
        return page(request, "login", 401, next=target, email=email, error="Wrong email or password.")
    start_session(request.session, who)
    return RedirectResponse(target, 303)


@staff_only
async def logout(request: Request) -> Response:
    w, who = web(request), staff(request)
    await run_in_threadpool(_audit, w, "logout", who.email, request.client.host if request.client else "")
    request.session.clear()  # the server forgets the session: a copy of the cookie is worthless now
    return RedirectResponse("/login", 303)


ROUTES = [
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]

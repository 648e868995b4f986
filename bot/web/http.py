"""What every page and form shares: the site's context, the staff guard, rendering.

``staff_only`` wraps every handler but the login page: a request from nobody the
gate knows is sent to the login page (GET) or refused (POST), and every POST must
carry the session's CSRF token (checked here, once, for every form of the site).
Pages are rendered with the project's one Jinja2 environment (``App.env``, made by
``bot.outbox.render.make_env``): its ``.html.j2`` templates are autoescaped and
StrictUndefined, exactly like the mails, so there is no second set of settings.
Every page is then cleared of bidirectional and control characters (shown as
``[U+202E]``): a file named ``report\u202efdp.exe`` must not read "reportexe.pdf".
Ids in paths are read by ``path_id``: anything but a database-sized number is
``BadId`` (404 for a page, 400 for a form), never an overflow deep in the driver.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.app import App
from bot.web import labels
from bot.web.auth import Gate, Staff, csrf_ok, csrf_token
from bot.web.board import Rules
from bot.web.bodies import Bodies
from bot.web.preview import Previews
from bot.web.sessions import SessionStore

log = logging.getLogger(__name__)
Handler = Callable[[Request], Awaitable[Response]]
MAX_FORM_BYTES = 64 * 1024  # every form of the site is a few fields; refuse anything bigger unread
_MAX_ID_DIGITS = 18  # below 2**63: every database's integer key
# C0 and C1 controls (but tab and newlines), DEL, the bidi marks, embeddings, overrides and
# isolates, and the line/paragraph separators: none belongs in a name, subject or file name.
_HIDDEN = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
           *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029]
_SHOWN = {c: f"[U+{c:04X}]" for c in _HIDDEN}


class BadId(LookupError):
    """A path's id is not a number the database could hold."""


def as_id(value: str, what: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= _MAX_ID_DIGITS):
        raise BadId(f"no such {what}: {value[:40]!r}")
    return int(value)


def path_id(request: Request, name: str) -> int:
    return as_id(str(request.path_params[name]), name.removesuffix("_id"))


def visible(text: str) -> str:
    """``text`` with every invisible or reordering character written out as [U+XXXX]."""
    return text.translate(_SHOWN)


@dataclass
class Web:
    """Built once per server by ``bot.web.app.create_app``."""

    bot: App
    gate: Gate
    previews: Previews
    sessions: SessionStore
    bodies: Bodies
    # One flush at a time from this process: a sender (an SMTP connection) is not shared between threads.
    flush_lock: threading.Lock = field(default_factory=threading.Lock)

    def rules(self) -> Rules:
        return rules_for(self.bot)

    def flush(self) -> None:
        """Send what the outbox holds now (after an action queued a mail); never raises."""
        from bot.service import flush_outbox

        try:
            with self.flush_lock:
                flush_outbox(self.bot)
        except Exception:  # the mail stays pending: the service's next flush sends it
            log.exception("outbox flush after a staff action failed; the mail stays in the outbox")


def rules_for(bot: App) -> Rules:
    """What is overdue today: the config's escalation settings, so the board agrees with the escalations."""
    s = bot.config.schedule
    return Rules(bot.clock.today(), bot.calendar, bot.clock.tz, s.escalation_after_business_days,
                 s.review_escalation_business_days)


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def staff(request: Request) -> Staff:
    who: Staff = request.state.staff
    return who


def form(request: Request) -> FormData:
    data: FormData = request.state.form
    return data


def field_text(data: Mapping[str, Any], name: str, limit: int = 2000) -> str:
    value = data.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


async def read_form(request: Request) -> FormData | Response:
    """The POSTed form, or the response that refuses it (too large, or a bad CSRF token)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return PlainTextResponse("a form needs a Content-Length", 411)
    if int(length) > MAX_FORM_BYTES:
        return PlainTextResponse("form too large", 413)
    data = await request.form(max_files=0, max_fields=20)
    if not csrf_ok(request.session, data):
        return PlainTextResponse("CSRF token missing or wrong: reload the page and try again", 403)
    return data


def staff_only(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        who = web(request).gate.who(request)
        if who is None:
            if request.method in ("GET", "HEAD"):
                return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
            return PlainTextResponse("login required", 403)
        request.state.staff = who
        if request.method == "POST":
            data = await read_form(request)
            if isinstance(data, Response):
                return data
            request.state.form = data
        return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    w = web(request)
    who: Staff | None = getattr(request.state, "staff", None)
    base = {
        "staff": who, "csrf": csrf_token(request.session), "flash": request.session.pop("flash", None),
        "now": w.bot.clock.now(), "page": name, **labels.filters(w.bot.clock.tz),
    }
    html = w.bot.env.get_template(f"web/{name}.html.j2").render(base | context)
    return HTMLResponse(visible(html), status)


def refused_duty(request: Request, duty: str | None) -> Response | None:
    """The 403 page when the staff member's duties do not cover ``duty`` (None: any duty)."""
    if staff(request).may(duty):
        return None
    needs = f"the {duty} duty" if duty else "one of LAHSA's duties"
    log.warning("refused %s for %s: not their duty", request.url.path, staff(request).email)
    return page(request, "error", 403, heading="Not your duty",
                message=f"This action needs {needs}; ask an administrator.")


def done(request: Request, to: str, message: str, error: bool = False) -> RedirectResponse:
    """After a form: remember what happened for the next page, and go there (POST/redirect/GET)."""
    who = getattr(request.state, "staff", None)
    log.info("%s %s by %s: %s", "refused" if error else "done", request.url.path, who.email if who else "?", message)
    request.session["flash"] = {"text": message, "error": error}
    return RedirectResponse(to, 303)

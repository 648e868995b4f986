"""The staff site's Starlette application and the `hmisbot web` server.

Starlette rather than FastAPI: the site is server-rendered HTML forms, so FastAPI's
JSON schema and validation layer would add weight and nothing used. Sessions are
kept by the server (``bot.web.sessions``). Every answer, errors included, carries
headers that forbid framing, sniffing, scripts and caching (pages and previews hold
personal data); the site has no JavaScript at all.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.config import ConfigError, WebConfig
from bot.web import actions, login, orgactions, views, watch
from bot.web.auth import Gate
from bot.web.bodies import Bodies
from bot.web.http import BadId, Web, page
from bot.web.preview import Previews
from bot.web.sessions import ServerSessions, SessionStore

log = logging.getLogger(__name__)
_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                                 b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the headers above to every response, and no-store unless the handler set a cache policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add)


async def not_found(request: Request, exc: Exception) -> Response:
    return page(request, "error", 404, message="There is no such page.")


async def bad_id(request: Request, exc: Exception) -> Response:
    if request.method == "POST":
        return PlainTextResponse(f"bad request: {exc}", 400)
    return page(request, "error", 404, message=str(exc))


async def server_error(request: Request, exc: Exception) -> Response:
    # Answered outside every middleware (Starlette's ServerErrorMiddleware), so the headers are set here.
    headers = {k.decode(): v.decode() for k, v in _HEADERS} | {"cache-control": "no-store"}
    return PlainTextResponse("Something went wrong; it has been logged.", 500, headers=headers)


def create_app(bot: App) -> Starlette:
    """The site for this App."""
    config = bot.config.web or WebConfig()
    gate = Gate(config)
    sessions = SessionStore(idle=config.session_idle, lifetime=config.session_max)
    app = Starlette(
        routes=[*views.ROUTES, *login.ROUTES, *actions.ROUTES, *orgactions.ROUTES, *watch.ROUTES],
        middleware=[Middleware(SecurityHeaders), Middleware(ServerSessions, store=sessions, proxies=gate.proxies)],
        exception_handlers={404: not_found, BadId: bad_id, Exception: server_error},
    )
    app.state.web = Web(bot, gate, Previews(bot.archive_dir), sessions, Bodies(bot.archive_dir))
    return app


def check_config(bot: App) -> None:
    """Refuse to serve a site nobody can log in to (exit code 2, like any bad config)."""
    web = bot.config.web
    if web is None or not web.users:
        # A trusted header names staff of web.users too: without users nobody could log in.
        raise ConfigError("web: no way to log in: add 'web: {users: [...]}' (hash: python -m bot.web.auth)")
    if web.session_secret_env:
        log.warning("web.session_secret_env is no longer used: sessions are kept by the server")


def serve(bot: App, host: str, port: int) -> int:
    import uvicorn

    check_config(bot)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: put a TLS reverse proxy in front, the site speaks plain HTTP", host)
    # proxy_headers off: the client address (used to throttle logins) is the socket's, not a header's.
    uvicorn.run(create_app(bot), host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
    return 0

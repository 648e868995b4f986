"""The staff site's Starlette application and the `hmisbot web` server.

Starlette rather than FastAPI: the site is server-rendered HTML forms, so FastAPI's
JSON schema and validation layer would add weight and nothing used. Sessions are
Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Strict, eight hours.
Every answer carries headers that forbid framing, sniffing, scripts and caching of
pages (they hold personal data); the site has no JavaScript at all.
"""

from __future__ import annotations

import logging
import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.config import ConfigError, WebConfig, secret_from_env
from bot.web import actions, views
from bot.web.auth import Gate
from bot.web.http import Web, page
from bot.web.preview import Previews

log = logging.getLogger(__name__)
SESSION_COOKIE = "hmisbot_session"
SESSION_SECONDS = 8 * 3600  # one working day; then log in again
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


def session_secret(config: WebConfig) -> str:
    """The key that signs session cookies: from the environment, or a new one per start."""
    if config.session_secret_env:
        value = secret_from_env(config.session_secret_env) or ""
        if len(value) < 32:
            raise ConfigError(f"web.session_secret_env: {config.session_secret_env} must hold at least 32 characters")
        return value
    log.warning("web.session_secret_env is not set: sessions end when the server restarts")
    return secrets.token_urlsafe(32)


def create_app(bot: App, secret: str | None = None) -> Starlette:
    """The site for this App; ``secret`` overrides the config's session key (tests)."""
    config = bot.config.web or WebConfig()
    app = Starlette(
        routes=[*views.ROUTES, *actions.ROUTES],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=secret or session_secret(config), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_SECONDS, same_site="strict"),
        ],
        exception_handlers={404: not_found},
    )
    app.state.web = Web(bot, Gate(config), Previews(bot.archive_dir))
    return app


def check_config(bot: App) -> None:
    """Refuse to serve a site nobody can log in to (exit code 2, like any bad config)."""
    web = bot.config.web
    if web is None or not (web.users or web.trusted_header):
        raise ConfigError("web: no way to log in: add 'web: {users: [...]}' (hash: python -m bot.web.auth)"
                          " or 'web: {trusted_header: ...}' behind a reverse proxy")


def serve(bot: App, host: str, port: int) -> int:
    import uvicorn

    check_config(bot)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: put a TLS reverse proxy in front, the site speaks plain HTTP", host)
    # proxy_headers off: the client address (used to throttle logins) is the socket's, not a header's.
    uvicorn.run(create_app(bot), host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
    return 0

"""The HTTP layer shared by the Microsoft Graph mailbox and sender: auth, retries, errors.

``GraphHttp`` owns what every Graph call needs and nothing about mail: the bearer
header, one token refresh on a 401, the Retry-After loop for 429/503, URL building
with percent-encoded ids, and the rule that links Graph hands back are followed only
on the base URL's own origin. ``retry_after`` and ``error_of`` read Graph's answers
for callers that map them to their own failure kinds (the sender does).

Kept apart from ``graph.py`` so the sender does not depend on the mailbox adapter,
and so each module stays small enough to read in one sitting.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from .base import MailboxError
from .oauth import OAuthError

log = logging.getLogger(__name__)

GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"  # app-only: the app's granted permissions
_RETRY_STATUSES = (429, 503)


class GraphError(MailboxError):
    """Graph answered with an error status; `status` and Graph's error `code` say which."""

    def __init__(self, message: str, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class GraphHttp:
    """Authenticated requests to one Graph base URL, shared by the mailbox and the sender.

    Owns the bearer header, the one-token-refresh on 401, the Retry-After loop and the
    rule that links Graph hands back (nextLink, deltaLink) are only followed on the
    base URL's own origin, so a token is never sent to another host.
    """

    def __init__(
        self,
        token_provider: Callable[[], str],
        base_url: str = GRAPH_BASE_URL,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`ssl_context` (a private CA) applies only to a client made here, not to `client`."""
        self.base_url = base_url.rstrip("/")
        self._origin = httpx.URL(self.base_url).copy_with(path="/", query=None)
        self._token_provider = token_provider
        self._token: str | None = None
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=timeout, verify=ssl_context or True)
        self.max_retries, self.max_retry_wait = max_retries, max_retry_wait
        self.sleep = sleep

    def url(self, *segments: str, query: str = "") -> str:
        """base/seg1/seg2...: each segment percent-encoded (ids may hold '/', '+', '=')."""
        path = "/".join(s if s.startswith("$") else quote(s, safe="@") for s in segments)
        return f"{self.base_url}/{path}" + (f"?{query}" if query else "")

    def check_origin(self, link: str) -> str:
        """`link` itself when it points at the base URL's scheme, host and port; else MailboxError."""
        target = httpx.URL(link)
        if (target.scheme, target.host, target.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            raise MailboxError(f"Graph returned a link to another host ({target.host}); not followed")
        return link

    def token(self, fresh: bool = False) -> str:
        """The bearer token in use; `fresh` drops it (and the provider's cached copy) first."""
        if fresh:
            # A provider may cache; let it drop the rejected token if it knows how.
            invalidate = getattr(self._token_provider, "invalidate", None)
            if callable(invalidate):
                invalidate()
            self._token = None
        if self._token is None:
            try:
                self._token = self._token_provider()
            except OAuthError as e:
                raise MailboxError(f"no Graph token: {e}") from e
        return self._token

    def send(self, method: str, url: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        """One request with auth; 401 -> one fresh token; 429/503 -> wait Retry-After (if retry).

        Transport errors propagate as httpx exceptions: only the caller knows whether a
        lost answer means "try again" (a read) or "outcome unknown" (a send).
        """
        extra: Mapping[str, str] = kwargs.pop("headers", None) or {}
        refreshed = False
        attempt = 0
        while True:
            headers = {**extra, "Authorization": f"Bearer {self.token()}"}
            response = self.client.request(method, url, headers=headers, **kwargs)
            if response.status_code == 401 and not refreshed:
                log.info("Graph answered 401 to %s %s; getting a fresh token once", method, _path(url))
                refreshed = True
                self.token(fresh=True)
                continue
            if retry and response.status_code in _RETRY_STATUSES and attempt < self.max_retries:
                delay = retry_after(response, default=2.0**attempt)
                if delay <= self.max_retry_wait:
                    attempt += 1
                    log.warning("Graph answered %s to %s %s; retrying in %.1fs (%d/%d)",
                                response.status_code, method, _path(url), delay, attempt, self.max_retries)
                    self.sleep(delay)
                    continue
            return response

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds from a Retry-After header (Graph sends delta-seconds), else `default`."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of a Graph error body {"error": {"code", "message"}}, or ("", text)."""
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        error = response.json()["error"]
        return str(error.get("code", "")), str(error.get("message", ""))
    return "", response.text[:200]


def _path(url: str) -> str:
    """The URL without its query (state tokens are not worth a log line)."""
    return url.split("?", 1)[0]

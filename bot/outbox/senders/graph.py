"""The Microsoft Graph sender: ``POST /users/{address}/sendMail`` with the composed MIME.

It owns one conversation with Graph and the mapping of its answers to the outbox's
failure kinds; the outbox decides what to send and what to do with each failure.
Graph takes a whole MIME message as the base64 body of ``sendMail`` with
``Content-Type: text/plain``, so the Message-ID, threading headers and attachments we
composed go out as they are (Exchange saves a copy in Sent Items). It needs the
application permission Mail.Send.

- 202 Accepted                                                -> sent
- 429, 5xx, 408, or no connection before the request was sent -> TransientSendError
  (with ``retry_after`` when Graph said how long to wait)
- 401 after one fresh token, 403                              -> TransientSendError: the
  app's credentials or permissions are wrong, not the message; keep it queued
- any other 4xx (400 bad MIME or recipient, 404, 413 ...)     -> PermanentSendError
- the connection broke or timed out after the request was sent -> UnknownOutcomeError

The last one is why this sender does not retry by itself: once Graph may have the
message, only the outbox may decide to send it again.
"""

from __future__ import annotations

import base64
import logging
import ssl
from collections.abc import Callable
from email import policy
from email.message import EmailMessage

import httpx

from ...mailboxes.base import MailboxError
from ...mailboxes.graph_http import GRAPH_BASE_URL, GraphHttp, error_of, retry_after
from .base import PermanentSendError, TransientSendError, UnknownOutcomeError

log = logging.getLogger(__name__)

# RFC 5322 wants CRLF line ends on the wire; the email package writes \n by default.
WIRE_POLICY = policy.default.clone(linesep="\r\n", max_line_length=998)  # as compose.MAIL_POLICY
# httpx errors raised before the request reached the server: resending is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError,
             httpx.WriteTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)


class GraphThrottled(TransientSendError):
    """A transient failure for which Graph named a wait (Retry-After, seconds)."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def mime_bytes(msg: EmailMessage) -> bytes:
    """The exact bytes handed to Graph (before base64): the message with CRLF line ends."""
    return msg.as_bytes(policy=WIRE_POLICY)


class GraphSender:
    """Sends composed messages as one mailbox (``address``) through Graph's sendMail."""

    def __init__(
        self,
        address: str,
        token_provider: Callable[[], str],
        base_url: str = GRAPH_BASE_URL,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`ssl_context` (a private CA, tests) applies only when no `client` is given."""
        self.address = address
        if client is None:
            # A fresh connection per send: a keep-alive connection the server has quietly
            # closed would fail after the request was written and look like an unknown
            # outcome. Sends are few, so the extra handshakes cost little.
            client = httpx.Client(timeout=timeout, limits=httpx.Limits(max_keepalive_connections=0),
                                  verify=ssl_context or True)
            own = True
        else:
            own = False
        self._http = GraphHttp(token_provider, base_url, timeout, client)
        self._own_client = own

    def __repr__(self) -> str:  # no token in logs or tracebacks
        return f"GraphSender({self.address} via {self._http.base_url})"

    def send(self, msg: EmailMessage, before_commit: Callable[[], None] | None = None) -> None:
        """Deliver one message; raise the SendError subclass that says what to do next.

        ``before_commit`` runs once, just before the sendMail request goes out: from then
        on Graph may have the message, so a crash must leave it "maybe sent", not resent.
        """
        message_id = msg.get("Message-ID", "(no Message-ID)")
        try:
            body = base64.b64encode(mime_bytes(msg))
        except (ValueError, UnicodeError, LookupError) as e:  # a header the policy cannot write
            raise PermanentSendError(f"{message_id}: cannot be serialised as MIME: {e}") from e
        url = self._http.url("users", self.address, "sendMail")
        if before_commit is not None:
            before_commit()
        try:
            # retry=False: a 429/503 goes back to the outbox, which owns the pacing.
            response = self._http.send("POST", url, content=body, retry=False,
                                       headers={"Content-Type": "text/plain"})
        except MailboxError as e:  # no token (OAuthError): configuration, not the message
            raise TransientSendError(f"{message_id}: {e}") from e
        except _NOT_SENT as e:
            raise TransientSendError(f"{message_id}: Graph not reached: {type(e).__name__}: {e}") from e
        except httpx.HTTPError as e:  # read timeout, reset, disconnect after the request went out
            raise UnknownOutcomeError(f"{message_id}: no answer from Graph after sending: "
                                      f"{type(e).__name__}: {e}") from e
        self._classify(response, message_id)
        log.info("sent %s via Graph as %s", message_id, self.address)

    def close(self) -> None:
        if self._own_client:
            self._http.client.close()

    def _classify(self, response: httpx.Response, message_id: str) -> None:
        status = response.status_code
        if status in (200, 202):  # the docs say 202; a 200 would be no less a success
            return
        code, text = error_of(response)
        what = f"{message_id}: Graph sendMail answered {status} {code}: {text}".rstrip(": ")
        if status == 429 or status == 408 or status >= 500:
            wait = retry_after(response, default=-1.0)
            raise GraphThrottled(what, wait if wait >= 0 else None)
        if status in (401, 403):
            raise TransientSendError(f"{what} (check Mail.Send and the application access policy)")
        raise PermanentSendError(what)

"""The EWS sender (exchangelib) for on-premises Exchange: CreateItem with the composed MIME.

It owns the conversation with the Exchange server and the mapping of its answers to
the outbox's failure kinds; the outbox decides what to send and what to do next.
The message goes as ``Message(mime_content=...)`` so Exchange sends exactly what we
composed (Message-ID, threading headers, attachments). With ``save_copy`` (the
default) it is CreateItem ``MessageDisposition="SendAndSaveCopy"`` into Sent Items,
so staff see the bot's replies where they see their own; otherwise ``SendOnly``.

- sent                                                          -> returns
- no connection, or a server-side condition (busy, 503, store
  unavailable, login refused, no right to send as)              -> TransientSendError
- Exchange refused the message itself (recipients, size, MIME)  -> PermanentSendError
- the connection broke or timed out after the request went out  -> UnknownOutcomeError
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage

import requests
import urllib3.exceptions
from exchangelib import Message
from exchangelib.errors import (
    CASError,
    ErrorAccessDenied,
    ErrorConnectionFailed,
    ErrorInternalServerError,
    ErrorInternalServerTransientError,
    ErrorMailboxMoveInProgress,
    ErrorMailboxStoreUnavailable,
    ErrorNonExistentMailbox,
    ErrorQuotaExceeded,
    ErrorSendAsDenied,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    ErrorTooManyObjectsOpened,
    EWSError,
    RateLimitError,
    ResponseMessageError,
    TransportError,
    UnauthorizedError,
)

from ...mailboxes.ews import DEFAULT_BUILD, DEFAULT_TIMEOUT, AuthType, make_account
from .base import PermanentSendError, SendError, TransientSendError, UnknownOutcomeError
from .graph import mime_bytes

log = logging.getLogger(__name__)

# The server's or the configuration's trouble, not the message's: keep it queued.
_TRANSIENT = (
    ErrorServerBusy, ErrorInternalServerTransientError, ErrorInternalServerError, ErrorMailboxStoreUnavailable,
    ErrorMailboxMoveInProgress, ErrorConnectionFailed, ErrorTooManyObjectsOpened, ErrorQuotaExceeded,
    UnauthorizedError, ErrorAccessDenied, ErrorSendAsDenied, ErrorNonExistentMailbox, RateLimitError, CASError,
)
# Failures that happen before the request is on the wire (so resending is safe).
_NOT_SENT = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError,
             requests.exceptions.ConnectTimeout, ConnectionRefusedError)


class EwsSender:
    """Sends composed messages as one mailbox through an on-premises Exchange EWS endpoint."""

    def __init__(
        self,
        address: str,
        service_endpoint: str,
        username: str,
        password: str,
        auth_type: AuthType = "NTLM",
        save_copy: bool = True,
        *,
        build: tuple[int, int, int, int] = DEFAULT_BUILD,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.address, self.service_endpoint, self.save_copy = address, service_endpoint, save_copy
        self._account = make_account(address, service_endpoint, username, password, auth_type, build, timeout)

    def __repr__(self) -> str:  # no password in logs or tracebacks
        return f"EwsSender({self.address} at {self.service_endpoint})"

    def send(self, msg: EmailMessage, before_commit: Callable[[], None] | None = None) -> None:
        """Deliver one message; raise the SendError subclass that says what to do next.

        EWS sends in one request (CreateItem): the instant after which the message may
        have gone is the request itself, so ``before_commit`` is called just before it.
        """
        message_id = msg.get("Message-ID", "(no Message-ID)")
        try:
            item = Message(account=self._account, mime_content=mime_bytes(msg))
        except (ValueError, UnicodeError, LookupError) as e:  # a header the policy cannot write
            raise PermanentSendError(f"{message_id}: cannot be serialised as MIME: {e}") from e
        if before_commit is not None:
            before_commit()
        try:
            if self.save_copy:
                item.send_and_save()  # CreateItem SendAndSaveCopy, SavedItemFolderId = Sent Items
            else:
                item.send(save_copy=False)  # CreateItem SendOnly
        except (EWSError, requests.RequestException, OSError) as e:
            raise _classify(e, message_id, self.service_endpoint) from e
        log.info("sent %s via EWS %s as %s", message_id, self.service_endpoint, self.address)

    def close(self) -> None:
        try:
            self._account.protocol.close()
        except (EWSError, requests.RequestException, OSError) as e:
            log.debug("closing EWS sessions to %s: %s", self.service_endpoint, e)


def _classify(e: BaseException, message_id: str, where: str) -> SendError:
    what = f"{message_id}: {where}: {type(e).__name__}: {e}"
    connection = _connection_error(e)
    if connection is not None:
        # exchangelib re-raises every connection error as ErrorTimeoutExpired; what it wraps
        # tells whether the request had left (a read timeout, a reset while waiting).
        if _in_chain(connection, _NOT_SENT):
            return TransientSendError(f"{what} (not sent)")
        return UnknownOutcomeError(f"{what} (the request went out; no answer came back)")
    # Every EWS response-message error subclasses TransportError; only the listed ones and
    # the plain HTTP-level ones (503, a bad answer, a redirect) are the server's trouble.
    if isinstance(e, _TRANSIENT) or (isinstance(e, TransportError) and not isinstance(e, ResponseMessageError)):
        return TransientSendError(what)
    return PermanentSendError(what)


def _connection_error(e: BaseException) -> BaseException | None:
    """The requests/socket error under exchangelib's ErrorTimeoutExpired, or e itself."""
    if isinstance(e, requests.RequestException | OSError):
        return e
    if isinstance(e, ErrorTimeoutExpired) and isinstance(e.__context__, requests.RequestException | OSError):
        return e.__context__
    return None


def _in_chain(e: BaseException, kinds: tuple[type[BaseException], ...], depth: int = 0) -> bool:
    """Whether e, or what it wraps (args, urllib3's .reason, __cause__/__context__), is one of kinds."""
    if isinstance(e, kinds):
        return True
    if depth > 6:
        return False
    inner: list[object] = [*e.args, getattr(e, "reason", None), e.__cause__, e.__context__]
    return any(isinstance(x, BaseException) and _in_chain(x, kinds, depth + 1) for x in inner)

"""The EWS mailbox adapter (exchangelib) for on-premises Exchange: list, MIME, move.

Exchange Online is retiring EWS for third-party apps (use ``graph.py`` there); on-premises
Exchange keeps it, and this adapter is for that. It owns one exchangelib ``Account`` for
one watched folder and nothing else: it never parses, decides, marks read or deletes.

- ``list_pending``: FindItem on the watched folder, ids only, sorted by DateTimeReceived.
- ``fetch``: GetItem with ``item:MimeContent`` (the message as Exchange holds it).
- ``settle``: MoveItem to a child of the mailbox's top folder (``msgfolderroot``, where
  Inbox itself lives), found with a shallow FindFolder and created (CreateFolder) when
  missing; folder ids are cached.

exchangelib is told everything it would otherwise find out over the network: the
endpoint (no autodiscover), the auth type, the server version (no version probe), and
the ``FailFast`` retry policy, so a busy or broken server surfaces at once as
``MailboxError`` for the caller's own backoff instead of blocking a poller for an hour.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    NTLM,
    Account,
    Build,
    Configuration,
    Credentials,
    Folder,
    FolderCollection,
    Version,
)
from exchangelib.errors import ErrorFolderExists, ErrorItemNotFound, EWSError
from exchangelib.folders import SHALLOW
from exchangelib.properties import ItemId
from exchangelib.protocol import FailFast
from exchangelib.services import CreateFolder

from .base import Listing, MailboxError, Outcome, RawMessage

log = logging.getLogger(__name__)

AuthType = Literal["NTLM", "basic"]
# Exchange 2016 CU (15.1): the oldest build still supported on premises that we target.
DEFAULT_BUILD = (15, 1, 2, 3)
DEFAULT_TIMEOUT = 60.0
# What exchangelib can throw at us for a failed call: EWS/SOAP errors (EWSError, which
# includes TransportError and its wrapping of connection errors) and raw requests errors.
EWS_ERRORS = (EWSError, requests.RequestException, OSError)
_AUTH = {"ntlm": NTLM, "basic": BASIC}


class _RedactAuthorization(logging.Filter):
    """exchangelib logs request headers at DEBUG, Authorization included: blank it out."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and "request_headers" in args:
            headers = args["request_headers"]
            if hasattr(headers, "items"):
                args["request_headers"] = {k: ("[redacted]" if k.lower() == "authorization" else v)
                                           for k, v in headers.items()}
        return True


_redacted = False
_redact_lock = threading.Lock()


def redact_exchangelib_logs() -> None:
    """Install the Authorization filter on exchangelib's HTTP logger (once per process)."""
    global _redacted
    with _redact_lock:
        if not _redacted:
            logging.getLogger("exchangelib.util").addFilter(_RedactAuthorization())
            _redacted = True


def make_account(address: str, service_endpoint: str, username: str, password: str, auth_type: AuthType,
                 build: tuple[int, int, int, int] = DEFAULT_BUILD, timeout: float = DEFAULT_TIMEOUT) -> Account:
    """An exchangelib Account that makes no request until it is used (no autodiscover, no probes).

    `timeout` is per HTTP request; exchangelib shares one protocol object (and its
    connections) between every Account on the same endpoint with the same credentials.
    """
    if auth_type.lower() not in _AUTH:
        raise ValueError(f"auth_type must be NTLM or basic, not {auth_type!r}")
    redact_exchangelib_logs()
    config = Configuration(
        service_endpoint=service_endpoint,
        credentials=Credentials(username, password),
        auth_type=_AUTH[auth_type.lower()],
        version=Version(build=Build(*build)),
        retry_policy=FailFast(),
    )
    account = Account(primary_smtp_address=address, config=config, autodiscover=False, access_type=DELEGATE)
    account.protocol.TIMEOUT = timeout  # exchangelib's default is 120 s per request
    return account


class EwsMailbox:
    """One watched EWS folder plus its processed and review folders (on-premises Exchange)."""

    def __init__(
        self,
        name: str,
        address: str,
        service_endpoint: str,
        username: str,
        password: str,
        folder: str = "Inbox",
        processed_folder: str = "Processed",
        review_folder: str = "Needs Review",
        auth_type: AuthType = "NTLM",
        *,
        build: tuple[int, int, int, int] = DEFAULT_BUILD,
        page_size: int = 100,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.name, self.address = name, address
        self.service_endpoint = service_endpoint
        self.folder, self.processed_folder, self.review_folder = folder, processed_folder, review_folder
        self.page_size = page_size
        self._account = make_account(address, service_endpoint, username, password, auth_type, build, timeout)
        self._watched: Folder | None = None
        self._top: Folder | None = None
        self._children: dict[str, Folder] = {}  # display name (lower case) -> folder under msgfolderroot
        self._received: dict[str, datetime] = {}

    def __repr__(self) -> str:  # no password in logs or tracebacks
        return f"EwsMailbox({self.name!r}, {self.address}/{self.folder} at {self.service_endpoint})"

    # -- Mailbox protocol -------------------------------------------------------

    def list_pending(self) -> Listing:
        """Item ids in the watched folder, oldest first (DateTimeReceived)."""
        try:
            query = self._watched_folder().all().only("datetime_received").order_by("datetime_received")
            query.page_size = self.page_size  # FindItem pages of this many (IndexedPageItemView)
            items = list(query)
        except EWS_ERRORS as e:
            self._watched = None  # a recreated folder has a new id: resolve it again next time
            raise MailboxError(f"{self.name}: FindItem on {self.folder} failed: {_describe(e)}") from e
        keys: list[str] = []
        for item in items:
            keys.append(item.id)
            if (received := _utc(item.datetime_received)) is not None:
                self._received[item.id] = received
        return Listing(uidvalidity=None, keys=tuple(keys))

    def fetch(self, keys: Sequence[str]) -> Iterator[RawMessage]:
        """The MIME of each item (GetItem item:MimeContent); items gone meanwhile are skipped."""
        for start in range(0, len(keys), self.page_size):
            chunk = keys[start:start + self.page_size]
            try:
                found = list(self._account.fetch(ids=[ItemId(id=k) for k in chunk],
                                                 only_fields=["mime_content", "datetime_received"]))
            except EWS_ERRORS as e:
                raise MailboxError(f"{self.name}: GetItem failed: {_describe(e)}") from e
            for key, item in zip(chunk, found, strict=True):
                if isinstance(item, ErrorItemNotFound):
                    log.info("%s: item %s is no longer in the mailbox; skipped", self.name, key)
                    continue
                if isinstance(item, Exception):
                    raise MailboxError(f"{self.name}: GetItem {key} failed: {_describe(item)}")
                yield RawMessage(mailbox=self.name, key=key, data=bytes(item.mime_content or b""),
                                 received_at=_utc(item.datetime_received) or self._received.get(key))

    def settle(self, msg: RawMessage, outcome: Outcome) -> None:
        """MoveItem to the processed or review folder; an item already gone is fine."""
        target_name = self.processed_folder if outcome == "processed" else self.review_folder
        try:
            target = self._child_folder(target_name)
            (result,) = self._account.bulk_move(ids=[ItemId(id=msg.key)], to_folder=target)
        except EWS_ERRORS as e:
            self._children.clear()  # the folder may have been deleted: look it up again next time
            raise MailboxError(f"{self.name}: moving {msg.key} to {target_name} failed: {_describe(e)}") from e
        if isinstance(result, ErrorItemNotFound):
            log.warning("%s: item %s not found; nothing moved", self.name, msg.key)
        elif isinstance(result, Exception):
            self._children.clear()
            raise MailboxError(f"{self.name}: moving {msg.key} to {target_name} failed: {_describe(result)}")
        else:
            log.info("%s: moved item %s to %s", self.name, msg.key, target_name)
        self._received.pop(msg.key, None)

    def wait(self, timeout: float) -> bool:
        """EWS streaming notifications are not used here: sleep, and say nothing woke us."""
        if timeout > 0:
            threading.Event().wait(timeout)
        return False

    def close(self) -> None:
        try:
            self._account.protocol.close()
        except EWS_ERRORS as e:  # closing must not fail the caller
            log.debug("%s: closing EWS sessions: %s", self.name, e)

    # -- folders ----------------------------------------------------------------

    def _watched_folder(self) -> Folder:
        if self._watched is None:
            if self.folder.lower() == "inbox":
                self._watched = self._account.inbox  # GetFolder root + GetFolder inbox
            else:
                found = self._find_child(self.folder)
                if found is None:
                    raise MailboxError(f"{self.name}: folder {self.folder!r} not found under the mailbox root")
                self._watched = found
        return self._watched

    def _top_folder(self) -> Folder:
        if self._top is None:
            self._top = self._account.msg_folder_root  # GetFolder msgfolderroot
        return self._top

    def _child_folder(self, display_name: str) -> Folder:
        """The msgfolderroot child with this display name, created when missing."""
        cached = self._children.get(display_name.lower())
        if cached is not None:
            return cached
        folder = self._find_child(display_name)
        if folder is None:
            try:
                # The CreateFolder service directly: Folder.save() would first map the whole
                # folder tree (a deep FindFolder from the root) just to cache the new folder.
                top = self._top_folder()
                folder = CreateFolder(account=self._account).get(
                    parent_folder=top, folders=[Folder(root=top.root, name=display_name)])
                log.info("%s: created folder %s", self.name, display_name)
            except ErrorFolderExists:  # another poller created it meanwhile
                folder = self._find_child(display_name)
                if folder is None:
                    raise MailboxError(f"{self.name}: folder {display_name!r} exists but cannot be found") from None
        self._children[display_name.lower()] = folder
        return folder

    def _find_child(self, display_name: str) -> Folder | None:
        top = self._top_folder()
        children: Any = FolderCollection(account=self._account, folders=[top]).find_folders(depth=SHALLOW)
        for child in children:
            if isinstance(child, Exception):
                raise child
            # Exchange folder names are case-insensitive.
            if str(child.name or "").lower() == display_name.lower():
                return child
        return None


def _utc(value: object) -> datetime | None:
    """A plain UTC datetime from exchangelib's EWSDateTime (whose astimezone wants an EWSTimeZone)."""
    return datetime.fromtimestamp(value.timestamp(), tz=UTC) if isinstance(value, datetime) else None


def _describe(e: BaseException) -> str:
    """Class and message, cut short (exchangelib puts whole HTTP responses in some messages)."""
    text = f"{type(e).__name__}: {e}"
    return text if len(text) < 500 else text[:500] + "..."

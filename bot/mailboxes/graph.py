"""The Microsoft Graph mailbox adapter (Exchange Online, app-only): delta listing, MIME, move.

Exchange Online is retiring EWS for third-party apps, so Graph is the way to reach
the three LAHSA mailboxes there. This module owns the HTTP conversation with Graph
for one watched folder and nothing else: it never parses, decides, marks read or
deletes mail. It needs the application permission Mail.ReadWrite (to read and move)
and a token provider for the ``https://graph.microsoft.com/.default`` scope.

- ``list_pending`` keeps an in-memory copy of the folder's message ids, refreshed by a
  delta query round (``@odata.nextLink`` pages until an ``@odata.deltaLink``); after
  the first round only the changes since the last one travel. It answers with every
  id still in the folder, oldest first, because the poller re-reads unfinished mail.
- ``fetch`` reads ``/messages/{id}/$value`` (the MIME bytes).
- ``settle`` moves the message to a child folder of the mailbox root, found by its
  display name (created when missing; ids cached).

429 and 503 are retried after their Retry-After (a bounded number of times, for a
bounded wait); a 401 gets one fresh token and one retry (both in ``graph_http.GraphHttp``,
shared with the sender). Anything else the caller should retry later surfaces as
``MailboxError``. Tokens never reach a log line.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from .base import Listing, MailboxError, Outcome, RawMessage
from .graph_http import GRAPH_BASE_URL, GRAPH_SCOPE, GraphError, GraphHttp, error_of, retry_after

# The HTTP layer lives in graph_http; its public names stay importable from here.
__all__ = ["GRAPH_BASE_URL", "GRAPH_SCOPE", "WELL_KNOWN_FOLDERS", "GraphError", "GraphHttp", "GraphMailbox",
           "error_of", "retry_after"]

log = logging.getLogger(__name__)

# Folder names Graph accepts in place of an id (mailFolder resource type, lower case).
WELL_KNOWN_FOLDERS = frozenset({
    "archive", "clutter", "conflicts", "conversationhistory", "deleteditems", "drafts", "inbox",
    "junkemail", "localfailures", "msgfolderroot", "outbox", "recoverableitemsdeletions",
    "scheduled", "searchfolders", "sentitems", "serverfailures", "syncissues",
})
_PAGE_SIZE = 50  # Prefer: odata.maxpagesize; Graph's default page for messages is 10
_LATEST = datetime.max.replace(tzinfo=UTC)  # sorts messages whose receivedDateTime is unknown last


class GraphMailbox:
    """One watched Graph mail folder plus its processed and review folders."""

    def __init__(
        self,
        name: str,
        address: str,
        token_provider: Callable[[], str],
        folder: str = "Inbox",
        processed_folder: str = "Processed",
        review_folder: str = "Needs Review",
        base_url: str = GRAPH_BASE_URL,
        timeout: float = 30,
        client: httpx.Client | None = None,
        *,
        delta_link: str | None = None,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.name, self.address = name, address
        self.folder, self.processed_folder, self.review_folder = folder, processed_folder, review_folder
        self._http = GraphHttp(token_provider, base_url, timeout, client, max_retries, max_retry_wait, sleep,
                               ssl_context)
        # A saved deltaLink resumes change tracking, but the ids listed before it was saved
        # are not listed again: persist it only with everything it listed decided.
        self._delta_link = delta_link
        self._pending: dict[str, datetime | None] = {}
        self._folder_ids: dict[str, str] = {}  # display name (lower case) -> Graph folder id

    def __repr__(self) -> str:  # no token in logs or tracebacks
        return f"GraphMailbox({self.name!r}, {self.address}/{self.folder} via {self._http.base_url})"

    @property
    def delta_link(self) -> str | None:
        """The deltaLink of the last completed round (for callers that persist it)."""
        return self._delta_link

    # -- Mailbox protocol -------------------------------------------------------

    def list_pending(self) -> Listing:
        """Every message id in the watched folder, oldest first by receivedDateTime."""
        self._sync()
        keys = sorted(self._pending, key=lambda k: (self._pending[k] or _LATEST, k))
        return Listing(uidvalidity=None, keys=tuple(keys))

    def fetch(self, keys: Sequence[str]) -> Iterator[RawMessage]:
        """The MIME of each message; ids that are gone (moved by someone else) are skipped."""
        for key in keys:
            url = self._http.url("users", self.address, "messages", key, "$value")
            response = self._call("fetch", "GET", url)
            if response.status_code == 404:
                log.info("%s: message %s is no longer in the mailbox; skipped", self.name, key)
                self._pending.pop(key, None)
                continue
            self._expect(response, "fetch", 200)
            yield RawMessage(mailbox=self.name, key=key, data=response.content,
                             received_at=self._pending.get(key))

    def settle(self, msg: RawMessage, outcome: Outcome) -> None:
        """Move a message to the processed or review folder; a message already gone is fine."""
        target = self.processed_folder if outcome == "processed" else self.review_folder
        url = self._http.url("users", self.address, "messages", msg.key, "move")
        response = self._call("move", "POST", url, json={"destinationId": self._child_folder_id(target)})
        if response.status_code in (400, 404):
            # The message is gone, or a person deleted the folder whose id we cached: look the
            # folder up again and try once more before believing the message is gone.
            self._folder_ids.pop(target.lower(), None)
            response = self._call("move", "POST", url, json={"destinationId": self._child_folder_id(target)})
        if response.status_code == 404:
            log.warning("%s: message %s not found; nothing moved", self.name, msg.key)
        else:
            self._expect(response, "move", 200, 201)
            log.info("%s: moved message %s to %s", self.name, msg.key, target)
        self._pending.pop(msg.key, None)

    def wait(self, timeout: float) -> bool:
        """No push for app-only polling here (no IDLE): sleep, then say nothing woke us."""
        if timeout > 0:
            self._http.sleep(timeout)
        return False

    def close(self) -> None:
        self._http.close()

    # -- delta ------------------------------------------------------------------

    def _sync(self) -> None:
        """One delta round; on an expired deltaLink, one full round from scratch."""
        try:
            self._round(self._delta_link)
        except GraphError as e:
            if self._delta_link is None or not _needs_resync(e):
                raise
            log.warning("%s: delta state expired (%s %s); full resynchronisation", self.name, e.status, e.code)
            self._delta_link = None
            self._round(None)

    def _round(self, link: str | None) -> None:
        # Changes go to a copy that replaces the mirror only when the round completes, so a
        # round broken half-way leaves the last complete picture (and its deltaLink) intact.
        pending: dict[str, datetime | None] = {} if link is None else dict(self._pending)
        url = self._http.check_origin(link) if link else self._initial_delta_url()
        headers = {"Prefer": f"odata.maxpagesize={_PAGE_SIZE}"}
        while True:
            page = self._json(self._call("delta", "GET", url, headers=headers), "delta")
            _apply(pending, page.get("value") or [])
            if next_link := page.get("@odata.nextLink"):
                url = self._http.check_origin(str(next_link))
                continue
            delta = page.get("@odata.deltaLink")
            if not delta:
                raise MailboxError(f"{self.name}: delta page has neither nextLink nor deltaLink")
            self._pending, self._delta_link = pending, self._http.check_origin(str(delta))
            return

    def _initial_delta_url(self) -> str:
        folder = self._watched_folder_id()
        return self._http.url("users", self.address, "mailFolders", folder, "messages", "delta",
                              query="$select=receivedDateTime")

    # -- folders ----------------------------------------------------------------

    def _watched_folder_id(self) -> str:
        if self.folder.lower() in WELL_KNOWN_FOLDERS:
            return self.folder.lower()
        found = self._find_child(self.folder)
        if found is None:
            raise MailboxError(f"{self.name}: folder {self.folder!r} not found under the mailbox root")
        return found

    def _child_folder_id(self, display_name: str) -> str:
        """Id of the root's child folder with this display name, created when missing."""
        cached = self._folder_ids.get(display_name.lower())
        if cached:
            return cached
        found = self._find_child(display_name)
        if found is None:
            url = self._http.url("users", self.address, "mailFolders", "msgfolderroot", "childFolders")
            response = self._call("create folder", "POST", url, json={"displayName": display_name})
            if response.status_code == 409:  # another poller created it meanwhile
                found = self._find_child(display_name)
            else:
                found = str(self._json(self._expect(response, "create folder", 200, 201), "create folder")["id"])
                log.info("%s: created folder %s", self.name, display_name)
            if found is None:
                raise MailboxError(f"{self.name}: folder {display_name!r} neither found nor created")
        self._folder_ids[display_name.lower()] = found
        return found

    def _find_child(self, display_name: str) -> str | None:
        url: str | None = self._http.url("users", self.address, "mailFolders", "msgfolderroot", "childFolders",
                                         query="$select=id,displayName&$top=100")
        while url:
            page = self._json(self._call("list folders", "GET", url), "list folders")
            for folder in page.get("value") or []:
                # Exchange folder names are case-insensitive.
                if str(folder.get("displayName", "")).lower() == display_name.lower():
                    return str(folder["id"])
            link = page.get("@odata.nextLink")
            url = self._http.check_origin(str(link)) if link else None
        return None

    # -- helpers ----------------------------------------------------------------

    def _call(self, what: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.send(method, url, **kwargs)
        except httpx.HTTPError as e:
            raise MailboxError(f"{self.name}: {what} failed: {type(e).__name__}: {e}") from e

    def _expect(self, response: httpx.Response, what: str, *ok: int) -> httpx.Response:
        if response.status_code not in ok:
            status, code, text = response.status_code, *error_of(response)
            hint = " (check Mail.ReadWrite and the application access policy)" if status == 403 else ""
            raise GraphError(f"{self.name}: {what} answered {status} {code}: {text}{hint}", status, code)
        return response

    def _json(self, response: httpx.Response, what: str) -> Mapping[str, Any]:
        self._expect(response, what, 200, 201)
        with contextlib.suppress(ValueError):
            body = response.json()
            if isinstance(body, dict):
                return body
        raise MailboxError(f"{self.name}: {what} answered with no JSON object")


def _apply(pending: dict[str, datetime | None], changes: Sequence[Mapping[str, Any]]) -> None:
    """Fold one delta page into the id -> receivedDateTime mirror (replays are harmless)."""
    for item in changes:
        key = str(item.get("id", ""))
        if not key:
            continue
        if "@removed" in item:
            pending.pop(key, None)
        else:
            # An update may carry only the changed properties: keep what we knew.
            pending[key] = _parse_time(item.get("receivedDateTime")) or pending.get(key)


def _needs_resync(e: GraphError) -> bool:
    """410 Gone, or a 4xx whose code says the sync state is gone (Graph delta-query docs)."""
    return e.status == 410 or (400 <= e.status < 500 and e.code.lower() in ("syncstatenotfound", "resyncrequired"))


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # Graph's times are UTC

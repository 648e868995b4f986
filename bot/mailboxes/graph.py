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
bounded wait); a 401 gets one fresh token and one retry. Anything else the caller
should retry later surfaces as ``MailboxError``. Tokens never reach a log line.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from .base import Listing, MailboxError, Outcome, RawMessage
from .oauth import OAuthError

log = logging.getLogger(__name__)

GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"  # app-only: the app's granted permissions
# Folder names Graph accepts in place of an id (mailFolder resource type, lower case).
WELL_KNOWN_FOLDERS = frozenset({
    "archive", "clutter", "conflicts", "conversationhistory", "deleteditems", "drafts", "inbox",
    "junkemail", "localfailures", "msgfolderroot", "outbox", "recoverableitemsdeletions",
    "scheduled", "searchfolders", "sentitems", "serverfailures", "syncissues",
})
_RETRY_STATUSES = (429, 503)
_PAGE_SIZE = 50  # Prefer: odata.maxpagesize; Graph's default page for messages is 10
_LATEST = datetime.max.replace(tzinfo=UTC)  # sorts messages whose receivedDateTime is unknown last


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = httpx.URL(self.base_url).copy_with(path="/", query=None)
        self._token_provider = token_provider
        self._token: str | None = None
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=timeout)
        self.max_retries, self.max_retry_wait = max_retries, max_retry_wait
        self.sleep = sleep

    def url(self, *segments: str, query: str = "") -> str:
        """base/seg1/seg2...: each segment percent-encoded (ids may hold '/', '+', '=')."""
        path = "/".join(s if s.startswith("$") else quote(s, safe="@") for s in segments)
        return f"{self.base_url}/{path}" + (f"?{query}" if query else "")

    def check_origin(self, link: str) -> str:
        target = httpx.URL(link)
        if (target.scheme, target.host, target.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            raise MailboxError(f"Graph returned a link to another host ({target.host}); not followed")
        return link

    def token(self, fresh: bool = False) -> str:
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
    ) -> None:
        self.name, self.address = name, address
        self.folder, self.processed_folder, self.review_folder = folder, processed_folder, review_folder
        self._http = GraphHttp(token_provider, base_url, timeout, client, max_retries, max_retry_wait, sleep)
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

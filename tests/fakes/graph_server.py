"""A Microsoft Graph mail fake and a fake Microsoft Entra ID token endpoint, on 127.0.0.1.

`FakeGraph` answers the v1.0 calls hmisbot makes, in the shapes the Graph reference
documents (learn.microsoft.com/graph/api/...):

- ``GET /users/{u}/mailFolders/{f}/messages/delta``: pages of ``Prefer:
  odata.maxpagesize`` messages (``$select`` honoured, ``id`` always), ``@odata.nextLink``
  with a ``$skiptoken`` until the last page, which carries ``@odata.deltaLink`` with a
  ``$deltatoken``; from a deltaLink only what changed since, removals as
  ``{"id", "@removed": {"reason": "deleted"}}``. Expired state -> 410 syncStateNotFound.
  Pages come newest first (the docs promise no order), so clients must sort.
- ``GET /users/{u}/messages/{id}/$value``: the stored MIME bytes, ``text/plain``.
- ``POST /users/{u}/messages/{id}/move`` ``{"destinationId"}``: 201 and the message
  with a new id (a move makes a copy and removes the original).
- ``GET|POST /users/{u}/mailFolders/{f}/childFolders``: paged list (``$top``) / 201 create,
  409 ErrorFolderExists for a duplicate display name.
- ``POST /users/{u}/sendMail`` with a base64 MIME body and ``Content-Type: text/plain``:
  202, the decoded MIME recorded (and a copy in Sent Items); bad base64 -> 400
  ErrorMimeContentInvalidBase64String.

Bearer tokens are checked against `tokens` (401 InvalidAuthenticationToken otherwise);
`faults` injects 429/503/401 once, dropped connections and stalls. `FakeAzureAD` serves
OIDC discovery and the client-credentials token endpoint over TLS (MSAL insists on
https) and registers every token it issues with the Graph fake.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import secrets
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import FakeHandler, FakeHTTPServer, Fault, Faults, start_server, stop_server

WELL_KNOWN = ("msgfolderroot", "inbox", "sentitems", "drafts", "deleteditems", "junkemail", "archive", "outbox")


def graph_id(prefix: str = "AAMkAD") -> str:
    """An opaque id shaped like Graph's REST ids (URL-safe base64 with '=' padding)."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(33)).decode() + "AAA="


@dataclass
class Folder:
    id: str
    display_name: str
    parent_id: str | None
    well_known: str | None = None


@dataclass
class Message:
    id: str
    folder_id: str
    mime: bytes
    received: datetime


@dataclass
class Mailbox:
    address: str
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)

    def folder(self, ref: str) -> Folder | None:
        """A folder by id or by well-known name (case-insensitive, as Graph accepts)."""
        if ref in self.folders:
            return self.folders[ref]
        return next((f for f in self.folders.values() if f.well_known == ref.lower()), None)

    def children(self, parent: Folder) -> list[Folder]:
        return [f for f in self.folders.values() if f.parent_id == parent.id]


@dataclass
class Round:
    """Server-side state behind one $skiptoken: the rest of a round's items."""

    folder_id: str
    items: list[dict[str, Any]]
    end_seq: int
    select: list[str]


class FakeGraph:
    """In-memory mailboxes behind a Graph-shaped HTTP API; use as a context manager."""

    def __init__(self, *addresses: str, default_page_size: int = 10, page_cap: int = 1000) -> None:
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self.seq = 0
        self.mailboxes: dict[str, Mailbox] = {}
        self.tokens: set[str] = set()
        self.requests: list[dict[str, Any]] = []  # method, path, query, headers, body of each call
        self.sent: list[tuple[str, bytes]] = []  # (mailbox, decoded MIME) of each sendMail
        self.delta_responses: list[dict[str, Any]] = []
        self.events: list[tuple[int, str, str]] = []  # (seq, folder id, message id) of each change
        self._rounds: dict[str, Round] = {}
        self._valid_delta_tokens: dict[str, tuple[str, int, list[str]]] = {}
        self.default_page_size = default_page_size
        self.page_cap = page_cap  # Graph may return fewer items than Prefer asked for
        for address in addresses:
            self.add_mailbox(address)
        self.server: FakeHTTPServer = start_server(_GraphHandler, self)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1.0"

    def __enter__(self) -> FakeGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        stop_server(self.server)

    @property
    def faults(self) -> Faults:
        return self.server.faults

    # -- state set-up and inspection ------------------------------------------------

    def add_mailbox(self, address: str) -> Mailbox:
        box = Mailbox(address)
        root = Folder(graph_id("AAMkRT"), "Top of Information Store", None, "msgfolderroot")
        box.folders[root.id] = root
        for name, display in (("inbox", "Inbox"), ("sentitems", "Sent Items"), ("drafts", "Drafts"),
                              ("deleteditems", "Deleted Items"), ("junkemail", "Junk Email"),
                              ("archive", "Archive"), ("outbox", "Outbox")):
            folder = Folder(graph_id("AAMkFD"), display, root.id, name)
            box.folders[folder.id] = folder
        self.mailboxes[address.lower()] = box
        return box

    def box(self, address: str) -> Mailbox:
        return self.mailboxes[address.lower()]

    def deliver(self, address: str, mime: bytes, received: datetime | None = None, folder: str = "inbox") -> str:
        """Put a message in a folder (as delivery would); returns its id."""
        with self._lock:
            box = self.box(address)
            target = box.folder(folder)
            assert target is not None, folder
            msg = Message(graph_id(), target.id, mime, received or datetime.now(UTC))
            box.messages[msg.id] = msg
            self._changed(target.id, msg.id)
            return msg.id

    def folder_named(self, address: str, display_name: str) -> Folder | None:
        return next((f for f in self.box(address).folders.values() if f.display_name == display_name), None)

    def messages_in(self, address: str, folder: str) -> list[Message]:
        box = self.box(address)
        target = box.folder(folder) or self.folder_named(address, folder)
        return [m for m in box.messages.values() if target is not None and m.folder_id == target.id]

    def expire_delta_tokens(self) -> None:
        """Forget all sync state: the next deltaLink use gets 410 syncStateNotFound."""
        with self._lock:
            self._valid_delta_tokens.clear()

    # -- fault shortcuts -----------------------------------------------------------------

    def throttle_once(self, retry_after: int = 1, path_part: str = "", status: int = 429) -> None:
        code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
        self.faults.add(Fault("status", status, {"Retry-After": str(retry_after), "Content-Type": "application/json"},
                              _error_body(code, "Application is over its MailboxConcurrency limit."),
                              path_part=path_part))

    def expire_token_once(self, path_part: str = "") -> None:
        headers = {"WWW-Authenticate": 'Bearer realm=""', "Content-Type": "application/json"}
        body = _error_body("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        self.faults.add(Fault("status", 401, headers, body, path_part=path_part))

    def fail_once(self, status: int, code: str, message: str, path_part: str = "", method: str = "") -> None:
        self.faults.add(Fault("status", status, {"Content-Type": "application/json"}, _error_body(code, message),
                              path_part=path_part, method=method))

    # -- internals used by the handler -----------------------------------------------

    def _changed(self, folder_id: str, message_id: str) -> None:
        self.seq = next(self._seq)
        self.events.append((self.seq, folder_id, message_id))

    def _message_json(self, msg: Message, select: list[str]) -> dict[str, Any]:
        full = {
            "@odata.type": "#microsoft.graph.message",
            "@odata.etag": f'W/"CQAAABYAAAA{msg.id[-12:]}"',
            "id": msg.id,
            "receivedDateTime": msg.received.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "parentFolderId": msg.folder_id,
            "hasAttachments": False,
            "subject": _subject(msg.mime),
        }
        if not select:
            return full
        return {k: v for k, v in full.items() if k in ("@odata.type", "@odata.etag", "id") or k in select}

    def delta_page(self, box: Mailbox, folder: Folder, query: dict[str, str], page_size: int,
                   link_base: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if "$skiptoken" in query:
                rnd = self._rounds.pop(query["$skiptoken"], None)
                if rnd is None:
                    return 400, _error("syncStateNotFound", "The sync state is not found.")
            elif "$deltatoken" in query:
                state = self._valid_delta_tokens.get(query["$deltatoken"])
                if state is None or state[0] != folder.id:
                    return 410, _error("syncStateNotFound", "The sync state generation is not found.")
                rnd = Round(folder.id, self._changes_since(box, folder, state[1], state[2]), self.seq, state[2])
            else:
                select = [s for s in query.get("$select", "").split(",") if s]
                current = sorted((m for m in box.messages.values() if m.folder_id == folder.id),
                                 key=lambda m: m.received, reverse=True)
                rnd = Round(folder.id, [self._message_json(m, select) for m in current], self.seq, select)
            page, rest = rnd.items[:page_size], rnd.items[page_size:]
            body: dict[str, Any] = {"@odata.context": f"{link_base}/$metadata#Collection(message)", "value": page}
            if rest:
                token = secrets.token_urlsafe(16)
                self._rounds[token] = Round(rnd.folder_id, rest, rnd.end_seq, rnd.select)
                body["@odata.nextLink"] = f"{link_base}/users/{box.address}/mailfolders('{folder.id}')" \
                                          f"/messages/delta?$skiptoken={token}"
            else:
                token = secrets.token_urlsafe(16)
                self._valid_delta_tokens[token] = (folder.id, rnd.end_seq, rnd.select)
                body["@odata.deltaLink"] = f"{link_base}/users/{box.address}/mailfolders('{folder.id}')" \
                                           f"/messages/delta?$deltatoken={token}"
            self.delta_responses.append(body)
            return 200, body

    def _changes_since(self, box: Mailbox, folder: Folder, seq: int, select: list[str]) -> list[dict[str, Any]]:
        touched = dict.fromkeys(mid for s, fid, mid in self.events if s > seq and fid == folder.id)
        items: list[dict[str, Any]] = []
        for mid in touched:
            msg = box.messages.get(mid)
            if msg is not None and msg.folder_id == folder.id:
                items.append(self._message_json(msg, select))
            else:
                items.append({"@odata.type": "#microsoft.graph.message", "id": mid, "@removed": {"reason": "deleted"}})
        return items

    def move(self, box: Mailbox, message_id: str, destination: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            msg = box.messages.get(message_id)
            target = box.folder(destination)
            if msg is None or target is None:  # a missing message or destination folder alike
                return 404, _error("ErrorItemNotFound", "The specified object was not found in the store.")
            del box.messages[message_id]
            self._changed(msg.folder_id, msg.id)  # gone from the source folder
            moved = Message(graph_id(), target.id, msg.mime, msg.received)
            box.messages[moved.id] = moved
            self._changed(target.id, moved.id)
            return 201, self._message_json(moved, [])

    def create_folder(self, box: Mailbox, parent: Folder, display_name: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if any(f.display_name.lower() == display_name.lower() for f in box.children(parent)):
                return 409, _error("ErrorFolderExists", "A folder with the specified name already exists.")
            folder = Folder(graph_id("AAMkFD"), display_name, parent.id)
            box.folders[folder.id] = folder
            return 201, _folder_json(box, folder)

    def send_mail(self, box: Mailbox, body: bytes, content_type: str) -> tuple[int, dict[str, Any] | None]:
        if not content_type.startswith("text/plain"):
            return 400, _error("ErrorInvalidRequest", "This sketch only takes MIME (text/plain) bodies.")
        try:
            mime = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return 400, _error("ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.")
        with self._lock:
            self.sent.append((box.address, mime))
        self.deliver(box.address, mime, folder="sentitems")
        return 202, None


def _folder_json(box: Mailbox, folder: Folder) -> dict[str, Any]:
    children = box.children(folder)
    count = sum(1 for m in box.messages.values() if m.folder_id == folder.id)
    return {"id": folder.id, "displayName": folder.display_name, "parentFolderId": folder.parent_id,
            "childFolderCount": len(children), "unreadItemCount": count, "totalItemCount": count,
            "isHidden": False}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4())}}}


def _error_body(code: str, message: str) -> bytes:
    return json.dumps(_error(code, message)).encode()


def _subject(mime: bytes) -> str:
    for line in mime.split(b"\n"):
        if line.lower().startswith(b"subject:"):
            return line[8:].strip().decode("utf-8", "replace")
        if not line.strip():
            break
    return ""


class _GraphHandler(FakeHandler):
    def route(self, method: str, body: bytes) -> None:
        graph: FakeGraph = self.server.owner
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        segments = _segments(split.path)
        graph.requests.append({"method": method, "path": split.path, "segments": segments, "query": query,
                               "headers": dict(self.headers), "body": body})
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in graph.tokens:
            self._json(401, _error("InvalidAuthenticationToken", "Access token is empty or invalid."),
                       {"WWW-Authenticate": 'Bearer realm=""'})
            return
        if len(segments) < 3 or segments[0] != "v1.0" or segments[1] != "users":
            self._json(400, _error("BadRequest", "Unsupported segment."))
            return
        box = graph.mailboxes.get(segments[2].lower())
        if box is None:
            self._json(404, _error("ErrorInvalidUser", f"The requested user '{segments[2]}' is invalid."))
            return
        self._dispatch(graph, box, method, segments[3:], query, body)

    def _dispatch(self, graph: FakeGraph, box: Mailbox, method: str, rest: list[str], query: dict[str, str],
                  body: bytes) -> None:
        link_base = f"http://{self.headers.get('Host')}/v1.0"
        match rest:
            case ["mailFolders", ref, "messages", "delta"] if method == "GET":
                folder = box.folder(ref)
                if folder is None:
                    self._json(404, _error("ErrorItemNotFound", "The specified object was not found in the store."))
                    return
                status, page = graph.delta_page(box, folder, query, _page_size(self.headers, graph), link_base)
                self._json(status, page, {"Preference-Applied": f"odata.maxpagesize={_page_size(self.headers, graph)}"})
            case ["messages", mid, "$value"] if method == "GET":
                msg = box.messages.get(mid)
                if msg is None:
                    self._json(404, _error("ErrorItemNotFound", "The specified object was not found in the store."))
                else:
                    self.reply(200, msg.mime, {"Content-Type": "text/plain"})
            case ["messages", mid, "move"] if method == "POST":
                destination = json.loads(body or b"{}").get("destinationId", "")
                self._json(*graph.move(box, mid, destination))
            case ["mailFolders", ref, "childFolders"]:
                parent = box.folder(ref)
                if parent is None:
                    self._json(404, _error("ErrorItemNotFound", "The specified object was not found in the store."))
                elif method == "POST":
                    self._json(*graph.create_folder(box, parent, json.loads(body or b"{}").get("displayName", "")))
                else:
                    self._list_children(graph, box, parent, query, link_base)
            case ["sendMail"] if method == "POST":
                status, answer = graph.send_mail(box, body, self.headers.get("Content-Type", ""))
                if answer is None:
                    self.reply(status)
                else:
                    self._json(status, answer)
            case _:
                self._json(400, _error("BadRequest", f"Unsupported request {method} {'/'.join(rest)}"))

    def _list_children(self, graph: FakeGraph, box: Mailbox, parent: Folder, query: dict[str, str],
                       link_base: str) -> None:
        top, skip = min(int(query.get("$top", "10")), graph.page_cap), int(query.get("$skip", "0"))
        folders = sorted(box.children(parent), key=lambda f: f.display_name)
        body: dict[str, Any] = {"value": [_folder_json(box, f) for f in folders[skip:skip + top]]}
        if skip + top < len(folders):
            body["@odata.nextLink"] = (f"{link_base}/users/{box.address}/mailFolders/{parent.id}/childFolders"
                                       f"?$top={top}&$skip={skip + top}")
        self._json(200, body)

    def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.reply(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


_KEY_SEGMENT = re.compile(r"^(\w+)\('(.*)'\)$")
_NAMES = {n.lower(): n for n in ("users", "mailFolders", "messages", "childFolders", "sendMail", "delta", "move")}


def _segments(path: str) -> list[str]:
    """Path segments, unquoted; ``mailfolders('id')`` (how Graph writes its own links) becomes
    ``mailFolders``, ``id``, and navigation names are matched case-insensitively, as Graph does."""
    out: list[str] = []
    for raw in (s for s in path.split("/") if s):
        seg = unquote(raw)
        key = _KEY_SEGMENT.match(seg)
        parts = [key.group(1), key.group(2)] if key else [seg]
        out.extend(_NAMES.get(p.lower(), p) if i == 0 else p for i, p in enumerate(parts))
    return out


def _page_size(headers: Any, graph: FakeGraph) -> int:
    for part in (headers.get("Prefer") or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "odata.maxpagesize" and value.isdigit():
            return min(int(value), graph.page_cap)
    return min(graph.default_page_size, graph.page_cap)


# -- fake Microsoft Entra ID (Azure AD) ------------------------------------------------


class FakeAzureAD:
    """OIDC discovery + client-credentials token endpoint, as MSAL calls them, over TLS.

    MSAL (authority ``https://127.0.0.1:port/<tenant>``, no instance discovery) first
    GETs ``/<tenant>/v2.0/.well-known/openid-configuration`` and then POSTs the form
    ``grant_type=client_credentials&client_id&client_secret&scope`` to the advertised
    token endpoint. Issued tokens are added to `graph.tokens` when a Graph fake is given.
    """

    def __init__(self, tls: ssl.SSLContext, tenant: str, client_id: str, secret: str,
                 graph: FakeGraph | None = None, expires_in: int = 3599) -> None:
        self.tenant, self.client_id, self._secret = tenant, client_id, secret
        self.graph = graph
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.server = start_server(_AadHandler, self, tls=tls)
        self.authority_host = f"https://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        stop_server(self.server)

    def openid_configuration(self) -> dict[str, Any]:
        base = f"{self.authority_host}/{self.tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "NA",
        }

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003: unsupported grant."}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self._secret:
            return 401, {"error": "invalid_client",
                         "error_description": "AADSTS7000215: Invalid client secret provided.",
                         "error_codes": [7000215]}
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0." + secrets.token_urlsafe(24)
        self.issued.append(token)
        if self.graph is not None:
            self.graph.tokens.add(token)
        expires = datetime.now(UTC) + timedelta(seconds=self.expires_in)
        return 200, {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
                     "expires_on": str(int(expires.timestamp())), "access_token": token}


class _AadHandler(FakeHandler):
    def route(self, method: str, body: bytes) -> None:
        aad: FakeAzureAD = self.server.owner
        path = urlsplit(self.path).path
        if method == "GET" and path == f"/{aad.tenant}/v2.0/.well-known/openid-configuration":
            self._json(200, aad.openid_configuration())
        elif method == "POST" and path == f"/{aad.tenant}/oauth2/v2.0/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self._json(*aad.token(form))
        else:
            self._json(400, {"error": "invalid_request", "error_description": f"AADSTS900561: {method} {path}"})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self.reply(status, json.dumps(body).encode(), {"Content-Type": "application/json; charset=utf-8"})

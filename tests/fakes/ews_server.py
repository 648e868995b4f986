"""An Exchange Web Services (EWS) SOAP fake on 127.0.0.1, for exchangelib.

It answers ``POST /EWS/Exchange.asmx`` for the operations hmisbot uses, with the
response envelopes the EWS reference documents (learn.microsoft.com/exchange/
client-developer/web-service-reference/<operation>-operation):

- GetFolder (DistinguishedFolderId or FolderId)      -> Folder elements / ErrorFolderNotFound
- FindFolder Traversal="Shallow"                       -> RootFolder/Folders
- CreateFolder                                         -> Folders/Folder/FolderId / ErrorFolderExists
- FindItem Traversal="Shallow", IndexedPageItemView, SortOrder on item:DateTimeReceived
                                                       -> RootFolder (IndexedPagingOffset, TotalItemsInView,
                                                          IncludesLastItemInRange)/Items/Message
- GetItem with item:MimeContent                        -> Items/Message/MimeContent (base64) / ErrorItemNotFound
- MoveItem                                             -> Items/Message/ItemId (a new id) / ErrorItemNotFound
- CreateItem MessageDisposition=SendOnly|SendAndSaveCopy with Message/MimeContent
                                                       -> empty Items; the decoded MIME recorded

Requests are parsed as XML (not matched as text), so whatever element order or
prefixes exchangelib uses, the fake reads what a server would. Every request's
operation and raw XML is kept in `requests` for tests to assert on. Auth is HTTP
Basic (401 with ``WWW-Authenticate: Basic`` otherwise); NTLM is not emulated.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from . import FakeHandler, FakeHTTPServer, Fault, Faults, start_server, stop_server

NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
}
T = f"{{{NS['t']}}}"
M = f"{{{NS['m']}}}"
DISTINGUISHED = {  # id -> (display name, folder class, parent)
    "root": ("", "", None),
    "msgfolderroot": ("Top of Information Store", "IPF.Note", "root"),
    "inbox": ("Inbox", "IPF.Note", "msgfolderroot"),
    "sentitems": ("Sent Items", "IPF.Note", "msgfolderroot"),
    "drafts": ("Drafts", "IPF.Note", "msgfolderroot"),
    "deleteditems": ("Deleted Items", "IPF.Note", "msgfolderroot"),
    "junkemail": ("Junk Email", "IPF.Note", "msgfolderroot"),
    "outbox": ("Outbox", "IPF.Note", "msgfolderroot"),
}


def ews_id() -> str:
    return "AAMkAD" + base64.b64encode(secrets.token_bytes(36)).decode()


@dataclass
class Folder:
    id: str
    name: str
    folder_class: str
    parent_id: str | None
    distinguished: str | None = None
    changekey: str = field(default_factory=lambda: "AQAAABYA" + secrets.token_hex(4))


@dataclass
class Item:
    id: str
    folder_id: str
    mime: bytes
    received: datetime
    changekey: str = field(default_factory=lambda: "CQAAABYA" + secrets.token_hex(4))


class FakeEws:
    """One mailbox behind an EWS endpoint; use as a context manager."""

    def __init__(self, address: str, username: str, password: str, auth: str = "basic") -> None:
        """auth "basic" (HTTP Basic) or "ntlm" (the NTLMv2 handshake, verified against the password)."""
        self.address, self.username, self._password, self.auth = address, username, password, auth
        self.ntlm_logins: list[tuple[str, str]] = []  # (domain, user) of each verified NTLM handshake
        self._lock = threading.RLock()
        self.folders: dict[str, Folder] = {}
        self.items: dict[str, Item] = {}
        self.sent: list[tuple[str, bytes, str | None]] = []  # (disposition, MIME, saved-to folder name)
        self.requests: list[tuple[str, bytes]] = []  # (operation, request XML)
        self._ids = itertools.count(1)
        by_name: dict[str, str] = {}
        for dist, (name, cls, parent) in DISTINGUISHED.items():
            folder = Folder(ews_id(), name, cls, by_name.get(parent) if parent else None, dist)
            by_name[dist] = folder.id
            self.folders[folder.id] = folder
        self.server: FakeHTTPServer = start_server(_EwsHandler, self)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/EWS/Exchange.asmx"

    def __enter__(self) -> FakeEws:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        stop_server(self.server)

    @property
    def faults(self) -> Faults:
        return self.server.faults

    def check_auth(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == (self.username, self._password)

    # -- state ---------------------------------------------------------------------

    def folder(self, ref: str) -> Folder | None:
        """By id, distinguished id, or display name."""
        with self._lock:
            if ref in self.folders:
                return self.folders[ref]
            return next((f for f in self.folders.values() if ref in (f.distinguished, f.name)), None)

    def add_folder(self, name: str, parent: str = "msgfolderroot") -> Folder:
        """A folder created by someone else (Outlook, an admin, another poller)."""
        with self._lock:
            above = self.folder(parent)
            assert above is not None, parent
            folder = Folder(ews_id(), name, "IPF.Note", above.id)
            self.folders[folder.id] = folder
            return folder

    def deliver(self, mime: bytes, received: datetime | None = None, folder: str = "inbox") -> str:
        with self._lock:
            target = self.folder(folder)
            assert target is not None, folder
            item = Item(ews_id(), target.id, mime, received or datetime.now(UTC))
            self.items[item.id] = item
            return item.id

    def items_in(self, folder: str) -> list[Item]:
        target = self.folder(folder)
        return [i for i in self.items.values() if target is not None and i.folder_id == target.id]

    def operations(self) -> list[str]:
        return [op for op, _ in self.requests]

    def fail_once(self, op: str, code: str, text: str, message_xml: str = "", status: int = 200,
                  action: Callable[[], object] | None = None) -> None:
        """Answer the next `op` request with a documented error response message (ResponseClass="Error")."""
        xml = f"<m:MessageXml>{message_xml}</m:MessageXml>" if message_xml else ""
        body = _envelope(f"<m:{op}Response>" + _messages([_error(op, code, text, xml)]) + f"</m:{op}Response>")
        self.faults.add(Fault("status", status, {"Content-Type": "text/xml; charset=utf-8"}, body.encode(),
                              body_part=f"<m:{op}".encode(), action=action))

    def server_busy_once(self, op: str, back_off_ms: int = 5000) -> None:
        """The throttling answer EWS documents: ErrorServerBusy with BackOffMilliseconds."""
        self.fail_once(op, "ErrorServerBusy", "The server cannot service this request right now. Try again later.",
                       f'<t:Value Name="BackOffMilliseconds">{back_off_ms}</t:Value>')

    # -- operations (each returns the inner XML of the Body) ------------------------------

    def handle(self, op: str, req: ET.Element) -> str:
        with self._lock:
            handler = getattr(self, f"op_{op}", None)
            if handler is None:
                raise _Fault("a:ErrorInvalidRequest", f"The fake does not implement {op}.")
            inner: str = handler(req)
            return f"<m:{op}Response>{inner}</m:{op}Response>"

    def _folder_ref(self, parent: ET.Element | None) -> Folder | None:
        if parent is None:
            return None
        for ref in parent:
            if ref.tag in (T + "FolderId", T + "DistinguishedFolderId"):
                return self.folder(ref.get("Id", ""))
        return None

    def op_GetFolder(self, req: ET.Element) -> str:
        out = []
        for ref in req.find("m:FolderIds", NS) or []:
            folder = self.folder(ref.get("Id", ""))
            if folder is None:
                out.append(_error("GetFolder", "ErrorFolderNotFound", "The specified folder could not be found in "
                                  "the store.", "<m:Folders/>"))
            else:
                out.append(_ok("GetFolder", f"<m:Folders>{self._folder_xml(folder)}</m:Folders>"))
        return _messages(out)

    def op_FindFolder(self, req: ET.Element) -> str:
        if req.get("Traversal") != "Shallow":
            raise _Fault("a:ErrorInvalidRequest", "The fake only does Shallow FindFolder.")
        offset, limit = _paging(req.find("m:IndexedPageFolderView", NS))
        out = []
        for ref in req.find("m:ParentFolderIds", NS) or []:
            parent = self.folder(ref.get("Id", ""))
            if parent is None:
                out.append(_error("FindFolder", "ErrorFolderNotFound", "The specified folder could not be found."))
                continue
            kids = [f for f in self.folders.values() if f.parent_id == parent.id]
            page = kids[offset:offset + limit]
            last = "true" if offset + len(page) >= len(kids) else "false"
            out.append(_ok("FindFolder", f'<m:RootFolder IndexedPagingOffset="{offset + len(page)}" '
                           f'TotalItemsInView="{len(kids)}" IncludesLastItemInRange="{last}">'
                           f'<t:Folders>{"".join(self._folder_xml(f) for f in page)}</t:Folders></m:RootFolder>'))
        return _messages(out)

    def op_CreateFolder(self, req: ET.Element) -> str:
        parent = self._folder_ref(req.find("m:ParentFolderId", NS))
        if parent is None:
            return _messages([_error("CreateFolder", "ErrorFolderNotFound", "The parent folder was not found.")])
        out = []
        for spec in req.find("m:Folders", NS) or []:
            name = spec.findtext("t:DisplayName", "", NS)
            if any(f.parent_id == parent.id and f.name.lower() == name.lower() for f in self.folders.values()):
                out.append(_error("CreateFolder", "ErrorFolderExists", "A folder with the specified name already "
                                  "exists.", "<m:Folders/>"))
                continue
            folder = Folder(ews_id(), name, spec.findtext("t:FolderClass", "IPF.Note", NS), parent.id)
            self.folders[folder.id] = folder
            out.append(_ok("CreateFolder", f'<m:Folders><t:Folder><t:FolderId Id="{folder.id}" ChangeKey='
                           f'"{folder.changekey}"/></t:Folder></m:Folders>'))
        return _messages(out)

    def op_FindItem(self, req: ET.Element) -> str:
        if req.get("Traversal") != "Shallow":
            raise _Fault("a:ErrorInvalidRequest", "The fake only does Shallow FindItem.")
        fields = {f.get("FieldURI") for f in req.iter(T + "FieldURI")}
        offset, limit = _paging(req.find("m:IndexedPageItemView", NS))
        order = req.find("m:SortOrder/t:FieldOrder", NS)
        out = []
        for ref in req.find("m:ParentFolderIds", NS) or []:
            folder = self.folder(ref.get("Id", ""))
            if folder is None:
                out.append(_error("FindItem", "ErrorFolderNotFound", "The specified folder could not be found."))
                continue
            items = [i for i in self.items.values() if i.folder_id == folder.id]
            if order is not None:
                items.sort(key=lambda i: i.received, reverse=order.get("Order") == "Descending")
            page = items[offset:offset + limit]
            xml = "".join(self._item_xml(i, fields) for i in page)
            last = "true" if offset + len(page) >= len(items) else "false"
            out.append(_ok("FindItem", f'<m:RootFolder IndexedPagingOffset="{offset + len(page)}" '
                           f'TotalItemsInView="{len(items)}" IncludesLastItemInRange="{last}">'
                           f"<t:Items>{xml}</t:Items></m:RootFolder>"))
        return _messages(out)

    def op_GetItem(self, req: ET.Element) -> str:
        fields = {f.get("FieldURI") for f in req.iter(T + "FieldURI")}
        out = []
        for ref in req.find("m:ItemIds", NS) or []:
            item = self.items.get(ref.get("Id", ""))
            if item is None:
                out.append(_error("GetItem", "ErrorItemNotFound", "The specified object was not found in the store.",
                                  "<m:Items/>"))
            else:
                out.append(_ok("GetItem", f"<m:Items>{self._item_xml(item, fields)}</m:Items>"))
        return _messages(out)

    def op_MoveItem(self, req: ET.Element) -> str:
        target = self._folder_ref(req.find("m:ToFolderId", NS))
        out = []
        for ref in req.find("m:ItemIds", NS) or []:
            if target is None:
                out.append(_error("MoveItem", "ErrorToFolderNotFound", "The specified destination folder could not "
                                  "be found.", "<m:Items/>"))
                continue
            item = self.items.pop(ref.get("Id", ""), None)
            if item is None:
                out.append(_error("MoveItem", "ErrorItemNotFound", "The specified object was not found in the store.",
                                  "<m:Items/>"))
                continue
            moved = Item(ews_id(), target.id, item.mime, item.received)  # a move gives the item a new id
            self.items[moved.id] = moved
            out.append(_ok("MoveItem", f'<m:Items><t:Message><t:ItemId Id="{moved.id}" ChangeKey='
                           f'"{moved.changekey}"/></t:Message></m:Items>'))
        return _messages(out)

    def op_CreateItem(self, req: ET.Element) -> str:
        disposition = req.get("MessageDisposition", "SaveOnly")
        saved = self._folder_ref(req.find("m:SavedItemFolderId", NS))
        out = []
        for msg in req.find("m:Items", NS) or []:
            content = msg.findtext("t:MimeContent", None, NS)
            if content is None:
                out.append(_error("CreateItem", "ErrorInvalidRequest", "The fake only takes MimeContent.",
                                  "<m:Items/>"))
                continue
            mime = base64.b64decode(content)
            saved_to = None
            if disposition == "SendAndSaveCopy":
                folder = saved or self.folder("sentitems")
                assert folder is not None
                copy = Item(ews_id(), folder.id, mime, datetime.now(UTC))
                self.items[copy.id] = copy
                saved_to = folder.name
            self.sent.append((disposition, mime, saved_to))
            out.append(_ok("CreateItem", "<m:Items/>"))
        return _messages(out)

    # -- XML pieces ------------------------------------------------------------------------

    def _folder_xml(self, f: Folder) -> str:
        parent = self.folders.get(f.parent_id or "")
        kids = sum(1 for c in self.folders.values() if c.parent_id == f.id)
        count = sum(1 for i in self.items.values() if i.folder_id == f.id)
        parts = [f'<t:FolderId Id="{f.id}" ChangeKey="{f.changekey}"/>']
        if parent is not None:
            parts.append(f'<t:ParentFolderId Id="{parent.id}" ChangeKey="{parent.changekey}"/>')
        if f.folder_class:
            parts.append(f"<t:FolderClass>{f.folder_class}</t:FolderClass>")
        parts.append(f"<t:DisplayName>{escape(f.name)}</t:DisplayName><t:TotalCount>{count}</t:TotalCount>"
                     f"<t:ChildFolderCount>{kids}</t:ChildFolderCount>")
        if f.distinguished:
            parts.append(f"<t:DistinguishedFolderId>{f.distinguished}</t:DistinguishedFolderId>")
        parts.append(f"<t:UnreadCount>{count}</t:UnreadCount>")
        return f"<t:Folder>{''.join(parts)}</t:Folder>"

    def _item_xml(self, i: Item, fields: set[str | None]) -> str:
        parts = []
        if "item:MimeContent" in fields:
            parts.append(f'<t:MimeContent CharacterSet="UTF-8">{base64.b64encode(i.mime).decode()}</t:MimeContent>')
        parts.append(f'<t:ItemId Id="{i.id}" ChangeKey="{i.changekey}"/>')
        if "item:DateTimeReceived" in fields:
            parts.append(f"<t:DateTimeReceived>{i.received.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}</t:DateTimeReceived>")
        return f"<t:Message>{''.join(parts)}</t:Message>"


def _paging(view: ET.Element | None) -> tuple[int, int]:
    """(Offset, MaxEntriesReturned) of an IndexedPage*View (BasePoint="Beginning" assumed)."""
    if view is None:
        return 0, 1000
    return int(view.get("Offset", "0")), int(view.get("MaxEntriesReturned", "1000"))


class _Fault(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


def _ok(op: str, inner: str) -> str:
    return f'<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' \
           f"{inner}</m:{op}ResponseMessage>"


def _error(op: str, code: str, text: str, inner: str = "") -> str:
    return f'<m:{op}ResponseMessage ResponseClass="Error"><m:MessageText>{escape(text)}</m:MessageText>' \
           f"<m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{inner}" \
           f"</m:{op}ResponseMessage>"


def _messages(parts: list[str]) -> str:
    return f"<m:ResponseMessages>{''.join(parts)}</m:ResponseMessages>"


def _envelope(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s={quoteattr(NS["s"])}>'
        '<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2" '
        'MinorBuildNumber="3" Version="V2017_07_11" '
        'xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>'
        f'<s:Body xmlns:m={quoteattr(NS["m"])} xmlns:t={quoteattr(NS["t"])} '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"{body}</s:Body></s:Envelope>"
    )


def _soap_fault(code: str, text: str) -> str:
    return _envelope(
        f"<s:Fault><faultcode xmlns:a={quoteattr(NS['t'])}>{code}</faultcode>"
        f"<faultstring xml:lang=\"en-US\">{escape(text)}</faultstring>"
        f"<detail><e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">"
        f"{code.split(':')[-1]}</e:ResponseCode><e:Message xmlns:e=\"http://schemas.microsoft.com/exchange/"
        f"services/2006/errors\">{escape(text)}</e:Message></detail></s:Fault>")


class _EwsHandler(FakeHandler):
    def route(self, method: str, body: bytes) -> None:
        ews: FakeEws = self.server.owner
        if method != "POST" or not self.path.lower().startswith("/ews/exchange.asmx"):
            self.reply(404)
            return
        if ews.auth == "ntlm" and not self._ntlm(ews):
            return
        if ews.auth != "ntlm" and not ews.check_auth(self.headers.get("Authorization", "")):
            self.reply(401, b"", {"WWW-Authenticate": 'Basic realm="127.0.0.1"'})
            return
        try:
            envelope = ET.fromstring(body)
            request = next(iter(envelope.find("s:Body", NS) or []))
        except (ET.ParseError, StopIteration):
            self._xml(500, _soap_fault("a:ErrorSchemaValidation", "The request failed schema validation."))
            return
        op = request.tag.removeprefix(M)
        ews.requests.append((op, body))
        try:
            self._xml(200, _envelope(ews.handle(op, request)))
        except _Fault as f:
            self._xml(500, _soap_fault(f.code, f.text))

    def _xml(self, status: int, text: str) -> None:
        self.reply(status, text.encode(), {"Content-Type": "text/xml; charset=utf-8"})

    # NTLM authenticates the connection, not the request (MS-NLMP over HTTP): the handler
    # object lives as long as its keep-alive connection, so it holds the handshake state.
    _ntlm_challenge: bytes | None = None
    _ntlm_ok = False

    def _ntlm(self, ews: FakeEws) -> bool:
        """True when this connection is authenticated; otherwise answer the next handshake step."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("NTLM "):
            if self._ntlm_ok:
                return True
            self.reply(401, b"", {"WWW-Authenticate": "NTLM"})
            return False
        blob = base64.b64decode(header[5:])
        kind = int.from_bytes(blob[8:12], "little") if blob[:8] == b"NTLMSSP\0" else 0
        if kind == 1:  # NEGOTIATE -> CHALLENGE
            self._ntlm_challenge = secrets.token_bytes(8)
            token = base64.b64encode(ntlm_challenge(self._ntlm_challenge)).decode()
            self.reply(401, b"", {"WWW-Authenticate": f"NTLM {token}"})
            return False
        if kind == 3 and self._ntlm_challenge is not None:  # AUTHENTICATE
            domain, user, nt_response = ntlm_authenticate_fields(blob)
            if f"{domain}\\{user}".lower() == ews.username.lower() and ntlmv2_valid(
                    ews._password, user, domain, self._ntlm_challenge, nt_response):
                self._ntlm_ok = True
                ews.ntlm_logins.append((domain, user))
                return True
        self._ntlm_ok, self._ntlm_challenge = False, None
        self.reply(401, b"", {"WWW-Authenticate": "NTLM"})
        return False


# -- NTLM (MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE, 2.2.1.3 AUTHENTICATE_MESSAGE, 3.3.2 NTLMv2) --------


def ntlm_challenge(server_challenge: bytes, domain: str = "LAHSA", host: str = "EXCH01") -> bytes:
    """A CHALLENGE_MESSAGE with target info (the AV pairs NTLMv2 clients fold into their proof)."""
    flags = (0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00010000 | 0x00080000 | 0x00800000
             | 0x02000000 | 0x20000000 | 0x40000000 | 0x80000000)  # UNICODE .. NTLM, ESS, TARGET_INFO, 128, 56
    name = domain.encode("utf-16-le")
    filetime = int((datetime.now(UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)

    def av(av_id: int, value: bytes) -> bytes:
        return av_id.to_bytes(2, "little") + len(value).to_bytes(2, "little") + value

    info = (av(2, name) + av(1, host.encode("utf-16-le")) + av(4, f"{domain.lower()}.org".encode("utf-16-le"))
            + av(3, f"{host.lower()}.{domain.lower()}.org".encode("utf-16-le"))
            + av(7, filetime.to_bytes(8, "little")) + av(0, b""))
    header_len = 56
    name_off, info_off = header_len, header_len + len(name)

    def fields(length: int, offset: int) -> bytes:
        return length.to_bytes(2, "little") * 2 + offset.to_bytes(4, "little")

    version = bytes([10, 0]) + (17763).to_bytes(2, "little") + b"\0\0\0\x0f"
    return (b"NTLMSSP\0" + (2).to_bytes(4, "little") + fields(len(name), name_off) + flags.to_bytes(4, "little")
            + server_challenge + b"\0" * 8 + fields(len(info), info_off) + version + name + info)


def ntlm_authenticate_fields(blob: bytes) -> tuple[str, str, bytes]:
    """(domain, user, NtChallengeResponse) of an AUTHENTICATE_MESSAGE (Unicode strings assumed)."""

    def field(at: int) -> bytes:
        length = int.from_bytes(blob[at:at + 2], "little")
        offset = int.from_bytes(blob[at + 4:at + 8], "little")
        return blob[offset:offset + length]

    nt_response = field(20)
    domain, user = field(28).decode("utf-16-le"), field(36).decode("utf-16-le")
    return domain, user, nt_response


def ntlmv2_valid(password: str, user: str, domain: str, server_challenge: bytes, nt_response: bytes) -> bool:
    """NTProofStr == HMAC_MD5(NTOWFv2, ServerChallenge + temp), NTOWFv2 from MD4 of the password."""
    from spnego._ntlm_raw.md4 import md4  # OpenSSL 3 has no MD4; pyspnego ships its own primitive

    if len(nt_response) <= 16:
        return False  # NTLMv1: not accepted, as modern Exchange does not
    key = hmac.new(md4(password.encode("utf-16-le")), (user.upper() + domain).encode("utf-16-le"), "md5").digest()
    proof, temp = nt_response[:16], nt_response[16:]
    return hmac.compare_digest(hmac.new(key, server_challenge + temp, "md5").digest(), proof)


def as_dict(fake: FakeEws) -> dict[str, Any]:
    """A compact view of the store for assertion messages."""
    return {f.name or f.distinguished or f.id: [i.id for i in fake.items.values() if i.folder_id == f.id]
            for f in fake.folders.values()}

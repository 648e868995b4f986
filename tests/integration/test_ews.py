"""EwsMailbox and EwsSender (exchangelib) against an in-process EWS SOAP fake over plain http.

What these prove and what they cannot: docs/graph-ews.md.
"""

from __future__ import annotations

import base64
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from exchangelib import close_connections

from bot.mailboxes.base import MailboxError, RawMessage
from bot.mailboxes.ews import EwsMailbox
from bot.outbox.senders.base import PermanentSendError, TransientSendError, UnknownOutcomeError
from bot.outbox.senders.ews import EwsSender
from bot.outbox.senders.graph import mime_bytes
from tests.fakes import Fault
from tests.fakes.ews_server import NS, FakeEws

pytestmark = pytest.mark.integration

ADDRESS = "JoinHMIS@lahsa.org"
USER, PASSWORD = "LAHSA\\svc-hmisbot", "ews-secret"
T0 = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


def mime(n: int, body: str = "Please set up our program in HMIS.") -> bytes:
    return (f"From: Program Manager <pm{n}@sunrisefc.org>\r\nTo: {ADDRESS}\r\nSubject: Program setup {n}\r\n"
            f"Message-ID: <p{n}@sunrisefc.org>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n").encode()


@pytest.fixture
def ews() -> Iterator[FakeEws]:
    with FakeEws(ADDRESS, USER, PASSWORD) as fake:
        yield fake
    close_connections()  # exchangelib caches one protocol (and its sessions) per endpoint


@pytest.fixture
def make_box(ews: FakeEws) -> Iterator[Callable[..., EwsMailbox]]:
    made: list[EwsMailbox] = []

    def make(**kw: Any) -> EwsMailbox:
        kw.setdefault("password", PASSWORD)
        box = EwsMailbox("join", ADDRESS, ews.url, USER, auth_type="basic", timeout=5, **kw)
        made.append(box)
        return box

    yield make
    for box in made:
        box.close()


def requests_of(ews: FakeEws, op: str) -> list[ET.Element]:
    """The operation elements (m:FindItem, ...) of every request exchangelib sent for op."""
    found = []
    for name, body in ews.requests:
        if name == op:
            body_el = ET.fromstring(body).find("s:Body", NS)
            assert body_el is not None
            found.append(body_el[0])
    return found


# -- mailbox ---------------------------------------------------------------------------------


def test_list_is_oldest_first_across_finditem_pages(ews: FakeEws, make_box: Any) -> None:
    received = [T0 + timedelta(minutes=m) for m in (30, 10, 50, 20, 40)]
    ids = [ews.deliver(mime(i), at) for i, at in enumerate(received)]
    box = make_box(page_size=2)

    listing = box.list_pending()

    assert listing.keys == tuple(i for _, i in sorted(zip(received, ids, strict=True)))
    assert listing.uidvalidity is None
    finds = requests_of(ews, "FindItem")
    assert [f.find("m:IndexedPageItemView", NS).get("Offset") for f in finds] == ["0", "2", "4"]  # type: ignore[union-attr]
    order = finds[0].find("m:SortOrder/t:FieldOrder", NS)
    assert order is not None and order.get("Order") == "Ascending"
    assert order.find("t:FieldURI", NS).get("FieldURI") == "item:DateTimeReceived"  # type: ignore[union-attr]
    assert finds[0].find("m:ParentFolderIds/t:DistinguishedFolderId", NS).get("Id") == "inbox"  # type: ignore[union-attr]
    assert ews.operations()[:2] == ["GetFolder", "GetFolder"]  # root, inbox: no autodiscover, no version probe


def test_fetch_returns_the_mime_exchange_holds(ews: FakeEws, make_box: Any) -> None:
    raw = mime(1, "Firma: José Núñez — Program Manager\r\n.\r\nline after a lone dot")
    keep = ews.deliver(raw, T0)
    gone = ews.deliver(mime(2), T0 + timedelta(minutes=1))
    box = make_box()
    keys = box.list_pending().keys
    ews.op_MoveItem(ET.fromstring(  # moved away by a person between listing and fetching
        f'<m:MoveItem xmlns:m="{NS["m"]}" xmlns:t="{NS["t"]}"><m:ToFolderId><t:DistinguishedFolderId '
        f'Id="deleteditems"/></m:ToFolderId><m:ItemIds><t:ItemId Id="{gone}"/></m:ItemIds></m:MoveItem>'))

    fetched = list(box.fetch(keys))

    assert [(m.key, m.data, m.received_at) for m in fetched] == [(keep, raw, T0)]
    get = requests_of(ews, "GetItem")[0]
    assert {f.get("FieldURI") for f in get.iter(f"{{{NS['t']}}}FieldURI")} >= {"item:MimeContent"}
    assert [i.get("Id") for i in get.find("m:ItemIds", NS) or []] == [keep, gone]


def test_settle_creates_the_folder_under_msgfolderroot_once(ews: FakeEws, make_box: Any) -> None:
    ids = [ews.deliver(mime(i), T0 + timedelta(minutes=i)) for i in range(3)]
    box = make_box()
    box.list_pending()

    box.settle(RawMessage("join", ids[0], b""), "processed")
    box.settle(RawMessage("join", ids[1], b""), "processed")
    box.settle(RawMessage("join", ids[2], b""), "review")

    creates = requests_of(ews, "CreateFolder")
    assert [c.find("m:ParentFolderId/t:DistinguishedFolderId", NS).get("Id") for c in creates] == [  # type: ignore[union-attr]
        "msgfolderroot", "msgfolderroot"]
    assert [c.findtext("m:Folders/t:Folder/t:DisplayName", None, NS) for c in creates] == ["Processed", "Needs Review"]
    assert [i.mime for i in ews.items_in("Processed")] == [mime(0), mime(1)]
    assert [i.mime for i in ews.items_in("Needs Review")] == [mime(2)]
    assert ews.items_in("inbox") == []
    processed = ews.folder("Processed")
    assert processed is not None
    moves = requests_of(ews, "MoveItem")
    assert moves[0].find("m:ToFolderId/t:FolderId", NS).get("Id") == processed.id  # type: ignore[union-attr]
    assert ews.folder("Processed").parent_id == ews.folder("msgfolderroot").id  # type: ignore[union-attr]


def test_settle_uses_an_existing_folder_and_survives_a_creation_race(ews: FakeEws, make_box: Any) -> None:
    ews.add_folder("PROCESSED")
    ids = [ews.deliver(mime(i), T0 + timedelta(minutes=i)) for i in range(2)]
    box = make_box()
    box.settle(RawMessage("join", ids[0], b""), "processed")
    assert requests_of(ews, "CreateFolder") == [] and len(ews.items_in("PROCESSED")) == 1

    ews.fail_once("CreateFolder", "ErrorFolderExists", "A folder with the specified name already exists.",
                  action=lambda: ews.add_folder("Needs Review"))
    box.settle(RawMessage("join", ids[1], b""), "review")
    assert len(ews.items_in("Needs Review")) == 1


def test_settling_an_item_that_is_gone_is_fine(ews: FakeEws, make_box: Any) -> None:
    box = make_box()
    box.settle(RawMessage("join", "AAMkADgone", b""), "processed")  # ErrorItemNotFound: logged only
    assert ews.folder("Processed") is not None


def test_a_named_watched_folder_under_the_root(ews: FakeEws, make_box: Any) -> None:
    ews.add_folder("HMIS Intake")
    mid = ews.deliver(mime(1), T0, folder="HMIS Intake")
    ews.deliver(mime(2), T0)  # Inbox: not ours
    box = make_box(folder="hmis intake")
    assert box.list_pending().keys == (mid,)
    assert [m.data for m in box.fetch([mid])] == [mime(1)]


def test_server_trouble_surfaces_as_mailbox_error(ews: FakeEws, make_box: Any) -> None:
    ews.deliver(mime(1), T0)
    box = make_box()
    ews.server_busy_once("FindItem")
    with pytest.raises(MailboxError, match="ErrorServerBusy"):
        box.list_pending()
    ews.faults.add(Fault("status", 503, {"Content-Length": "0"}, body_part=b"<m:FindItem"))
    with pytest.raises(MailboxError, match="503"):
        box.list_pending()
    ews.faults.add(Fault("drop", body_part=b"<m:FindItem"))
    with pytest.raises(MailboxError):
        box.list_pending()
    assert len(box.list_pending().keys) == 1  # and then it simply works again

    wrong = make_box(password="wrong")
    with pytest.raises(MailboxError, match=r"Unauthorized|credentials"):
        wrong.list_pending()


def test_unreachable_server_is_a_mailbox_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
        box = EwsMailbox("join", ADDRESS, f"http://127.0.0.1:{s.getsockname()[1]}/EWS/Exchange.asmx", USER,
                         PASSWORD, auth_type="basic", timeout=2)
        try:
            with pytest.raises(MailboxError):
                box.list_pending()
        finally:
            box.close()
            close_connections()


def test_passwords_stay_out_of_repr_and_debug_logs(ews: FakeEws, make_box: Any,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    box = make_box()
    caplog.set_level("DEBUG", logger="exchangelib")
    box.list_pending()
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in repr(box) and "Request headers" in caplog.text
    assert basic not in caplog.text and PASSWORD not in caplog.text


# -- sender ------------------------------------------------------------------------------------


def reply() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "LAHSA HMIS <JoinHMIS@lahsa.org>"
    m["To"] = "José Núñez <jnunez@sunrisefc.org>"
    m["Subject"] = "Your program is set up in HMIS — please confirm"
    m["Message-ID"] = make_msgid(domain="lahsa.org")
    m.set_content("Please reply to confirm.\n.\nA line with a lone dot above must survive.\n")
    m.add_attachment(b"%PDF-1.4 setup", maintype="application", subtype="pdf", filename="setup.pdf")
    return m


@pytest.fixture
def make_sender(ews: FakeEws) -> Iterator[Callable[..., EwsSender]]:
    made: list[EwsSender] = []

    def make(**kw: Any) -> EwsSender:
        kw.setdefault("service_endpoint", ews.url)
        kw.setdefault("password", PASSWORD)
        kw.setdefault("timeout", 5)
        sender = EwsSender(ADDRESS, username=USER, auth_type="basic", **kw)
        made.append(sender)
        return sender

    yield make
    for s in made:
        s.close()


def test_send_and_save_copy_carries_the_exact_mime(ews: FakeEws, make_sender: Any) -> None:
    msg = reply()
    make_sender().send(msg)
    (create,) = requests_of(ews, "CreateItem")
    assert create.get("MessageDisposition") == "SendAndSaveCopy"
    assert create.find("m:SavedItemFolderId/t:DistinguishedFolderId", NS).get("Id") == "sentitems"  # type: ignore[union-attr]
    content = create.findtext("m:Items/t:Message/t:MimeContent", None, NS)
    assert content is not None and base64.b64decode(content) == mime_bytes(msg)
    assert ews.sent == [("SendAndSaveCopy", mime_bytes(msg), "Sent Items")]
    assert [i.mime for i in ews.items_in("sentitems")] == [mime_bytes(msg)]


def test_send_only_saves_no_copy(ews: FakeEws, make_sender: Any) -> None:
    make_sender(save_copy=False).send(reply())
    (create,) = requests_of(ews, "CreateItem")
    assert create.get("MessageDisposition") == "SendOnly" and create.find("m:SavedItemFolderId", NS) is None
    assert ews.items_in("sentitems") == [] and len(ews.sent) == 1


def test_refused_message_is_permanent_busy_server_is_transient(ews: FakeEws, make_sender: Any) -> None:
    sender = make_sender()
    ews.fail_once("CreateItem", "ErrorInvalidRecipients", "At least one recipient isn't valid.")
    with pytest.raises(PermanentSendError, match="ErrorInvalidRecipients"):
        sender.send(reply())
    ews.server_busy_once("CreateItem")
    with pytest.raises(TransientSendError, match="ErrorServerBusy") as caught:
        sender.send(reply())
    assert not isinstance(caught.value, UnknownOutcomeError)
    ews.fail_once("CreateItem", "ErrorSendAsDenied", "The user account which was used to submit this request "
                  "does not have the right to send mail on behalf of the specified sending account.")
    with pytest.raises(TransientSendError, match="ErrorSendAsDenied"):
        sender.send(reply())
    with pytest.raises(TransientSendError):
        make_sender(password="wrong").send(reply())
    assert ews.sent == []


def test_lost_answers_are_unknown_outcomes(ews: FakeEws, make_sender: Any) -> None:
    sender = make_sender(timeout=0.5)
    sender.send(reply())  # warm up: GetFolder root/sentitems are not what we are testing
    ews.faults.add(Fault("drop", body_part=b"<m:CreateItem"))
    with pytest.raises(UnknownOutcomeError):
        sender.send(reply())
    ews.faults.add(Fault("stall", seconds=1.5, body_part=b"<m:CreateItem"))
    with pytest.raises(UnknownOutcomeError, match=r"Timeout|timed out"):
        sender.send(reply())


def test_unreachable_server_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        sender = EwsSender(ADDRESS, f"http://127.0.0.1:{s.getsockname()[1]}/EWS/Exchange.asmx", USER, PASSWORD,
                           auth_type="basic", save_copy=False, timeout=2)
        try:
            with pytest.raises(TransientSendError, match="not sent") as caught:
                sender.send(reply())
            assert not isinstance(caught.value, UnknownOutcomeError)
        finally:
            sender.close()
            close_connections()


def test_ntlm_handshake_with_the_right_password_only() -> None:
    with FakeEws(ADDRESS, USER, PASSWORD, auth="ntlm") as fake:
        mid = fake.deliver(mime(1), T0)
        good = EwsMailbox("join", ADDRESS, fake.url, USER, PASSWORD, timeout=5)  # auth_type defaults to NTLM
        bad = EwsMailbox("join", ADDRESS, fake.url, USER, "wrong", timeout=5)
        try:
            assert good.list_pending().keys == (mid,)
            assert [m.data for m in good.fetch([mid])] == [mime(1)]
            assert fake.ntlm_logins[0] == ("LAHSA", "svc-hmisbot")
            with pytest.raises(MailboxError):
                bad.list_pending()
        finally:
            good.close()
            bad.close()
            close_connections()


def test_a_deleted_target_folder_is_created_again(ews: FakeEws, make_box: Any) -> None:
    a, b = ews.deliver(mime(1), T0), ews.deliver(mime(2), T0 + timedelta(minutes=1))
    box = make_box()
    box.settle(RawMessage("join", a, b""), "processed")
    old = ews.folder("Processed")
    assert old is not None
    del ews.folders[old.id]  # deleted by a person, mail and all
    ews.items = {k: i for k, i in ews.items.items() if i.folder_id != old.id}

    with pytest.raises(MailboxError):
        box.settle(RawMessage("join", b, b""), "processed")  # the cached id is stale once
    box.settle(RawMessage("join", b, b""), "processed")
    assert [i.mime for i in ews.items_in("Processed")] == [mime(2)]

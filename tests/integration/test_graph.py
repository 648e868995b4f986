"""GraphMailbox and GraphSender against an in-process Graph fake (and a fake Entra ID for MSAL).

What these prove and what they cannot: docs/graph-ews.md.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from bot.mailboxes.base import MailboxError, RawMessage
from bot.mailboxes.graph import GRAPH_SCOPE, GraphMailbox
from bot.mailboxes.oauth import MsalTokenProvider, OAuthError
from bot.outbox.senders.base import PermanentSendError, TransientSendError, UnknownOutcomeError
from bot.outbox.senders.graph import GraphSender, GraphThrottled, mime_bytes
from tests.fakes import Fault, make_tls_cert, server_tls_context
from tests.fakes.graph_server import FakeAzureAD, FakeGraph

pytestmark = pytest.mark.integration

ADDRESS = "LAHSA.Training@lahsa.org"
T0 = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


class Tokens:
    """A token provider that hands out tok-1, tok-2, ... and says which ones Graph accepts."""

    def __init__(self, graph: FakeGraph, accepted_from: int = 1) -> None:
        self.graph, self.accepted_from, self.calls = graph, accepted_from, 0

    def __call__(self) -> str:
        self.calls += 1
        token = f"tok-{self.calls}"
        if self.calls >= self.accepted_from:
            self.graph.tokens.add(token)
        return token


def mime(n: int, body: str = "Attached is our signed agreement.") -> bytes:
    return (f"From: Case Manager <cm{n}@hopeharbor.org>\r\nTo: {ADDRESS}\r\n"
            f"Subject: Agreement {n}\r\nMessage-ID: <m{n}@hopeharbor.org>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{body}\r\n").encode()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(ADDRESS) as fake:
        yield fake


@pytest.fixture
def make_box(graph: FakeGraph) -> Iterator[Callable[..., tuple[GraphMailbox, list[float]]]]:
    """GraphMailbox factory on the fake; returns (mailbox, the sleeps it asked for)."""
    made: list[GraphMailbox] = []

    def make(**kw: Any) -> tuple[GraphMailbox, list[float]]:
        sleeps: list[float] = []
        kw.setdefault("token_provider", Tokens(graph))
        kw.setdefault("base_url", graph.base_url)
        box = GraphMailbox("training", ADDRESS, timeout=5, sleep=sleeps.append, **kw)
        made.append(box)
        return box, sleeps

    yield make
    for box in made:
        box.close()


def delta_calls(graph: FakeGraph) -> list[dict[str, Any]]:
    return [r for r in graph.requests if r["segments"][-1] == "delta"]


# -- listing -----------------------------------------------------------------------------


def test_delta_pages_then_delta_link_lists_only_changes(graph: FakeGraph, make_box: Any) -> None:
    graph.page_cap = 2  # five messages -> three pages joined by @odata.nextLink
    received = [T0 + timedelta(minutes=m) for m in (30, 10, 50, 20, 40)]
    ids = [graph.deliver(ADDRESS, mime(i), at) for i, at in enumerate(received)]
    box, _ = make_box()

    first = box.list_pending()

    oldest_first = [i for _, i in sorted(zip(received, ids, strict=True))]
    assert first.keys == tuple(oldest_first)
    assert first.uidvalidity is None
    calls = delta_calls(graph)
    assert len(calls) == 3
    assert calls[0]["query"] == {"$select": "receivedDateTime"}
    assert calls[0]["headers"]["Prefer"] == "odata.maxpagesize=50"
    assert "$skiptoken" in calls[1]["query"] and "$skiptoken" in calls[2]["query"]
    assert box.delta_link == graph.delta_responses[-1]["@odata.deltaLink"]

    new = graph.deliver(ADDRESS, mime(9), T0 + timedelta(hours=2))
    second = box.list_pending()

    follow_up = delta_calls(graph)[3:]
    assert len(follow_up) == 1 and "$deltatoken" in follow_up[0]["query"]
    assert [item["id"] for item in graph.delta_responses[-1]["value"]] == [new]  # only the change travelled
    assert second.keys == (*oldest_first, new)


def test_settled_and_elsewhere_moved_mail_leaves_the_listing(graph: FakeGraph, make_box: Any) -> None:
    a = graph.deliver(ADDRESS, mime(1), T0)
    b = graph.deliver(ADDRESS, mime(2), T0 + timedelta(minutes=1))
    c = graph.deliver(ADDRESS, mime(3), T0 + timedelta(minutes=2))
    box, _ = make_box()
    assert box.list_pending().keys == (a, b, c)

    box.settle(RawMessage("training", a, b""), "processed")
    graph.move(graph.box(ADDRESS), b, "deleteditems")  # a person moved it away in Outlook

    assert box.list_pending().keys == (c,)
    removed = [i for i in graph.delta_responses[-1]["value"] if "@removed" in i]
    assert {i["id"] for i in removed} == {a, b}


def test_expired_delta_state_restarts_with_a_full_round(graph: FakeGraph, make_box: Any) -> None:
    a = graph.deliver(ADDRESS, mime(1), T0)
    c = graph.deliver(ADDRESS, mime(3), T0 + timedelta(minutes=1))
    box, _ = make_box()
    box.list_pending()
    b = graph.deliver(ADDRESS, mime(2), T0 + timedelta(minutes=5))
    graph.move(graph.box(ADDRESS), c, "archive")  # the full round will not mention c at all
    graph.expire_delta_tokens()

    assert box.list_pending().keys == (a, b)
    calls = delta_calls(graph)[1:]
    assert "$deltatoken" in calls[0]["query"] and calls[1]["query"] == {"$select": "receivedDateTime"}


def test_a_link_to_another_host_is_not_followed(graph: FakeGraph, make_box: Any) -> None:
    page = b'{"value": [], "@odata.nextLink": "https://evil.example/v1.0/steal?$skiptoken=x"}'
    graph.faults.add(Fault("status", 200, {"Content-Type": "application/json"}, page, path_part="/delta"))
    box, _ = make_box()
    with pytest.raises(MailboxError, match="another host"):
        box.list_pending()


def test_named_watched_folder_is_found_under_the_root(graph: FakeGraph, make_box: Any) -> None:
    box_state = graph.box(ADDRESS)
    root = box_state.folder("msgfolderroot")
    assert root is not None
    graph.create_folder(box_state, root, "HMIS Intake")
    intake = graph.folder_named(ADDRESS, "HMIS Intake")
    assert intake is not None
    mid = graph.deliver(ADDRESS, mime(1), T0, folder=intake.id)
    graph.deliver(ADDRESS, mime(2), T0)  # in the Inbox: not ours
    box, _ = make_box(folder="hmis intake")
    assert box.list_pending().keys == (mid,)


# -- fetch ---------------------------------------------------------------------------------


def test_fetch_returns_the_stored_mime_bytes(graph: FakeGraph, make_box: Any) -> None:
    raw = mime(1, "Firma: José Núñez — Executive Director\r\n.\r\nline after a lone dot")
    mid = graph.deliver(ADDRESS, raw, T0)
    gone = graph.deliver(ADDRESS, mime(2), T0 + timedelta(minutes=1))
    box, _ = make_box()
    keys = box.list_pending().keys
    graph.move(graph.box(ADDRESS), gone, "archive")  # moved between listing and fetching

    fetched = list(box.fetch(keys))

    assert [m.key for m in fetched] == [mid]
    assert fetched[0].data == raw
    assert fetched[0].received_at == T0
    assert fetched[0].mailbox == "training" and fetched[0].uidvalidity is None
    value_call = next(r for r in graph.requests if r["segments"][-1] == "$value")
    assert value_call["path"].endswith("/$value") and value_call["segments"][-2] == mid


# -- settle --------------------------------------------------------------------------------


def test_settle_creates_the_missing_folder_once_and_moves(graph: FakeGraph, make_box: Any) -> None:
    ids = [graph.deliver(ADDRESS, mime(i), T0 + timedelta(minutes=i)) for i in range(3)]
    box, _ = make_box()
    box.list_pending()
    assert graph.folder_named(ADDRESS, "Processed") is None

    box.settle(RawMessage("training", ids[0], b""), "processed")
    box.settle(RawMessage("training", ids[1], b""), "processed")
    box.settle(RawMessage("training", ids[2], b""), "review")

    creates = [r for r in graph.requests if r["method"] == "POST" and r["segments"][-1] == "childFolders"]
    assert [r["segments"][-2] for r in creates] == ["msgfolderroot", "msgfolderroot"]
    assert [r["body"] for r in creates] == [b'{"displayName":"Processed"}', b'{"displayName":"Needs Review"}']
    assert len(graph.messages_in(ADDRESS, "Processed")) == 2
    assert [m.mime for m in graph.messages_in(ADDRESS, "Needs Review")] == [mime(2)]
    assert graph.messages_in(ADDRESS, "inbox") == []
    moves = [r for r in graph.requests if r["segments"][-1] == "move"]
    processed = graph.folder_named(ADDRESS, "Processed")
    assert processed is not None and moves[0]["body"] == f'{{"destinationId":"{processed.id}"}}'.encode()


def test_settle_finds_an_existing_folder_across_pages_and_case(graph: FakeGraph, make_box: Any) -> None:
    graph.page_cap = 3
    state = graph.box(ADDRESS)
    root = state.folder("msgfolderroot")
    assert root is not None
    for name in ("Zeta", "Yellow", "Xray", "PROCESSED"):
        graph.create_folder(state, root, name)
    mid = graph.deliver(ADDRESS, mime(1), T0)
    box, _ = make_box()
    box.settle(RawMessage("training", mid, b""), "processed")
    assert not [r for r in graph.requests if r["method"] == "POST" and r["segments"][-1] == "childFolders"]
    assert len(graph.messages_in(ADDRESS, "PROCESSED")) == 1
    assert sum(1 for r in graph.requests if r["segments"][-1] == "childFolders") >= 2  # followed nextLink


def test_settle_when_another_poller_created_the_folder_first(graph: FakeGraph, make_box: Any) -> None:
    state = graph.box(ADDRESS)
    root = state.folder("msgfolderroot")
    assert root is not None
    graph.faults.add(Fault("status", 409, {"Content-Type": "application/json"},
                           b'{"error":{"code":"ErrorFolderExists","message":"A folder with the specified name '
                           b'already exists."}}', path_part="childFolders", method="POST",
                           action=lambda: graph.create_folder(state, root, "Processed")))
    mid = graph.deliver(ADDRESS, mime(1), T0)
    box, _ = make_box()
    box.settle(RawMessage("training", mid, b""), "processed")
    assert len(graph.messages_in(ADDRESS, "Processed")) == 1


def test_settling_a_message_that_is_already_gone_is_fine(graph: FakeGraph, make_box: Any) -> None:
    box, _ = make_box()
    box.settle(RawMessage("training", "AAMkADgone=", b""), "review")  # 404 from move: logged, not raised
    assert graph.folder_named(ADDRESS, "Needs Review") is not None


# -- throttling, outages, tokens ----------------------------------------------------------------


def test_429_is_retried_after_retry_after(graph: FakeGraph, make_box: Any) -> None:
    mid = graph.deliver(ADDRESS, mime(1), T0)
    graph.throttle_once(retry_after=7, path_part="/delta")
    graph.throttle_once(retry_after=3, path_part="/$value", status=503)
    box, sleeps = make_box()
    assert box.list_pending().keys == (mid,)
    assert [m.data for m in box.fetch([mid])] == [mime(1)]
    assert sleeps == [7.0, 3.0]
    assert [f[0] for f in graph.faults.fired] == ["status", "status"]


def test_throttling_beyond_the_bounds_surfaces_as_mailbox_error(graph: FakeGraph, make_box: Any) -> None:
    graph.throttle_once(retry_after=3600, path_part="/delta")
    box, sleeps = make_box()
    with pytest.raises(MailboxError, match="429"):
        box.list_pending()
    assert sleeps == []  # an hour is the caller's backoff to wait, not a poller thread's

    for _ in range(4):
        graph.throttle_once(retry_after=1, path_part="/delta")
    with pytest.raises(MailboxError, match="429"):
        box.list_pending()
    assert sleeps == [1.0, 1.0, 1.0]


def test_401_gets_one_fresh_token(graph: FakeGraph, make_box: Any) -> None:
    tokens = Tokens(graph, accepted_from=2)  # tok-1 is "expired"
    mid = graph.deliver(ADDRESS, mime(1), T0)
    box, _ = make_box(token_provider=tokens)
    assert box.list_pending().keys == (mid,)
    assert tokens.calls == 2
    assert [r["headers"]["Authorization"] for r in graph.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert [m.key for m in box.fetch([mid])] == [mid]  # the fresh token is kept
    assert tokens.calls == 2


def test_a_second_401_is_an_error_not_a_loop(graph: FakeGraph, make_box: Any) -> None:
    box, _ = make_box(token_provider=Tokens(graph, accepted_from=99))
    with pytest.raises(MailboxError, match="401"):
        box.list_pending()
    assert len(graph.requests) == 2


def test_unreachable_graph_dropped_connections_and_token_failures(graph: FakeGraph, make_box: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
        dead, _ = make_box(base_url=f"http://127.0.0.1:{s.getsockname()[1]}/v1.0")
        with pytest.raises(MailboxError, match="ConnectError"):
            dead.list_pending()

    def no_token() -> str:
        raise OAuthError("token request to https://login.microsoftonline.com/x failed")

    no_auth, _ = make_box(token_provider=no_token)
    with pytest.raises(MailboxError, match="no Graph token"):
        no_auth.list_pending()

    mid = graph.deliver(ADDRESS, mime(1), T0)
    box, _ = make_box()
    box.list_pending()
    graph.faults.add(Fault("drop", path_part="/$value"))
    with pytest.raises(MailboxError, match="RemoteProtocolError"):
        list(box.fetch([mid]))
    assert [m.key for m in box.fetch([mid])] == [mid]  # the next call simply works


def test_wait_sleeps_and_never_claims_new_mail(make_box: Any) -> None:
    box, sleeps = make_box()
    assert box.wait(42) is False
    assert sleeps == [42]


def test_msal_tokens_from_a_fake_entra_id(graph: FakeGraph, tmp_path: Path) -> None:
    cert, key = make_tls_cert(tmp_path)
    aad = FakeAzureAD(server_tls_context(cert, key), "lahsa-tenant", "app-id", "s3cret", graph=graph)
    provider = MsalTokenProvider("lahsa-tenant", "app-id", "s3cret", scopes=[GRAPH_SCOPE],
                                 authority_host=aad.authority_host, verify=str(cert), timeout=5)
    mid = graph.deliver(ADDRESS, mime(1), T0)
    box = GraphMailbox("training", ADDRESS, provider, base_url=graph.base_url, timeout=5, sleep=lambda s: None)
    try:
        graph.expire_token_once(path_part="/$value")
        assert box.list_pending().keys == (mid,)
        assert [m.data for m in box.fetch([mid])] == [mime(1)]
        assert aad.token_requests[0]["scope"] == GRAPH_SCOPE
        assert aad.token_requests[0]["grant_type"] == "client_credentials"
        # The injected 401 drops MSAL's cached token, so a second one is fetched and used.
        assert len(aad.issued) == 2
        assert {r["headers"]["Authorization"] for r in graph.requests} == {f"Bearer {t}" for t in aad.issued}
        bad = MsalTokenProvider("lahsa-tenant", "app-id", "wrong", scopes=[GRAPH_SCOPE],
                                authority_host=aad.authority_host, verify=str(cert), timeout=5)
        with pytest.raises(OAuthError, match="invalid_client"):
            bad()
    finally:
        box.close()
        aad.close()


# -- sender ----------------------------------------------------------------------------------------


def reply() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "LAHSA HMIS <HMISsupport@lahsa.org>"
    m["To"] = "José Núñez <jnunez@hopeharbor.org>"
    m["Subject"] = "Your HMIS agreement was received — next steps"
    m["Message-ID"] = make_msgid(domain="lahsa.org")
    m["In-Reply-To"] = "<m1@hopeharbor.org>"
    m.set_content("Thank you.\n.\nA line with a lone dot above must survive.\n")
    m.add_attachment(b"%PDF-1.4 countersigned", maintype="application", subtype="pdf", filename="agreement.pdf")
    return m


@pytest.fixture
def make_sender(graph: FakeGraph) -> Iterator[Callable[..., GraphSender]]:
    made: list[GraphSender] = []

    def make(**kw: Any) -> GraphSender:
        kw.setdefault("token_provider", Tokens(graph))
        kw.setdefault("base_url", graph.base_url)
        sender = GraphSender("HMISsupport@lahsa.org", **kw)
        made.append(sender)
        return sender

    graph.add_mailbox("HMISsupport@lahsa.org")
    yield make
    for s in made:
        s.close()


def test_sendmail_carries_the_exact_mime_base64(graph: FakeGraph, make_sender: Any) -> None:
    msg = reply()
    make_sender().send(msg)
    call = next(r for r in graph.requests if r["segments"][-1] == "sendMail")
    assert call["method"] == "POST" and call["segments"][2] == "HMISsupport@lahsa.org"
    assert call["headers"]["Content-Type"] == "text/plain"
    assert base64.b64decode(call["body"], validate=True) == mime_bytes(msg)
    assert graph.sent == [("HMISsupport@lahsa.org", mime_bytes(msg))]
    assert b"\r\n" in mime_bytes(msg) and b"\n" not in mime_bytes(msg).replace(b"\r\n", b"")


@pytest.mark.parametrize(("status", "retry_after", "code"), [(503, "30", "ServiceUnavailable"),
                                                              (429, "12", "TooManyRequests"),
                                                              (500, None, "InternalServerError")])
def test_throttling_and_5xx_are_transient(graph: FakeGraph, make_sender: Any, status: int,
                                          retry_after: str | None, code: str) -> None:
    headers = {"Content-Type": "application/json", **({"Retry-After": retry_after} if retry_after else {})}
    graph.faults.add(Fault("status", status, headers, b'{"error":{"code":"%s","message":"x"}}' % code.encode(),
                           path_part="sendMail"))
    with pytest.raises(GraphThrottled) as caught:
        make_sender().send(reply())
    assert caught.value.retry_after == (float(retry_after) if retry_after else None)
    assert code in str(caught.value)
    assert graph.sent == []


def test_400_is_permanent(graph: FakeGraph, make_sender: Any) -> None:
    graph.fail_once(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.", path_part="sendMail")
    with pytest.raises(PermanentSendError, match="ErrorInvalidRecipients"):
        make_sender().send(reply())


def test_401_refreshes_the_token_once_and_sends(graph: FakeGraph, make_sender: Any) -> None:
    tokens = Tokens(graph, accepted_from=2)
    make_sender(token_provider=tokens).send(reply())
    assert tokens.calls == 2 and len(graph.sent) == 1


def test_403_and_missing_token_stay_queued(graph: FakeGraph, make_sender: Any) -> None:
    graph.fail_once(403, "ErrorAccessDenied", "Access is denied.", path_part="sendMail")
    with pytest.raises(TransientSendError, match=r"Mail\.Send") as caught:
        make_sender().send(reply())
    assert not isinstance(caught.value, PermanentSendError)

    def no_token() -> str:
        raise OAuthError("token refused by https://login.microsoftonline.com/x: invalid_client")

    with pytest.raises(TransientSendError, match="invalid_client"):
        make_sender(token_provider=no_token).send(reply())


def test_connection_dropped_after_the_request_is_unknown_outcome(graph: FakeGraph, make_sender: Any) -> None:
    graph.faults.add(Fault("drop", path_part="sendMail"))
    with pytest.raises(UnknownOutcomeError):
        make_sender().send(reply())


def test_timeout_after_the_request_is_unknown_outcome(graph: FakeGraph, make_sender: Any) -> None:
    graph.faults.add(Fault("stall", seconds=1.5, path_part="sendMail"))
    with pytest.raises(UnknownOutcomeError, match="ReadTimeout"):
        make_sender(timeout=0.3).send(reply())


def test_unreachable_graph_is_transient(graph: FakeGraph, make_sender: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1.0"  # bound, never listening: refused
        with pytest.raises(TransientSendError, match="not reached") as caught:
            make_sender(base_url=dead).send(reply())
    assert not isinstance(caught.value, UnknownOutcomeError)


def test_a_deleted_target_folder_is_found_again(graph: FakeGraph, make_box: Any) -> None:
    a = graph.deliver(ADDRESS, mime(1), T0)
    b = graph.deliver(ADDRESS, mime(2), T0 + timedelta(minutes=1))
    box, _ = make_box()
    box.list_pending()
    box.settle(RawMessage("training", a, b""), "processed")
    state = graph.box(ADDRESS)
    old = graph.folder_named(ADDRESS, "Processed")
    assert old is not None
    del state.folders[old.id]  # a person deleted the folder in Outlook (with the mail in it)
    state.messages = {k: m for k, m in state.messages.items() if m.folder_id != old.id}

    box.settle(RawMessage("training", b, b""), "processed")

    assert [m.mime for m in graph.messages_in(ADDRESS, "Processed")] == [mime(2)]
    assert box.list_pending().keys == ()

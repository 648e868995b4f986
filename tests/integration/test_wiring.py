"""`backend: graph` and `backend: ews` wired through App, end to end, and across a restart.

The bot is configured as an operator would (mailboxes.yaml with the three LAHSA
addresses on Graph or EWS, ``send`` on the same backend) and driven through
``bot.service.poll_all`` against the in-process fakes in tests/fakes (127.0.0.1 only):
a Graph fake plus a fake Entra ID that MSAL really talks to over TLS, and one EWS fake
per mailbox (NTLM for reading, basic for sending).

The restart is the point. The Graph mailbox keeps its deltaLink in memory only (not
persisted yet), so a new App starts with a full delta round and lists every message
still in the Inbox. Mail that was decided before the restart but not moved (a move
that failed after the commit) and mail a person dragged back to the Inbox must be
recognised by the poller's dedupe (mailbox/uidvalidity/id, then Message-ID + sha256),
only moved, and never answered twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from exchangelib import close_connections
from sqlmodel import Session, select

from bot.app import App, build_sender
from bot.clock import parse_now
from bot.config import Config, load_config
from bot.mailboxes.graph import GRAPH_SCOPE, GraphMailbox
from bot.mailboxes.oauth import OUTLOOK_SCOPE, MsalTokenProvider
from bot.service import poll_all
from bot.store.db import init_db
from bot.store.models import OutboxRow, SeenMessage
from tests.fakes import make_tls_cert, server_tls_context
from tests.fakes.ews_server import FakeEws, ews_id
from tests.fakes.ews_server import Item as EwsItem
from tests.fakes.graph_server import FakeAzureAD, FakeGraph
from tests.support.pipeline import demo_mail, message_id, parse

pytestmark = pytest.mark.integration

ADDRESS = {"training": "LAHSA.Training@lahsa.org", "support": "HMISsupport@lahsa.org", "join": "JoinHMIS@lahsa.org"}
SENDER = ADDRESS["support"]
NOW = "2026-11-30T10:00:00-08:00"  # a Monday, office hours
T0 = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
TENANT, CLIENT_ID, CLIENT_SECRET = "lahsa-tenant", "7a1f3c52-app", "graph-client-secret"
EWS_USER, EWS_PASSWORD = "LAHSA\\svc-hmisbot", "ews-secret"
ACCESS = "hmis.access@lahsa.org"
STAFF = {
    "implementation": {"primary": "hmis.implementation@lahsa.org", "backup": "hmis.implementation.backup@lahsa.org"},
    "training": {"primary": "hmis.training@lahsa.org"},
    "access": {"primary": ACCESS, "backup": "hmis.supervisor@lahsa.org"},
}
# Demo mail by subject -> (outcome, the reply it earns or None); as in test_pipeline_imap.
E2E = {
    "Signed HMIS Organization Agreement - Hope Harbor": ("processed", "receipt"),  # a text-layer PDF
    "Question": ("review", None),  # a stranger, not about CES: a person looks, nobody answers
    "Locked out of HMIS": ("processed", "receipt"),  # and a hand-off to the access duty
    "Forms": ("review", "resend"),  # a broken PDF: its sender must send it again
    "Program setup for CES - Hope Harbor Services": ("processed", "receipt"),
    "HMIS 10 acknowledgement": ("processed", "wrong_inbox"),
    "Automatic reply: Program setup": ("processed", None),
}
# Arrives while the bot is down: a scanned user agreement (OCR), answered "not ready yet"
# because the organisation has no agreement on file at that point.
LATE = "User Agreement - James Carter"
LATE_OUTCOME = ("processed", "not_ready")
LEASE_RUNS_OUT = 1.2  # seconds: past limits.send_lease_seconds (1) in base_config


# -- mail and helpers -------------------------------------------------------------------------


def base_config(tmp_path: Path, db_url: str, mailboxes: dict[str, Any], send: dict[str, Any]) -> Config:
    # A one-second lease: only the instance that decided a message may move it until its
    # lease runs out, and the restart below comes after that (as a real one would).
    data = {"database": db_url, "timezone": "America/Los_Angeles", "archive_dir": "archive", "send": send,
            "mailboxes": mailboxes, "staff": STAFF, "limits": {"send_lease_seconds": 1}}
    path = tmp_path / "mailboxes.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


def start_app(config: Config) -> App:
    app = App.build(config, parse_now(NOW, ZoneInfo(config.timezone)))
    init_db(app.engine)
    return app


def seen_rows(app: App) -> list[SeenMessage]:
    with Session(app.engine) as s:
        return list(s.exec(select(SeenMessage)).all())


def outbox_rows(app: App) -> list[OutboxRow]:
    with Session(app.engine) as s:
        return list(s.exec(select(OutboxRow)).all())


def report_line(reports: list[Any]) -> dict[str, tuple[int, int, int]]:
    """mailbox -> (processed, skipped, failed) of one poll_all."""
    return {r.mailbox: (len(r.handled), r.skipped, len(r.failed)) for r in reports}


def expectations(mail: dict[str, tuple[str, bytes]], late_raw: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """(Message-ID -> outcome, Message-ID -> reply kind) for the E2E mail plus the late one."""
    outcomes = {message_id(raw): E2E[subject][0] for subject, (_, raw) in mail.items()}
    replies = {message_id(raw): kind for subject, (_, raw) in mail.items() if (kind := E2E[subject][1])}
    outcomes[message_id(late_raw)], replies[message_id(late_raw)] = LATE_OUTCOME
    return outcomes, replies


def check_replies(sent: list[bytes], expected: dict[str, str]) -> None:
    """One reply per answered message (threaded, of the expected kind), and one hand-off."""
    mails = [parse(raw) for raw in sent]
    replies = [m for m in mails if m["In-Reply-To"]]
    assert Counter(str(m["In-Reply-To"]) for m in replies) == Counter(list(expected))  # exactly once each
    assert {str(m["In-Reply-To"]): str(m["X-HMISbot-Kind"]) for m in replies} == expected
    assert all(str(m["In-Reply-To"]) in str(m["References"]) for m in replies)
    handoffs = [m for m in mails if not m["In-Reply-To"]]
    assert [(str(m["X-HMISbot-Kind"]), str(m["To"])) for m in handoffs] == [("support_handoff", ACCESS)]
    assert all(SENDER in str(m["From"]) for m in mails)


def check_seen(app: App, expected: dict[str, str]) -> None:
    """One decided row per Message-ID, with its outcome, settled on the server."""
    rows = [s for s in seen_rows(app) if s.outcome != "baseline"]
    assert Counter(s.message_id for s in rows) == Counter(list(expected))  # nothing decided twice
    assert {s.message_id: s.outcome for s in rows} == expected
    assert all(s.settled for s in rows)


# -- MsalTokenProvider.invalidate -----------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_tls_cert(tmp_path_factory.mktemp("entra"), "entra")


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(*ADDRESS.values()) as fake:
        yield fake


@pytest.fixture
def entra(graph: FakeGraph, tls_cert: tuple[Path, Path]) -> Iterator[FakeAzureAD]:
    aad = FakeAzureAD(server_tls_context(*tls_cert), TENANT, CLIENT_ID, CLIENT_SECRET, graph=graph)
    yield aad
    aad.close()


def test_invalidate_drops_the_cached_token(entra: FakeAzureAD, tls_cert: tuple[Path, Path]) -> None:
    provider = MsalTokenProvider(TENANT, CLIENT_ID, CLIENT_SECRET, [GRAPH_SCOPE],
                                 authority_host=entra.authority_host, verify=str(tls_cert[0]), timeout=5)
    provider.invalidate()  # before first use: nothing cached, and no request made
    assert entra.token_requests == []

    first = provider()
    assert provider() == first and len(entra.issued) == 1  # MSAL's cache answers the second call

    provider.invalidate()
    second = provider()
    assert second != first and entra.issued == [first, second]
    assert provider() == second and len(entra.token_requests) == 2  # cached again until the next invalidate


def test_a_401_makes_the_graph_mailbox_fetch_a_new_token(graph: FakeGraph, entra: FakeAzureAD,
                                                         tls_cert: tuple[Path, Path]) -> None:
    provider = MsalTokenProvider(TENANT, CLIENT_ID, CLIENT_SECRET, [GRAPH_SCOPE],
                                 authority_host=entra.authority_host, verify=str(tls_cert[0]), timeout=5)
    mid = graph.deliver(ADDRESS["training"], b"Subject: x\r\n\r\nbody\r\n", T0)
    box = GraphMailbox("training", ADDRESS["training"], provider, base_url=graph.base_url, timeout=5,
                       sleep=lambda s: None)
    try:
        assert box.list_pending().keys == (mid,)
        graph.tokens.discard(entra.issued[0])  # revoked: MSAL still thinks it valid for an hour
        assert [m.key for m in box.fetch([mid])] == [mid]
        assert len(entra.issued) == 2
        value_calls = [r for r in graph.requests if r["segments"][-1] == "$value"]
        assert [r["headers"]["Authorization"] for r in value_calls] == [f"Bearer {t}" for t in entra.issued]
    finally:
        box.close()


# -- Graph, end to end and across a restart ------------------------------------------------------------


@pytest.fixture
def graph_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMISBOT_TEST_GRAPH_SECRET", CLIENT_SECRET)


def graph_config(tmp_path: Path, db_url: str, graph: FakeGraph, entra: FakeAzureAD, cafile: Path) -> Config:
    oauth2 = {"tenant": TENANT, "client_id": CLIENT_ID, "secret_env": "HMISBOT_TEST_GRAPH_SECRET",
              "authority": entra.authority_host}
    common = {"backend": "graph", "oauth2": oauth2, "service_endpoint": graph.base_url, "ca_file": str(cafile)}
    mailboxes = {name: {"address": address, **common, "folder": "Inbox", "processed_folder": "Processed",
                        "review_folder": "Needs Review"} for name, address in ADDRESS.items()}
    send = {**common, "from": f"LAHSA HMIS <{SENDER}>"}
    return base_config(tmp_path, db_url, mailboxes, send)


def graph_folder(graph: FakeGraph, name: str, folder: str) -> list[bytes]:
    return sorted(m.mime for m in graph.messages_in(ADDRESS[name], folder))


def test_graph_backend_end_to_end_and_a_restart_without_delta_link(
        graph: FakeGraph, entra: FakeAzureAD, tls_cert: tuple[Path, Path], graph_secret: None, db_url: str,
        tmp_path: Path) -> None:
    config = graph_config(tmp_path, db_url, graph, entra, tls_cert[0])
    names = list(config.mailboxes)

    app = start_app(config)
    reports, _ = poll_all(app, names)  # first contact: empty inboxes, nothing left as baseline
    assert report_line(reports) == dict.fromkeys(names, (0, 0, 0))

    mail = {subject: demo_mail(subject) for subject in E2E}
    ids = {}
    for n, (subject, (inbox, raw)) in enumerate(mail.items()):
        ids[subject] = graph.deliver(ADDRESS[inbox], raw, T0 + timedelta(minutes=n))
    # The first move (training's oldest: the agreement) fails after its decision was committed,
    # as if the bot had died between the commit and the move.
    graph.fail_once(500, "ErrorInternalServerError", "An internal server error occurred.", path_part="/move",
                    method="POST")

    reports, sent = poll_all(app, names)

    # training stopped at the failed move (the report counts only the failure; its second
    # message waits); the others went through.
    assert report_line(reports) == {"training": (0, 0, 1), "support": (2, 0, 0), "join": (3, 0, 0)}
    assert "ErrorInternalServerError" in reports[0].failed[0]
    assert sent["sent"] == 6 and sent["failed"] == 0 and sent["unknown"] == 0
    agreement = "Signed HMIS Organization Agreement - Hope Harbor"
    assert [m.id for m in graph.messages_in(ADDRESS["training"], "inbox")] == [ids[agreement], ids["Question"]]
    app.close()

    # While the bot is down: new mail arrives, and a person drags an answered message back.
    late_inbox, late_raw = demo_mail(LATE)
    graph.deliver(ADDRESS[late_inbox], late_raw, T0 + timedelta(hours=1))
    [locked_out] = [m for m in graph.messages_in(ADDRESS["support"], "Processed")
                    if message_id(m.mime) == message_id(mail["Locked out of HMIS"][1])]
    graph.move(graph.box(ADDRESS["support"]), locked_out.id, "inbox")  # a new id, the same bytes
    before = len(graph.requests)

    time.sleep(LEASE_RUNS_OUT)
    restarted = start_app(config)  # a new process: no deltaLink, so a full round per mailbox
    reports, sent = poll_all(restarted, names)

    deltas = [r for r in graph.requests[before:] if r["segments"][-1] == "delta"]
    assert [r["query"] for r in deltas] == [{"$select": "receivedDateTime"}] * 3  # from scratch, one page each
    # training: the agreement only moved (decided before), the Question decided now;
    # support: the dragged-back message only moved, the late user agreement decided now.
    assert report_line(reports) == {"training": (1, 1, 0), "support": (1, 1, 0), "join": (0, 0, 0)}
    assert sent["sent"] == 1 and sent["unknown"] == 0  # the late mail's reply only (the Question gets none)

    expected, replies = expectations(mail, late_raw)
    check_seen(restarted, expected)
    check_replies([raw for _, raw in graph.sent], replies)
    assert {box for box, _ in graph.sent} == {SENDER}  # every send as the From mailbox
    assert len(outbox_rows(restarted)) == len(graph.sent) and {r.status for r in outbox_rows(restarted)} == {"sent"}

    # On the server: every inbox empty, each message in the folder of its outcome, byte for byte.
    everything = {**mail, LATE: (late_inbox, late_raw)}
    for name in ADDRESS:
        assert graph.messages_in(ADDRESS[name], "inbox") == [], name
        for folder, outcome in (("Processed", "processed"), ("Needs Review", "review")):
            want = sorted(raw for _, (inbox, raw) in everything.items()
                          if inbox == name and expected[message_id(raw)] == outcome)
            assert graph_folder(graph, name, folder) == want, (name, folder)

    # Tokens: MSAL asked the fake Entra ID for the Graph scope only, and Graph saw only those tokens.
    assert entra.token_requests and {r["scope"] for r in entra.token_requests} == {GRAPH_SCOPE}
    assert {r["headers"]["Authorization"] for r in graph.requests} <= {f"Bearer {t}" for t in entra.issued}
    restarted.close()


# -- EWS, end to end and across a restart -------------------------------------------------------------------


@dataclass
class EwsFakes:
    servers: dict[str, FakeEws]  # mailbox name -> its own EWS endpoint (the fake holds one mailbox)

    def inbox(self, name: str) -> list[EwsItem]:
        return self.servers[name].items_in("inbox")


@pytest.fixture
def ews_fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[EwsFakes]:
    monkeypatch.setenv("HMISBOT_TEST_EWS_PASSWORD", EWS_PASSWORD)
    servers = {name: FakeEws(address, EWS_USER, EWS_PASSWORD, auth="ntlm" if name != "support" else "basic")
               for name, address in ADDRESS.items()}
    yield EwsFakes(servers)
    for server in servers.values():
        server.close()
    close_connections()  # exchangelib caches one protocol (and its sessions) per endpoint


def ews_config(tmp_path: Path, db_url: str, fakes: EwsFakes) -> Config:
    mailboxes: dict[str, Any] = {}
    for name, address in ADDRESS.items():
        mailboxes[name] = {"address": address, "backend": "ews", "service_endpoint": fakes.servers[name].url,
                           "username": EWS_USER, "password_env": "HMISBOT_TEST_EWS_PASSWORD"}
        if name == "support":
            mailboxes[name]["auth_type"] = "basic"  # the others use the default, NTLM
    send = {"backend": "ews", "service_endpoint": fakes.servers["support"].url, "username": EWS_USER,
            "password_env": "HMISBOT_TEST_EWS_PASSWORD", "auth_type": "basic", "from": f"LAHSA HMIS <{SENDER}>"}
    return base_config(tmp_path, db_url, mailboxes, send)


def test_ews_backend_end_to_end_and_a_restart(ews_fakes: EwsFakes, db_url: str, tmp_path: Path) -> None:
    config = ews_config(tmp_path, db_url, ews_fakes)
    names = list(config.mailboxes)
    servers = ews_fakes.servers

    app = start_app(config)
    reports, _ = poll_all(app, names)
    assert report_line(reports) == dict.fromkeys(names, (0, 0, 0))

    mail = {subject: demo_mail(subject) for subject in E2E}
    ids = {subject: servers[inbox].deliver(raw, T0 + timedelta(minutes=n))
           for n, (subject, (inbox, raw)) in enumerate(mail.items())}
    servers["training"].fail_once("MoveItem", "ErrorInternalServerError", "An internal server error occurred.")

    reports, sent = poll_all(app, names)

    assert report_line(reports) == {"training": (0, 0, 1), "support": (2, 0, 0), "join": (3, 0, 0)}
    assert sent["sent"] == 6 and sent["unknown"] == 0
    agreement = "Signed HMIS Organization Agreement - Hope Harbor"
    assert {i.id for i in ews_fakes.inbox("training")} == {ids[agreement], ids["Question"]}
    app.close()

    late_inbox, late_raw = demo_mail(LATE)
    servers[late_inbox].deliver(late_raw, T0 + timedelta(hours=1))
    support = servers["support"]
    [locked_out] = [i for i in support.items_in("Processed")
                    if message_id(i.mime) == message_id(mail["Locked out of HMIS"][1])]
    inbox_folder = support.folder("inbox")
    assert inbox_folder is not None
    with support._lock:  # dragged back to the Inbox by a person: a new item id, the same MIME
        del support.items[locked_out.id]
        back = EwsItem(ews_id(), inbox_folder.id, locked_out.mime, locked_out.received)
        support.items[back.id] = back

    time.sleep(LEASE_RUNS_OUT)
    restarted = start_app(config)
    reports, sent = poll_all(restarted, names)

    assert report_line(reports) == {"training": (1, 1, 0), "support": (1, 1, 0), "join": (0, 0, 0)}
    assert sent["sent"] == 1 and sent["unknown"] == 0  # the late mail's reply only (the Question gets none)

    expected, replies = expectations(mail, late_raw)
    check_seen(restarted, expected)
    sent_mime = [mime for _, mime, _ in support.sent]
    assert all(disposition == "SendAndSaveCopy" and saved == "Sent Items" for disposition, _, saved in support.sent)
    assert not servers["training"].sent and not servers["join"].sent  # one sending endpoint
    check_replies(sent_mime, replies)
    assert len(outbox_rows(restarted)) == len(sent_mime) and {r.status for r in outbox_rows(restarted)} == {"sent"}

    everything = {**mail, LATE: (late_inbox, late_raw)}
    for name, server in servers.items():
        assert server.items_in("inbox") == [], name
        for folder, outcome in (("Processed", "processed"), ("Needs Review", "review")):
            want = sorted(raw for _, (inbox, raw) in everything.items()
                          if inbox == name and expected[message_id(raw)] == outcome)
            assert sorted(i.mime for i in server.items_in(folder)) == want, (name, folder)
    assert {login for name in ("training", "join") for login in servers[name].ntlm_logins} == {("LAHSA", "svc-hmisbot")}
    restarted.close()


# -- the composition root's choices ---------------------------------------------------------------------


def test_smtp_xoauth2_gets_an_outlook_token_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMISBOT_TEST_GRAPH_SECRET", CLIENT_SECRET)
    oauth2 = {"tenant": TENANT, "client_id": CLIENT_ID, "secret_env": "HMISBOT_TEST_GRAPH_SECRET"}
    mailboxes = {"support": {"address": SENDER, "backend": "imap", "host": "127.0.0.1", "oauth2": oauth2}}
    send = {"backend": "smtp", "host": "127.0.0.1", "oauth2": oauth2, "from": f"LAHSA HMIS <{SENDER}>"}
    config = base_config(tmp_path, "sqlite:///x.sqlite3", mailboxes, send)
    sender = build_sender(config)
    tokens: Callable[[], str] | None = getattr(sender, "_token_provider", None)
    assert isinstance(tokens, MsalTokenProvider) and tokens.scopes == [OUTLOOK_SCOPE]
    assert getattr(sender, "username", None) == SENDER  # XOAUTH2 user= defaults to the From mailbox
    sender.close()

"""Small in-process HTTP servers on 127.0.0.1 that speak documented wire formats.

`graph_server` holds a Microsoft Graph mail fake and a fake Microsoft Entra ID
(Azure AD) token endpoint for MSAL; `ews_server` holds an Exchange Web Services
SOAP fake. This module has what they share: a threaded server on a free loopback
port (optionally TLS), a self-signed certificate for 127.0.0.1, and the "misbehave
once" switches every fake offers (answer with a status, drop the connection, stall).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass
class Fault:
    """What to do to the next `times` requests whose path contains `path_part` (and method)."""

    kind: str  # "status" | "drop" | "stall"
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    path_part: str = ""
    method: str = ""
    body_part: bytes = b""  # e.g. b"<m:CreateItem" to pick one SOAP operation
    times: int = 1
    action: Callable[[], object] | None = None  # run just before answering (to stage a race)

    def matches(self, method: str, path: str, body: bytes = b"") -> bool:
        return self.path_part in path and (not self.method or self.method == method) and self.body_part in body


class Faults:
    """A thread-safe queue of faults; each request takes the first one that matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.fired: list[tuple[str, str, str]] = []  # (kind, method, path) of each fault applied

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str, body: bytes = b"") -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, body):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    self.fired.append((fault.kind, method, path))
                    return fault
        return None


class FakeHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler; subclasses implement `route(method, body)`."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle plus the client's
    # delayed ACK add ~40 ms to every response.
    disable_nagle_algorithm = True
    server: FakeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        return None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.server.faults.take(method, self.path, body)
        if fault is not None and fault.action is not None:
            fault.action()
        if fault is not None and fault.kind == "drop":
            # The request was read, but no answer ever comes: the client cannot know the outcome.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "stall":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            self.reply(fault.status, fault.body, fault.headers)
            return
        self.route(method, body)

    def route(self, method: str, body: bytes) -> None:
        raise NotImplementedError

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    faults: Faults
    owner: Any  # the fake whose state the handler reads


def start_server(handler: type[FakeHandler], owner: Any, tls: ssl.SSLContext | None = None) -> FakeHTTPServer:
    """Serve `handler` on 127.0.0.1:<free port> in a daemon thread; stop with stop_server()."""
    server = FakeHTTPServer((LOOPBACK, 0), handler)
    server.faults = Faults()
    server.owner = owner
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def stop_server(server: FakeHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def make_tls_cert(directory: Path, name: str = "fake") -> tuple[Path, Path]:
    """A self-signed certificate valid for 127.0.0.1 and localhost; returns (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A fixed, wide window: OpenSSL checks it against the kernel's clock, which a
        # moved-clock run (tests/support/moved_clock) does not move.
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context

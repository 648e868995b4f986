"""MsalTokenProvider against a local HTTPS token endpoint on 127.0.0.1 (no real Entra ID).

MSAL insists on an https authority, so the stand-in server uses a throwaway
self-signed certificate, made here with `cryptography` (an msal dependency).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.mailboxes.oauth import MsalTokenProvider, OAuthError

TENANT = "lahsa-tenant-id"
SECRET = "s3cr3t-client-secret"


@dataclass
class TokenEndpoint:
    url: str
    cafile: Path
    token_requests: list[dict[str, str]] = field(default_factory=list)
    answer: tuple[int, dict[str, object]] = (
        200,
        {"token_type": "Bearer", "expires_in": 3600, "access_token": "token-1"},
    )


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A fixed, wide window: OpenSSL checks it against the kernel's clock (see tests/fakes).
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[TokenEndpoint]:
    cert, key = _self_signed(tmp_path)
    state: dict[str, TokenEndpoint] = {}

    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # OIDC discovery
            base = state["ep"].url
            if self.path.startswith(f"/{TENANT}/v2.0/.well-known/openid-configuration"):
                self._json(
                    200,
                    {
                        "issuer": f"{base}/{TENANT}/v2.0",
                        "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
                        "token_endpoint": f"{base}/{TENANT}/oauth2/v2.0/token",
                    },
                )
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            state["ep"].token_requests.append(form)
            self._json(*state["ep"].answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    state["ep"] = TokenEndpoint(url=f"https://127.0.0.1:{httpd.server_address[1]}", cafile=cert)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state["ep"]
    httpd.shutdown()
    httpd.server_close()


def provider_for(ep: TokenEndpoint, **kw: object) -> MsalTokenProvider:
    kw.setdefault("verify", str(ep.cafile))
    kw.setdefault("timeout", 5)
    return MsalTokenProvider(
        TENANT,
        "client-123",
        SECRET,
        ["https://outlook.office365.com/.default"],
        authority_host=ep.url,
        **kw,  # type: ignore[arg-type]
    )


def test_client_credentials_token_is_fetched_once_then_cached(endpoint: TokenEndpoint) -> None:
    provider = provider_for(endpoint)
    assert provider() == "token-1"
    assert provider() == "token-1"
    assert len(endpoint.token_requests) == 1  # the second came from MSAL's cache
    form = endpoint.token_requests[0]
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == "client-123"
    assert form["client_secret"] == SECRET
    assert "https://outlook.office365.com/.default" in form["scope"]


def test_refused_credentials_raise_oauth_error_without_the_secret(endpoint: TokenEndpoint) -> None:
    endpoint.answer = (
        401,
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 42",
        },
    )
    with pytest.raises(OAuthError, match="invalid_client: AADSTS7000215") as info:
        provider_for(endpoint)()
    assert SECRET not in str(info.value)
    assert "Trace ID" not in str(info.value)  # only the first line of the description


def test_unreachable_endpoint_raises_oauth_error(endpoint: TokenEndpoint) -> None:
    dead = TokenEndpoint(url="https://127.0.0.1:9", cafile=endpoint.cafile)  # port 9: nobody listens
    with pytest.raises(OAuthError, match="failed"):
        provider_for(dead, timeout=2)()


def test_untrusted_certificate_raises_oauth_error(endpoint: TokenEndpoint) -> None:
    with pytest.raises(OAuthError):
        provider_for(endpoint, verify=True)()
    assert endpoint.token_requests == []


def test_no_network_until_first_call_and_no_secret_in_repr() -> None:
    provider = MsalTokenProvider(TENANT, "client-123", SECRET)  # would need the internet if it called out
    assert SECRET not in repr(provider)
    assert provider.authority == f"https://login.microsoftonline.com/{TENANT}"
    with pytest.raises(ValueError):
        MsalTokenProvider(TENANT, "client-123", "")

"""Mailbox and sending configuration: backends, credentials named by *_env, OAuth2 scopes."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Literal

from pydantic import (
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from bot.config.base import (
    GRAPH_SCOPE_HOST,
    OUTLOOK_SCOPE_HOSTS,
    ROLE_BY_ADDRESS,
    EwsAuthType,
    MailboxRole,
    Strict,
    parse_duration,
)


class OAuth2(Strict):
    """App-only (client credentials) OAuth2 for Exchange Online, through msal.

    ``scopes`` may stay empty: the adapter asks for its own resource's ``.default``
    scope (Graph for ``backend: graph``, Outlook for IMAP/SMTP XOAUTH2).
    """

    tenant: str
    client_id: str
    secret_env: str
    # The authority host (https://login.microsoftonline.us, ...); the tenant is appended.
    # Only for sovereign clouds or tests.
    authority: str | None = None
    scopes: tuple[str, ...] = ()

    @field_validator("authority")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and not v.lower().startswith("https://"):
            raise ValueError("must be an https:// URL (msal refuses anything else)")
        return v


def _check_ews(backend: str, service_endpoint: str | None, ca_file: str | None) -> None:
    if backend != "ews":
        return
    if not service_endpoint:
        raise ValueError("backend ews needs 'service_endpoint' (the EWS URL; no autodiscover)")
    if ca_file:
        # exchangelib's TLS trust is process-wide (requests), not per account: refuse rather
        # than silently ignore a CA the operator meant to pin.
        raise ValueError("backend ews does not take 'ca_file'; set REQUESTS_CA_BUNDLE for the EWS server's CA")


def _check_credentials(backend: str, password_env: str | None, oauth2: OAuth2 | None) -> None:
    """The credential rules shared by mailboxes and send; a ValueError names the key."""
    if password_env and oauth2:
        raise ValueError(f"backend {backend}: give 'password_env' or 'oauth2', not both")
    if backend == "graph" and not oauth2:
        raise ValueError("backend graph needs 'oauth2' (app-only, Mail.ReadWrite / Mail.Send)")
    if backend == "ews":
        if oauth2:
            raise ValueError("backend ews takes 'password_env' (NTLM or basic), not 'oauth2';"
                             " for Exchange Online use backend graph")
        if not password_env:
            raise ValueError("backend ews needs 'password_env'")
    if oauth2 is None:
        return
    for scope in oauth2.scopes:
        if backend == "graph" and any(host in scope for host in OUTLOOK_SCOPE_HOSTS):
            raise ValueError(f"oauth2.scopes: backend graph needs a Graph scope"
                             f" (https://{GRAPH_SCOPE_HOST}/.default), not {scope}")
        if backend in ("imap", "smtp") and GRAPH_SCOPE_HOST in scope:
            raise ValueError(f"oauth2.scopes: {backend} XOAUTH2 needs the Outlook scope"
                             f" (https://{OUTLOOK_SCOPE_HOSTS[0]}/.default), not {scope}")


class MailboxConfig(Strict):
    address: EmailStr
    role: MailboxRole | None = None
    backend: Literal["imap", "ews", "graph", "maildir"]
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "ssl"
    username: str | None = None
    password_env: str | None = None
    oauth2: OAuth2 | None = None
    path: str | None = None  # maildir root for backend: maildir
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    review_folder: str = "Needs Review"
    poll_every: float = 60.0
    service_endpoint: str | None = None  # EWS URL (required for ews) / Graph base URL override (tests)
    ca_file: str | None = None  # PEM CA bundle to trust instead of the system's (private CA, tests)
    auth_type: EwsAuthType = "NTLM"  # backend ews only: how to log in to the EWS endpoint

    _dur = field_validator("poll_every", mode="before")(classmethod(lambda cls, v: parse_duration(v)))

    @model_validator(mode="after")
    def _backend_needs(self) -> MailboxConfig:
        if self.backend == "maildir" and not self.path:
            raise ValueError("backend maildir needs 'path'")
        if self.backend == "imap" and not self.host:
            raise ValueError("backend imap needs 'host'")
        if self.backend == "imap" and not (self.password_env or self.oauth2):
            raise ValueError("backend imap needs 'password_env' or 'oauth2'")
        _check_ews(self.backend, self.service_endpoint, self.ca_file)
        _check_credentials(self.backend, self.password_env, self.oauth2)
        return self

    @property
    def effective_role(self) -> MailboxRole | None:
        return self.role or ROLE_BY_ADDRESS.get(str(self.address).lower())  # type: ignore[return-value]


class SendConfig(Strict):
    backend: Literal["smtp", "ews", "graph", "outbox_dir"]
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    oauth2: OAuth2 | None = None
    path: str | None = None  # folder for backend: outbox_dir
    service_endpoint: str | None = None  # EWS URL (required for ews) / Graph base URL override (tests)
    ca_file: str | None = None  # PEM CA bundle to trust instead of the system's (private CA, tests)
    auth_type: EwsAuthType = "NTLM"  # backend ews only
    from_: str = Field(alias="from")
    hourly_cap: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _backend_needs(self) -> SendConfig:
        if self.backend == "outbox_dir" and not self.path:
            raise ValueError("backend outbox_dir needs 'path'")
        if self.backend == "smtp" and not self.host:
            raise ValueError("backend smtp needs 'host'")
        _check_ews(self.backend, self.service_endpoint, self.ca_file)
        if self.backend in ("graph", "ews") and not self.sending_address:
            raise ValueError(f"backend {self.backend} sends as a mailbox: 'from' or 'username' needs an address")
        _check_credentials(self.backend, self.password_env, self.oauth2)
        return self

    @property
    def sending_address(self) -> str:
        """The mailbox that sends: the address in 'from', else 'username'; '' when neither has one.

        Graph's sendMail and EWS CreateItem act as one mailbox, and the From header we
        compose should be that mailbox, so 'from' decides; 'username' is the fallback.
        """
        address = parseaddr(self.from_)[1]
        if "@" in address:
            return address
        return self.username if self.username and "@" in self.username else ""

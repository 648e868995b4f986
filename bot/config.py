"""mailboxes.yaml, read into validated pydantic models.

Owns the shape of the configuration and the rule that secrets never live in the
file: every secret is named by an ``*_env`` key and read from the environment only
when an adapter is built. Nothing here does I/O at import time; ``load_config``
is the one function that reads a file, and every problem it finds becomes a
``ConfigError`` naming the file, the key and the problem (the CLI exits 2).
"""

from __future__ import annotations

import os
import re
from datetime import date, time
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

# The three inboxes of the procedure; a mailbox's part is decided by its address.
ROLE_BY_ADDRESS = {
    "lahsa.training@lahsa.org": "training",
    "hmissupport@lahsa.org": "support",
    "joinhmis@lahsa.org": "join",
}
MailboxRole = Literal["training", "support", "join"]

# Keys whose values are secrets: writing one inline is refused.
_SECRET_KEYS = {"password", "secret", "client_secret", "token", "api_key"}
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h)?\s*$")
# A token is good for one resource only: Graph refuses an Outlook token and IMAP/SMTP
# XOAUTH2 refuse a Graph one. These hosts catch that mix-up in scopes written by hand.
_GRAPH_SCOPE_HOST = "graph.microsoft.com"
_OUTLOOK_SCOPE_HOSTS = ("outlook.office365.com", "outlook.office.com")
EwsAuthType = Literal["NTLM", "basic"]


class ConfigError(Exception):
    """An invalid configuration: the message names the file, the key and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def parse_duration(value: str | int | float) -> float:
    """'60s', '5m', '1h' or a number of seconds -> seconds."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"not a duration: {value!r} (use e.g. 60s, 5m, 1h)")
        seconds = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("must be more than zero")
    return seconds


class OAuth2(_Strict):
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
        if backend == "graph" and any(host in scope for host in _OUTLOOK_SCOPE_HOSTS):
            raise ValueError(f"oauth2.scopes: backend graph needs a Graph scope"
                             f" (https://{_GRAPH_SCOPE_HOST}/.default), not {scope}")
        if backend in ("imap", "smtp") and _GRAPH_SCOPE_HOST in scope:
            raise ValueError(f"oauth2.scopes: {backend} XOAUTH2 needs the Outlook scope"
                             f" (https://{_OUTLOOK_SCOPE_HOSTS[0]}/.default), not {scope}")


class MailboxConfig(_Strict):
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


class SendConfig(_Strict):
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


class Duty(_Strict):
    primary: EmailStr
    backup: EmailStr | None = None


class StaffConfig(_Strict):
    implementation: Duty
    training: Duty
    access: Duty


_SCHEDULE = re.compile(r"^(weekdays|daily)\s+([01]\d|2[0-3]):([0-5]\d)$")


class Schedule(_Strict):
    digest: str = "weekdays 07:30"
    reminders: str = "weekdays 09:00"
    escalation_after_business_days: int = Field(default=3, ge=1, le=30)
    reminder_every_business_days: int = Field(default=3, ge=1, le=30)
    review_escalation_business_days: int = Field(default=2, ge=1, le=30)
    stalled_mailbox_after: float = 900.0

    @field_validator("digest", "reminders")
    @classmethod
    def _when(cls, v: str) -> str:
        if not _SCHEDULE.match(v.strip()):
            raise ValueError(f"{v!r}: use 'weekdays HH:MM' or 'daily HH:MM'")
        return v.strip()

    _dur = field_validator("stalled_mailbox_after", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )

    @staticmethod
    def at(spec: str) -> tuple[str, time]:
        match = _SCHEDULE.match(spec)
        assert match, spec  # validated above
        return match.group(1), time(int(match.group(2)), int(match.group(3)))


class Limits(_Strict):
    max_message_mb: float = Field(default=35.0, gt=0)
    max_attachment_mb: float = Field(default=25.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    reply_window_minutes: int = Field(default=60, ge=0)
    replies_per_window: int = Field(default=5, ge=1)  # automatic replies to one sender per window
    send_lease_seconds: int = Field(default=120, ge=1)  # a crashed sender's claim expires after this


_SCRYPT_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")


class WebUser(_Strict):
    """A LAHSA staff member who may log in to ``hmisbot web`` (hash: ``python -m bot.web.auth``)."""

    name: str = Field(min_length=1)
    email: EmailStr
    password_hash: str

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        # The inline-secret scan does not look inside lists: say it here, in the same words.
        if isinstance(data, dict) and "password" in data:
            raise ValueError("password: secrets must not be written in the file; give password_hash"
                             " (python -m bot.web.auth makes one)")
        return data

    @field_validator("password_hash")
    @classmethod
    def _hash(cls, v: str) -> str:
        if not _SCRYPT_HASH.match(v):
            raise ValueError("not an scrypt hash; make one with: python -m bot.web.auth")
        return v


class WebConfig(_Strict):
    """The staff site. Off by default: with neither users nor a trusted header, nobody gets in."""

    users: tuple[WebUser, ...] = ()
    # A header set by a reverse proxy that has already authenticated the user (e.g. X-Forwarded-User).
    # Off by default: anyone who can reach the port directly could send it.
    trusted_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]+$")
    session_secret_env: str | None = None  # signs session cookies; unset: a new secret each start

    @field_validator("users")
    @classmethod
    def _unique(cls, v: tuple[WebUser, ...]) -> tuple[WebUser, ...]:
        emails = [str(u.email).lower() for u in v]
        if len(set(emails)) != len(emails):
            raise ValueError("the same email is listed twice")
        return v


class Config(_Strict):
    database: str
    timezone: str = "America/Los_Angeles"
    archive_dir: str
    send: SendConfig
    mailboxes: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")], MailboxConfig]
    staff: StaffConfig
    schedule: Schedule = Schedule()
    limits: Limits = Limits()
    closures: tuple[date, ...] = ()  # extra office closure dates
    trusted_authserv_ids: tuple[str, ...] = ()  # RFC 8601 authserv-id of our own MTA
    # Who may send training completion rosters besides the training duty (e.g. the training website).
    trusted_roster_senders: tuple[EmailStr, ...] = ()
    retention_years: int = Field(default=7, ge=1)
    web: WebConfig | None = None  # `hmisbot web`, the staff site
    # Names this instance's scheduler job table: APScheduler 3 must not share one between processes.
    instance: str = Field(default="main", pattern=r"^[a-z0-9_]{1,20}$")
    base_dir: Path = Path(".")  # the config file's folder; relative paths resolve against it

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _roles_covered(self) -> Config:
        if not self.mailboxes:
            raise ValueError("at least one mailbox is needed")
        seen: dict[str, str] = {}
        for name, box in self.mailboxes.items():
            role = box.effective_role
            if role is None:
                raise ValueError(
                    f"mailboxes.{name}: address {box.address} is not one of LAHSA's three inboxes;"
                    " add 'role: training|support|join'"
                )
            if role in seen:
                raise ValueError(f"mailboxes.{name}: role {role} is already played by {seen[role]}")
            seen[role] = name
        return self

    def resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else (self.base_dir / p)

    def mailbox_for_role(self, role: str) -> tuple[str, MailboxConfig] | None:
        for name, box in self.mailboxes.items():
            if box.effective_role == role:
                return name, box
        return None

    @property
    def database_url(self) -> str:
        """sqlite paths are resolved against the config's folder, so a demo is relocatable."""
        prefix = "sqlite:///"
        if self.database.startswith(prefix) and not self.database.startswith(prefix + "/"):
            rel = self.database[len(prefix) :]
            if rel and rel != ":memory:":
                return prefix + str(self.resolve(rel).resolve())
        return self.database


def secret_from_env(var: str | None) -> str | None:
    """Read a secret named by an ``*_env`` key; None when no variable is named."""
    if var is None:
        return None
    value = os.environ.get(var)
    if value is None:
        raise ConfigError(f"environment variable {var} is not set (named by a *_env key)")
    return value


def _inline_secrets(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if str(key).lower() in _SECRET_KEYS:
                found.append(here)
            found.extend(_inline_secrets(value, here))
    return found


def _format_error(file: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "missing key"
        lines.append(f"{file}: {loc}: {msg}")
    return "\n".join(lines)


def parse_config(text: str, file: str = "<config>", base_dir: Path | None = None) -> Config:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: (top level): expected a mapping of keys")
    inline = _inline_secrets(data)
    if inline:
        raise ConfigError(
            f"{file}: {inline[0]}: secrets must not be written in the file;"
            f" name an environment variable with '{inline[0].rsplit('.', 1)[-1]}_env' instead"
        )
    if "base_dir" in data:
        raise ConfigError(f"{file}: base_dir: unknown key")
    data["base_dir"] = base_dir or Path(".")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(file, exc)) from None


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return parse_config(text, str(p), p.resolve().parent)

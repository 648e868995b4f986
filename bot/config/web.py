"""The staff site's configuration: users and their duties, the trusted proxy, session lifetimes,
the address staff mails link to, and who may read Prometheus' /metrics."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import (
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from bot.config.base import Strict, parse_duration

_SCRYPT_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")
# LAHSA's duties (../shared/spec/PROCESS.md): each staff action belongs to one of them.
WebDuty = Literal["implementation", "training", "access"]


class WebUser(Strict):
    """A LAHSA staff member who may log in to ``hmisbot web`` (hash: ``python -m bot.web.auth``).

    ``duties`` says which actions they may take; ``admin`` may take all of them. A user
    with neither written is an administrator: configurations from before duties existed
    keep working as they did.
    """

    name: str = Field(min_length=1)
    email: EmailStr
    password_hash: str
    duties: tuple[WebDuty, ...] = ()
    admin: bool | None = None  # None: administrator exactly when no duties are listed

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

    @property
    def is_admin(self) -> bool:
        return self.admin if self.admin is not None else not self.duties


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
    return value


class WebConfig(Strict):
    """The staff site. Off by default: with no users, nobody gets in."""

    users: tuple[WebUser, ...] = ()
    # A header set by a reverse proxy that has already authenticated the user (e.g. X-Forwarded-User).
    # It counts only on connections from ``trusted_proxies`` and only for ``users``: anyone who can
    # reach the port directly could send it too.
    trusted_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]+$")
    trusted_proxies: tuple[str, ...] = ()  # IPs or CIDRs of the reverse proxy; empty: no header is believed
    session_idle: float = 1800.0  # a session unused this long ends (30m)
    session_max: float = 8 * 3600.0  # and any session ends this long after login (8h)
    # Sessions are kept by the server now (logout must end them), so no key signs cookies any more;
    # the key is still accepted so that older files load.
    session_secret_env: str | None = None
    # Where staff reach the site (https://hmis-bot.lahsa.org): staff mails link to items there.
    # Unset: the mails say "on the staff site" without a link (never a command to run).
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    # /metrics answers connections from trusted_proxies and 127.0.0.1/::1; with this set, also anyone
    # sending "Authorization: Bearer <the variable's value>" (a Prometheus outside the host).
    metrics_token_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")

    _durations = field_validator("session_idle", "session_max", mode="before")(
        classmethod(lambda cls, v: parse_duration(v)))

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str | None) -> str | None:
        return v.rstrip("/") if v else v

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_network(p) for p in v)

    @field_validator("users")
    @classmethod
    def _unique(cls, v: tuple[WebUser, ...]) -> tuple[WebUser, ...]:
        emails = [str(u.email).lower() for u in v]
        if len(set(emails)) != len(emails):
            raise ValueError("the same email is listed twice")
        return v

    @model_validator(mode="after")
    def _header_needs_proxy(self) -> WebConfig:
        if self.trusted_header and not self.trusted_proxies:
            raise ValueError("trusted_header needs trusted_proxies: the addresses of the reverse proxy that sets it")
        return self

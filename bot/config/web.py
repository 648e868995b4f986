"""The staff site's configuration: users with scrypt hashes, trusted header, session secret."""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

# The three inboxes of the procedure; a mailbox's part is decided by its address.
from bot.config.base import Strict

_SCRYPT_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")


class WebUser(Strict):
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


class WebConfig(Strict):
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

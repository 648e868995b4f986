"""Shared pieces of the configuration models: the strict base, errors, durations, roles."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
)

# The three inboxes of the procedure; a mailbox's part is decided by its address.
ROLE_BY_ADDRESS = {
    "lahsa.training@lahsa.org": "training",
    "hmissupport@lahsa.org": "support",
    "joinhmis@lahsa.org": "join",
}
MailboxRole = Literal["training", "support", "join"]

# Keys whose values are secrets: writing one inline is refused.
SECRET_KEYS = {"password", "secret", "client_secret", "token", "api_key"}
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h)?\s*$")
# A token is good for one resource only: Graph refuses an Outlook token and IMAP/SMTP
# XOAUTH2 refuse a Graph one. These hosts catch that mix-up in scopes written by hand.
GRAPH_SCOPE_HOST = "graph.microsoft.com"
OUTLOOK_SCOPE_HOSTS = ("outlook.office365.com", "outlook.office.com")
EwsAuthType = Literal["NTLM", "basic"]


class ConfigError(Exception):
    """An invalid configuration: the message names the file, the key and the problem."""


class Strict(BaseModel):
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

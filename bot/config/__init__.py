"""mailboxes.yaml, read into validated pydantic models.

Owns the shape of the configuration and the rule that secrets never live in the
file: every secret is named by an ``*_env`` key and read from the environment only
when an adapter is built. Nothing here does I/O at import time; ``load_config``
is the one function that reads a file, and every problem it finds becomes a
``ConfigError`` naming the file, the key and the problem (the CLI exits 2).
"""

from bot.config.base import ROLE_BY_ADDRESS, ConfigError, MailboxRole, parse_duration
from bot.config.load import load_config, parse_config, secret_from_env
from bot.config.mail import MailboxConfig, OAuth2, SendConfig
from bot.config.model import Config, Duty, Limits, Schedule, StaffConfig
from bot.config.web import WebConfig, WebUser

__all__ = [
    "ROLE_BY_ADDRESS", "Config", "ConfigError", "Duty", "Limits", "MailboxConfig", "MailboxRole", "OAuth2",
    "Schedule", "SendConfig", "StaffConfig", "WebConfig", "WebUser", "load_config", "parse_config",
    "parse_duration", "secret_from_env",
]

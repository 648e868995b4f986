"""What the message pipeline needs from the running service, and nothing more.

The workflow (poll, process, routes, health) is handed a ``Pipeline``: the configuration,
the database, the clock, the templates, the mailboxes and the document reader. ``bot.app.App``
provides it; a test or another host may provide its own. The workflow therefore never imports
the composition root, and a reader sees at a glance what a stage may touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from jinja2 import Environment
from sqlalchemy.engine import Engine

from bot.calendar import BusinessCalendar
from bot.clock import Clock
from bot.config import Config
from bot.documents.model import FormResult
from bot.mailboxes.base import Mailbox


class Pipeline(Protocol):
    """The dependencies of the message pipeline (``bot.app.App`` is the one in production)."""

    config: Config
    clock: Clock
    engine: Engine
    env: Environment
    calendar: BusinessCalendar

    @property
    def archive_dir(self) -> Path: ...

    @property
    def mail_domain(self) -> str: ...

    @property
    def home_addresses(self) -> dict[str, str]: ...

    @property
    def links(self) -> dict[str, str | None]: ...

    def duty_address(self, duty: str) -> str: ...

    def staff_addresses(self, duty: str) -> list[str]: ...

    def role_of(self, name: str) -> str: ...

    def read_document(self, data: bytes, source: str) -> Sequence[FormResult]: ...

    def mailbox(self, name: str) -> Mailbox: ...

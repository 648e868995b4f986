"""The ``logging:`` section of mailboxes.yaml: how hmisbot writes its log (see ``bot.logs``)."""

from __future__ import annotations

from typing import Literal

from bot.config.base import Strict


class LogConfig(Strict):
    """``format: json`` for journald or a log shipper; ``--log-format`` on the command line wins."""

    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "warning"  # `-v` raises it to at least info

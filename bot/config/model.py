"""The whole mailboxes.yaml: staff duties, schedule, limits, and the top-level Config."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Annotated

from pydantic import (
    EmailStr,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

# The three inboxes of the procedure; a mailbox's part is decided by its address.
from bot.config.base import Strict, parse_duration
from bot.config.logs import LogConfig
from bot.config.mail import MailboxConfig, SendConfig
from bot.config.web import WebConfig


class Duty(Strict):
    primary: EmailStr
    backup: EmailStr | None = None


class StaffConfig(Strict):
    implementation: Duty
    training: Duty
    access: Duty


_SCHEDULE = re.compile(r"^(weekdays|daily)\s+([01]\d|2[0-3]):([0-5]\d)$")


class Schedule(Strict):
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


class Limits(Strict):
    max_message_mb: float = Field(default=35.0, gt=0)
    max_attachment_mb: float = Field(default=25.0, gt=0)
    max_attachments: int = Field(default=20, ge=1)  # documents read from one message; the rest are named
    max_attempts: int = Field(default=3, ge=1)
    reply_window_minutes: int = Field(default=60, ge=0)
    replies_per_window: int = Field(default=5, ge=1)  # automatic replies to one sender per window
    send_lease_seconds: int = Field(default=120, ge=1)  # a crashed sender's claim expires after this



class Links(Strict):
    """Where people find what the mail tells them to do (LAHSA's pages; set them for production).

    Every reply names the next step; where a link is set, the step carries it. An unset link
    leaves the words ("on the HMIS Training Website") without an address, never a wrong one.
    """

    hmis_site: HttpUrl | None = None
    training_site: HttpUrl | None = None  # register for trainings; new users create a login here
    organization_agreement: HttpUrl | None = None  # the blank forms
    user_agreement: HttpUrl | None = None
    hmis10_acknowledgement: HttpUrl | None = None
    procedures: HttpUrl | None = None  # "HMIS CES Participation Procedures"


class Config(Strict):
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
    logging: LogConfig = LogConfig()  # text or JSON lines on stderr (bot/logs.py)
    links: Links = Links()
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

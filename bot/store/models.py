"""The tracking database's tables (SQLModel). Schema changes go through Alembic.

Lists and small mappings (aliases, roles, trainings, fields, checks) are JSON
columns: they are always read and written with their row, never queried alone.
Times are aware datetimes, stored as UTC; dates are office dates (America/Los_Angeles).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: type(default)(default), sa_column=Column(JSON, nullable=False))


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    aliases: list[str] = _json([])
    email_domains: list[str] = _json([])
    ces_roles: list[str] = _json([])
    agreement: str = "missing"  # missing|received|rejected|accepted|countersigned
    agreement_note: str | None = None
    agreement_at: datetime | None = None
    last_reminded_on: date | None = None
    created_at: datetime


class Contact(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "email", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = ""
    email: str = Field(index=True)
    role: str  # executive_director | program_manager
    undeliverable: bool = False


class Program(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str
    type: str
    setup: str  # not_needed|requested|in_setup|awaiting_confirmation|confirmed
    requested_at: datetime | None = None
    followup_at: datetime | None = None
    confirmed_at: datetime | None = None
    thread_id: str | None = Field(default=None, index=True)  # Message-ID of the request, to match the follow-up thread


class HmisUser(SQLModel, table=True):
    __tablename__ = "hmis_user"
    __table_args__ = (UniqueConstraint("email"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = ""
    email: str
    roles: list[str] = _json([])
    new_user: bool = True
    trainings: dict[str, str] = _json({})  # training -> completed date (ISO)
    forms: dict[str, str] = _json({})  # form kind -> accepted|rejected|review
    access: str = "blocked"  # blocked|waiting_on_user|ready|granted|overdue
    ready_on: date | None = None
    access_due: date | None = None
    granted_at: datetime | None = None


class SeenMessage(SQLModel, table=True):
    """Every message the bot has looked at, and what became of it: nothing is lost."""

    __tablename__ = "seen_message"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        Index("ix_seen_msgid_sha", "message_id", "sha256"),
    )
    id: int | None = Field(default=None, primary_key=True)
    mailbox: str
    uidvalidity: str = ""
    uid: str
    message_id: str = ""
    sha256: str = Field(index=True)
    sender: str = ""
    subject: str = ""
    kind: str = ""
    outcome: str = "pending"  # pending|processed|review|baseline|failed
    settled: bool = False  # moved to its folder on the server
    attempts: int = 0
    error: str | None = None
    org_id: int | None = Field(default=None, index=True)
    archive_path: str | None = None
    received_at: datetime
    processed_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seen_id: int = Field(foreign_key="seen_message.id", index=True)
    filename: str
    kind: str
    confidence: float
    pages: list[int] = _json([])
    fields: dict[str, str] = _json({})
    checks: dict[str, bool] = _json({})
    text_source: str = "none"
    error: str | None = None
    sha256: str
    org_id: int | None = Field(default=None, index=True)
    user_id: int | None = Field(default=None, index=True)
    status: str = "accepted"  # accepted|rejected|review
    reason: str | None = None


class ReviewItem(SQLModel, table=True):
    __tablename__ = "review_item"
    id: int | None = Field(default=None, primary_key=True)
    seen_id: int | None = Field(default=None, foreign_key="seen_message.id")
    document_id: int | None = None
    reason: str
    mailbox: str = ""
    subject: str = ""
    sender: str = ""
    org_id: int | None = Field(default=None, index=True)
    created_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = None
    resolved_by: str | None = None
    escalated: bool = False


class OutboxRow(SQLModel, table=True):
    """A mail decided but maybe not yet sent. The key makes deciding twice harmless."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # idempotency key: same decision, same key
    kind: str  # receipt|wrong_inbox|not_ready|unreadable|reminder|escalation|handoff|digest|...
    to_addrs: list[str] = _json([])
    to_key: str = Field(default="", index=True)  # first recipient, lower-cased: for per-sender limits
    subject: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    in_reply_to: str | None = None
    references: str | None = None
    reply_to: str | None = None  # the LAHSA inbox an answer belongs in (the step the mail is about)
    message_id: str = Field(index=True)  # replies are matched to their thread by it (org_by_thread, bounces)
    # pending -> sending (claimed, lease) -> committing (SMTP final dot about to go) -> sent,
    # or back to pending (transient), failed (permanent), unknown (lost after the commit point)
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None  # real time: a claim by an instance that may have died
    error: str | None = None
    seen_id: int | None = Field(default=None, index=True)
    org_id: int | None = Field(default=None, index=True)
    created_at: datetime
    sent_at: datetime | None = None
    inline_png: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str  # "bot" or a staff address
    action: str
    org_id: int | None = Field(default=None, index=True)
    user_id: int | None = Field(default=None, index=True)
    seen_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = _json({})


class MailboxState(SQLModel, table=True):
    """Per mailbox: the UIDVALIDITY we know and when we last checked successfully."""

    __tablename__ = "mailbox_state"
    mailbox: str = Field(primary_key=True)
    uidvalidity: str = ""
    baseline_done: bool = False
    last_ok_at: datetime | None = None
    last_error: str | None = None
    stalled_reported: bool = False


class JobRun(SQLModel, table=True):
    """One row per scheduled job and period: a restart never sends a period's mail twice."""

    __tablename__ = "job_run"
    job: str = Field(primary_key=True)
    period: str = Field(primary_key=True)  # e.g. 2026-12-01 or 2026-12-01:org:12
    at: datetime

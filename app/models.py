"""The database tables. The schema itself is created only by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class Status(StrEnum):
    """Who holds a conversation; every change goes through `handoff.queue.transition`."""

    bot = "bot"
    queued = "queued"
    agent = "agent"
    closed = "closed"
    offline = "offline"  # a message left for later


class UserRole(StrEnum):
    agent = "agent"
    operator = "operator"  # also works the queue


class Presence(StrEnum):
    """What an agent says of themselves; with no console connected they count as offline."""

    online = "online"
    away = "away"  # connected, but takes no new conversations
    offline = "offline"


class MailKind(StrEnum):
    """Why an outbox row exists."""

    reply = "reply"  # an agent's answer to a customer who left a message
    new_message = "new_message"  # an alert to an agent who opted in: a message was left


class Author(StrEnum):
    """Who wrote a message (the API calls it the message's `role`)."""

    customer = "customer"
    assistant = "assistant"
    agent = "agent"
    system = "system"


class Kind(StrEnum):
    text = "text"
    disclosure = "disclosure"
    event = "event"


class MarkVerdict(StrEnum):
    """What an agent says of an AI answer."""

    good = "good"
    wrong = "wrong"


E = TypeVar("E", bound=StrEnum)


class _Named(TypeDecorator[E]):
    """A StrEnum stored as its plain string (the migrations' VARCHAR), read back as the enum."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[Status] = mapped_column(_Named(Status), default=Status.bot, index=True)
    ai_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Handoff state (owned by handoff.queue, the one place that changes status).
    escalation_reason: Mapped[str | None] = mapped_column(String(32))
    escalation_detail: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    bot_turns: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # wait stats
    rating: Mapped[int | None] = mapped_column(Integer)  # customer satisfaction, 1 to 5
    # The handoff summary, written once per handoff (handoff.summary.refresh): `summary_for` is
    # the `queued_at` it was claimed for, so of several replicas exactly one computes it.
    summary_text: Mapped[str | None] = mapped_column(Text)
    summary_source: Mapped[str | None] = mapped_column(String(16))
    summary_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[Author] = mapped_column(_Named(Author))
    kind: Mapped[Kind] = mapped_column(_Named(Kind), default=Kind.text)
    text: Mapped[str] = mapped_column(Text)
    ai: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    client_id: Mapped[str | None] = mapped_column(String(64))
    reply_to: Mapped[int | None] = mapped_column(Integer)  # seq of the customer message answered
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str | None] = mapped_column(String(100))  # the name the customer saw
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # agent notes
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnswerMark(Base):
    """An agent's verdict on one AI answer: one per answer and agent, a re-mark replaces it."""

    __tablename__ = "answer_marks"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id", name="uq_answer_marks_message_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Both cascade: erasing a conversation takes its marks (and their notes) with it.
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    verdict: Mapped[MarkVerdict] = mapped_column(_Named(MarkVerdict))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(500), unique=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)


class KnowledgeVersion(Base):
    """One row whose counter moves on every KB change, so every replica rebuilds its index."""

    __tablename__ = "knowledge_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(_Named(UserRole))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    max_concurrent: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    presence: Mapped[Presence] = mapped_column(_Named(Presence), default=Presence.online)
    # An e-mail to this agent whenever a customer leaves a message for later (opt-in).
    notify_new_messages: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The idle timeout counts from here (written at most once a minute; null: never since login).
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Decision(Base):
    """One append-only record per turn, chained by hash so tampering shows."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_outcome_reason", "outcome", "reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key on purpose: erasing a conversation must not rewrite (and so break) the
    # chain. The opaque id stays; the record holds scores and rule names, never customer text.
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    message_seq: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # How `hash` was made: "sha256" (rows before issue 13) or "hmac-sha256" (keyed).
    scheme: Mapped[str] = mapped_column(String(16), default="sha256")


class OperatorSettings(Base):
    """The single row of run-time policy operators edit: thresholds, hours, texts."""

    __tablename__ = "operator_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    disclosure: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SettingsChange(Base):
    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Outbox(Base):
    """E-mails waiting to leave: each row is sent exactly once by whichever replica claims it
    (`claimed_until` is the claim's lease), retried with backoff, and kept with its error."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16), default="email")
    kind: Mapped[MailKind] = mapped_column(_Named(MailKind), default=MailKind.reply)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    recipient: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # gave up


class CannedReply(Base):
    """A saved reply: the owner's own, or the team's when `owner_id` is None."""

    __tablename__ = "canned_replies"
    __table_args__ = (
        UniqueConstraint("owner_id", "shortcut", name="uq_canned_replies_owner_shortcut"),
        # NULLs are distinct in a unique constraint, so team-wide shortcuts need their own.
        Index(
            "uq_canned_replies_team_shortcut",
            "shortcut",
            unique=True,
            sqlite_where=sql("owner_id IS NULL"),
            postgresql_where=sql("owner_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Erasure(Base):
    """One erasure: who asked (a customer, an operator, the retention purge), when, and how
    much went. What was erased is never kept here."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(16))  # customer | operator | retention
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    scope: Mapped[str] = mapped_column(String(16))  # conversation | email | expired
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # rows per table
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScheduledJob(Base):
    """A periodic job that one replica at a time runs: the lease is taken by a compare-and-set
    on `claimed_until`; `last_run_at` and `last_result` say when it last ran and what it did."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BiasReport(Base):
    """A bias audit's result: the probe sets, the figures per group, and the flags."""

    __tablename__ = "bias_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    passed: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

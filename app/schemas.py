"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.inputs import INT_MAX
from app.models import Author, Kind, MarkVerdict, Status

MAX_TEXT = 4000
# A row id as a request names it: beyond PostgreSQL's integer it could only fail in the database.
RowId = Annotated[int, Field(ge=1, le=INT_MAX)]


class Source(BaseModel):
    document_id: int
    title: str
    score: float


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    role: Author
    kind: Kind
    text: str
    created_at: datetime
    ai: bool
    sources: list[Source] = []
    author: str | None = None


class Escalation(BaseModel):
    reason: str
    detail: str


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: str | None = Field(default=None, max_length=35)
    ai_opt_out: bool = False


class ConversationOut(BaseModel):
    id: str
    token: str
    status: Status
    locale: str
    messages: list[MessageOut]
    email_replies: bool  # replies also go by e-mail to an address left here (SMTP configured)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)


class TurnOut(BaseModel):
    messages: list[MessageOut]
    status: Status
    escalation: Escalation | None = None


class QueueInfo(BaseModel):
    """A waiting customer's place in the queue; `leave_message`: offer to leave one instead;
    `agents_online`: whether anyone from the team is online to take it."""

    position: int
    expected_wait_seconds: int
    leave_message: bool
    agents_online: bool


class MessagesOut(BaseModel):
    messages: list[MessageOut]
    status: Status
    email_replies: bool  # as in ConversationOut: the widget words its contact form by it
    queue: QueueInfo | None = None
    agent: str | None = None  # while a person holds it: their name, for the status line


class DecisionView(BaseModel):
    """A decision as shown to agents and in a customer's export: the outcome and the signals
    behind it (scores and rule names, never customer text)."""

    message_seq: int
    outcome: str
    reason: str | None
    confidence: float | None
    signals: dict[str, Any]  # the free-form signal record; see docs/decisions.md
    created_at: datetime


class ConversationRecord(BaseModel):
    id: str
    locale: str
    status: Status
    ai_opt_out: bool
    created_at: datetime
    contact_email: str | None
    escalation_reason: str | None


class ExportOut(BaseModel):
    """Everything stored about one conversation."""

    conversation: ConversationRecord
    messages: list[MessageOut]
    decisions: list[DecisionView]


class MarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: MarkVerdict
    note: str | None = Field(default=None, max_length=1000)


class MarkOut(BaseModel):
    """An agent's verdict on an AI answer: who (`user_id`, `by`: their name) and when."""

    model_config = ConfigDict(from_attributes=True)

    message_seq: int
    verdict: MarkVerdict
    note: str | None
    user_id: int
    by: str
    created_at: datetime


class SuggestionReasons(BaseModel):
    declined: int  # the AI declined for low confidence
    marked_wrong: int  # an agent marked the AI's answer wrong


class SuggestionOut(BaseModel):
    """Alike questions the AI missed: what the knowledge base may lack. Examples are redacted."""

    model_config = ConfigDict(from_attributes=True)

    count: int
    examples: list[str]
    reasons: SuggestionReasons
    last_seen: datetime  # when a customer last asked one of these questions

"""The operator's privacy API: export or erase a customer's data, by conversation or by the
e-mail address they left, and the log of erasures (who, when, how much; never what)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import decisions, erasure, policy, retention
from app.deps import OperatorDep, ServicesDep, SessionDep
from app.errors import Invalid, NotFound
from app.events import commit_and_publish
from app.models import Conversation, Erasure, MailKind, MarkVerdict
from app.schemas import ConversationRecord, DecisionView, MessageOut

router = APIRouter(prefix="/api/v1/admin/privacy", tags=["operator"])


class HeldMessage(MessageOut):
    internal: bool  # an agent's note, never shown to the customer


class MarkRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    message_id: int
    verdict: MarkVerdict
    note: str | None
    user_id: int
    created_at: datetime


class MailRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: MailKind
    recipient: str
    body: str
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None


class ConversationHeld(ConversationRecord):
    model_config = ConfigDict(from_attributes=True)

    updated_at: datetime
    rating: int | None
    summary_text: str | None
    escalation_detail: str | None


class ConversationExport(BaseModel):
    conversation: ConversationHeld
    messages: list[HeldMessage]
    marks: list[MarkRecord]
    outbox: list[MailRecord]
    decisions: list[DecisionView]


class PrivacyExportOut(BaseModel):
    """Everything stored about one customer: one conversation, or all that left an address."""

    conversations: list[ConversationExport]


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)


class ErasedOut(BaseModel):
    conversations: int
    counts: dict[str, int]  # rows of customer text removed, per kind


class ErasureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor: str
    user_id: int | None
    scope: str
    counts: dict[str, int]
    created_at: datetime


class PrivacyOverview(BaseModel):
    retention_days: int
    last_purge_at: datetime | None
    erasures: list[ErasureOut]


async def _find(
    session: AsyncSession, conversation_id: str | None, email: str | None
) -> list[Conversation]:
    if (conversation_id is None) == (email is None):
        raise Invalid("Give either a conversation_id or an email (one of them, not both).")
    if email is not None and "@" not in email:
        raise Invalid(f"{email!r} is not an e-mail address.")
    found = await erasure.find(session, conversation_id=conversation_id, email=email)
    if not found:
        what = f"conversation {conversation_id}" if email is None else f"the address {email}"
        raise NotFound(f"Nothing is stored about {what}.")
    return found


@router.get("/export", response_model=PrivacyExportOut)
async def export(
    _: OperatorDep,
    session: SessionDep,
    conversation_id: Annotated[str | None, Query(max_length=32)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> PrivacyExportOut:
    """Everything stored about one conversation, or about every conversation that left this
    e-mail address: messages and notes, summary, marks, e-mails and decisions."""
    out = []
    for conv in await _find(session, conversation_id, email):
        held = await erasure.held(session, conv)
        out.append(
            ConversationExport(
                conversation=ConversationHeld.model_validate(conv),
                messages=[HeldMessage.model_validate(m) for m in held.messages],
                marks=[MarkRecord.model_validate(m) for m in held.marks],
                outbox=[MailRecord.model_validate(m) for m in held.outbox],
                decisions=[
                    DecisionView.model_validate(decisions.describe(d)) for d in held.decisions
                ],
            )
        )
    return PrivacyExportOut(conversations=out)


@router.post("/erase", response_model=ErasedOut)
async def erase(
    body: EraseIn, user: OperatorDep, session: SessionDep, svc: ServicesDep
) -> ErasedOut:
    """Erase one conversation, or every conversation that left this e-mail address, for good.
    The erasure is logged with who asked and how much went, never with what."""
    found = await _find(session, body.conversation_id, body.email)
    scope = "conversation" if body.email is None else "email"
    ids = [c.id for c in found]
    counts = await erasure.erase(session, ids, actor="operator", scope=scope, user_id=user.id)
    await commit_and_publish(session, svc.broker, erasure.leaving_queue(found))
    await erasure.scrub_files(session)
    return ErasedOut(conversations=len(ids), counts=counts)


@router.get("", response_model=PrivacyOverview)
async def overview(
    _: OperatorDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PrivacyOverview:
    """The retention period in force, the last purge, and the latest erasures."""
    rows = await session.execute(select(Erasure).order_by(Erasure.id.desc()).limit(limit))
    return PrivacyOverview(
        retention_days=(await policy.load(session)).policy.retention_days,
        last_purge_at=await retention.last_run(session),
        erasures=[ErasureOut.model_validate(e) for e in rows.scalars()],
    )

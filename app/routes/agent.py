"""The agent API: the queue, what an agent sees on a conversation, and taking part in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import conversations, marks, outbox, policy
from app.deps import AgentDep, ServicesDep, SessionDep
from app.errors import Conflict, Forbidden, Invalid
from app.events import MessageCreated, commit_and_publish
from app.models import Conversation, Document, Message, User
from app.schemas import MAX_TEXT, DecisionView, MarkOut, RowId
from handoff import assignment, summary
from handoff.queue import Change

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: RowId


class ItemOut(BaseModel):
    """A conversation as listed in the queue."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    locale: str
    escalation_reason: str | None
    escalation_detail: str | None
    priority: int
    queued_at: datetime | None
    agent_id: int | None
    lease_expires_at: datetime | None
    contact_email: str | None


class QueueOut(BaseModel):
    queued: list[ItemOut]
    offline: list[ItemOut]
    mine: list[ItemOut]


class AgentMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    role: str
    kind: str
    text: str
    created_at: datetime
    ai: bool
    internal: bool
    author_id: int | None
    mark: MarkOut | None = None  # the latest agent mark, on AI answers


class TrendPoint(BaseModel):
    """The customer's sentiment at one of their messages, and the rolling average."""

    message_seq: int
    label: str | None
    score: float | None
    negative: float | None
    rolling: float | None


class SignalView(DecisionView):
    """A decision with the policy values it was taken under, so the console can say which
    threshold a rule crossed."""

    thresholds: dict[str, Any]


class DetailOut(BaseModel):
    conversation: ItemOut
    messages: list[AgentMessageOut]
    escalation: dict[str, str | None]
    signals: list[SignalView]
    documents: dict[int, str]  # the titles of the documents the signals name, by id
    sentiment_trend: list[TrendPoint]
    summary: dict[str, str]


class SummaryOut(BaseModel):
    text: str
    source: str


class StatusOut(BaseModel):
    id: str
    status: str
    agent_id: int | None


def _status(conv: Conversation) -> StatusOut:
    return StatusOut(id=conv.id, status=conv.status, agent_id=conv.agent_id)


def may_read(conv: Conversation, user: User) -> None:
    """Agents read waiting conversations, their own and closed ones (the history); operators
    read all. A conversation a colleague holds, or the AI, stays theirs alone."""
    if user.role == "operator" or conv.agent_id == user.id:
        return
    if conv.status not in ("queued", "offline", "closed"):
        raise Forbidden("This conversation is not waiting for you.")


async def _list(session: AsyncSession, *where: Any) -> list[ItemOut]:
    order = (Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
    rows = await session.execute(select(Conversation).where(*where).order_by(*order).limit(200))
    return [ItemOut.model_validate(c) for c in rows.scalars()]


@router.get("/queue", response_model=QueueOut)
async def get_queue(user: AgentDep, session: SessionDep) -> QueueOut:
    """Waiting conversations (priority, then longest wait first), left messages, and mine."""
    return QueueOut(
        queued=await _list(session, Conversation.status == "queued"),
        offline=await _list(session, Conversation.status == "offline"),
        mine=await _list(session, Conversation.status == "agent", Conversation.agent_id == user.id),
    )


@router.get("/conversations/{conversation_id}", response_model=DetailOut)
async def get_conversation(conversation_id: str, user: AgentDep, session: SessionDep) -> DetailOut:
    """The whole transcript (real values), why it was handed over, signals, trend, and the
    summary written at the handoff (extractive until it is; never an LLM call here)."""
    conv = await assignment.load(session, conversation_id)
    may_read(conv, user)
    messages = await conversations.after(session, conv.id, 0, internal=True, limit=100_000)
    decided = await summary.decisions(session, conv.id)
    item = ItemOut.model_validate(conv)
    brief = summary.stored(conv, summary.bot_part(messages))
    marked = await marks.current(session, conv.id)
    return DetailOut(
        conversation=item,
        messages=[_with_mark(m, marked.get(m.seq)) for m in messages],
        escalation={"reason": conv.escalation_reason, "detail": conv.escalation_detail},
        signals=[SignalView.model_validate(d) for d in decided],
        documents=await _titles(session, decided),
        sentiment_trend=[TrendPoint.model_validate(t) for t in summary.sentiment_trend(decided)],
        summary={"text": brief.text, "source": brief.source},
    )


async def _titles(session: AsyncSession, decided: list[dict[str, Any]]) -> dict[int, str]:
    """Document titles for the ids the decisions' retrieval signals name."""
    ids = {
        p["document_id"]
        for d in decided
        for p in d["signals"].get("retrieval") or ()
        if isinstance(p, dict) and isinstance(p.get("document_id"), int)
    }
    if not ids:
        return {}
    rows = await session.execute(select(Document.id, Document.title).where(Document.id.in_(ids)))
    return {doc_id: title for doc_id, title in rows.all()}


def _with_mark(msg: Message, mark: marks.Mark | None) -> AgentMessageOut:
    out = AgentMessageOut.model_validate(msg)
    return out if mark is None else out.model_copy(update={"mark": MarkOut.model_validate(mark)})


@router.post("/conversations/{conversation_id}/summary", response_model=SummaryOut)
async def summarise(
    conversation_id: str, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> SummaryOut:
    """Write the handoff summary again now (through the LLM when it answers in time)."""
    conv = await assignment.load(session, conversation_id)
    may_read(conv, user)
    await session.commit()  # end the read before the LLM call
    brief = await summary.store(svc, conv.id)
    return SummaryOut(text=brief.text, source=brief.source)


async def _act(
    svc: ServicesDep, session: AsyncSession, conv: Conversation, change: Change
) -> StatusOut:
    await commit_and_publish(session, svc.broker, change.events)
    return _status(conv)


@router.post("/conversations/{conversation_id}/claim", response_model=StatusOut)
async def claim(
    conversation_id: str, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> StatusOut:
    """Take a waiting conversation: exactly one of two agents claiming at once wins."""
    me = user.id  # a rollback expires the user row
    conv = await assignment.load(session, conversation_id)
    config = await policy.load(session)
    try:
        change = await assignment.claim(session, conv, user, config)
    except Conflict:
        await session.rollback()
        conv = await assignment.load(session, conversation_id)
        if conv.status == "agent" and conv.agent_id == me:  # our own concurrent retry
            return _status(conv)
        raise
    return await _act(svc, session, conv, change)


@router.post("/conversations/{conversation_id}/transfer", response_model=StatusOut)
async def transfer(
    conversation_id: str, body: TransferIn, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> StatusOut:
    """Hand the conversation to another agent; the customer is told who they talk to now."""
    conv = await assignment.load(session, conversation_id)
    config = await policy.load(session)
    change = await assignment.transfer(session, conv, user, body.agent_id, config)
    return await _act(svc, session, conv, change)


@router.post("/conversations/{conversation_id}/release", response_model=StatusOut)
async def release(
    conversation_id: str, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> StatusOut:
    """Give the conversation back to the AI; the customer is told."""
    conv = await assignment.load(session, conversation_id)
    change = await assignment.release(session, conv, user, await policy.load(session))
    return await _act(svc, session, conv, change)


@router.post("/conversations/{conversation_id}/close", response_model=StatusOut)
async def close(
    conversation_id: str, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> StatusOut:
    """Close the conversation; the customer is told."""
    conv = await assignment.load(session, conversation_id)
    change = await assignment.close(session, conv, user, await policy.load(session))
    return await _act(svc, session, conv, change)


@router.post("/conversations/{conversation_id}/messages", response_model=AgentMessageOut)
async def reply(
    conversation_id: str, body: TextIn, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> AgentMessageOut:
    """The holder's reply to the customer, also e-mailed when they left an address and SMTP is
    configured. Every reply to such a conversation is mailed, even while the customer is online:
    the address was left to be answered at, and a second copy is cheaper than a missed one."""
    conv = await assignment.load(session, conversation_id)
    assignment.require_holder(conv, user)
    text = body.text.strip()
    if not text:
        raise Invalid("text: the message is empty.")
    msg = await conversations.append(
        session,
        conv.id,
        "agent",
        text,
        author_id=user.id,
        author=user.display_name,
        require_status="agent",
    )
    if msg is None:
        raise Conflict("This conversation is no longer yours.")
    # Queued only when it can leave: rows nobody sends would pile up and mislead operators.
    if conv.contact_email and svc.settings.mail_configured:
        outbox.enqueue_reply(session, conv, msg.text)
    await assignment.renew_leases(session, user.id)
    await commit_and_publish(session, svc.broker, [MessageCreated.of(msg)])
    svc.wake_postman()
    return AgentMessageOut.model_validate(msg)


@router.post("/conversations/{conversation_id}/notes", response_model=AgentMessageOut)
async def note(
    conversation_id: str, body: TextIn, svc: ServicesDep, user: AgentDep, session: SessionDep
) -> AgentMessageOut:
    """An internal note for colleagues; never shown to the customer."""
    conv = await assignment.load(session, conversation_id)
    may_read(conv, user)
    msg: Message | None = await conversations.append(
        session,
        conv.id,
        "agent",
        body.text,
        author_id=user.id,
        author=user.display_name,
        internal=True,
    )
    assert msg is not None
    await commit_and_publish(session, svc.broker, [MessageCreated.of(msg)])
    return AgentMessageOut.model_validate(msg)

"""The customer API: the widget's only way in. The conversation token is the credential."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import conversations, decisions, pipeline, policy
from app.auth import bearer_token
from app.db import SessionDep
from app.errors import Invalid
from app.escalation import Verdict
from app.models import Conversation, Decision, Message
from app.pipeline import Turn
from app.schemas import (
    ConversationCreate,
    ConversationOut,
    Escalation,
    MessageIn,
    MessageOut,
    MessagesOut,
    QueueInfo,
    TurnOut,
)
from app.services import Services
from disclosure.texts import choose_locale, notice
from handoff import queue, waiting

router = APIRouter(prefix="/api/v1/conversations", tags=["customer"])


async def authorized(
    conversation_id: str,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Conversation:
    """The conversation in the path, when the bearer token is its own."""
    hint = "Send the conversation token as 'Authorization: Bearer <token>'."
    token = bearer_token(authorization, hint)
    return await conversations.authorize(session, conversation_id, token)


CustomerConversation = Annotated[Conversation, Depends(authorized)]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def out(messages: list[Message]) -> list[MessageOut]:
    return [MessageOut.model_validate(m) for m in messages if not m.internal]


@router.post("", status_code=201, response_model=ConversationOut)
async def create_conversation(
    request: Request,
    session: SessionDep,
    body: ConversationCreate | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> ConversationOut:
    """Start a conversation; its first message is the AI disclosure in the customer's language."""
    body = body or ConversationCreate()
    locale = choose_locale(body.locale, accept_language)
    config = await policy.load(session)
    conv, token = await conversations.create(session, locale, body.ai_opt_out)
    first = await conversations.append(
        session,
        conv.id,
        "assistant",
        notice(locale, config.disclosure.texts),
        kind="disclosure",
        ai=True,
    )
    assert first is not None
    messages = [first]
    events = []
    if body.ai_opt_out:
        change = await queue.hand_over(session, conv, "ai_opt_out", config, {"ai_opt_out": True})
        messages += [change.notice] if change.notice else []
        events = change.events
    await session.commit()
    for event in events:
        await services(request).broker.publish(event)
    return ConversationOut(
        id=conv.id, token=token, status=conv.status, locale=locale, messages=out(messages)
    )


@router.post("/{conversation_id}/messages", response_model=TurnOut)
async def send_message(
    conversation_id: str,
    body: MessageIn,
    request: Request,
    response: Response,
    session: SessionDep,
    conv: CustomerConversation,
) -> TurnOut:
    """Store the customer's message (once per client_id) and return every reply it caused."""
    text = body.text.strip()
    if not text:
        raise Invalid("text: the message is empty.")
    ai_holds = conv.status in ("bot", "closed")
    await session.commit()  # end the token check's read: the turn opens its own sessions
    turn = await pipeline.receive(
        services(request), conversation_id, text, body.client_id, ai_holds=ai_holds
    )
    response.headers["X-Tandem-LLM-Ms"] = f"{turn.llm_seconds * 1000:.1f}"
    return _turn_out(turn)


def _turn_out(turn: Turn) -> TurnOut:
    esc = None
    if turn.escalation is not None and turn.escalation.reason:
        esc = Escalation(reason=turn.escalation.reason, detail=turn.escalation.detail)
    return TurnOut(messages=out(turn.messages), status=turn.status, escalation=esc)


@router.get("/{conversation_id}/messages", response_model=MessagesOut)
async def list_messages(
    session: SessionDep,
    conv: CustomerConversation,
    after: Annotated[int, Query(ge=0)] = 0,
) -> MessagesOut:
    """Messages after a sequence number, in order (for reconnects)."""
    rows = await conversations.after(session, conv.id, after)
    return MessagesOut(messages=out(rows), status=conv.status, queue=await _queue(session, conv))


async def _queue(session: AsyncSession, conv: Conversation) -> QueueInfo | None:
    """Position and expected wait while queued (and whether to offer leaving a message)."""
    if conv.status != "queued":
        return None
    config = await policy.load(session)
    info = await waiting.waiting(session, conv, config.policy.long_wait_seconds)
    return QueueInfo(
        position=info.position,
        expected_wait_seconds=info.expected_wait_seconds,
        leave_message=info.leave_message,
    )


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    leave_message: bool = True


@router.post("/{conversation_id}/contact", response_model=MessagesOut)
async def leave_contact(
    body: ContactIn,
    request: Request,
    session: SessionDep,
    conv: CustomerConversation,
) -> MessagesOut:
    """Leave an e-mail address; with leave_message, stop waiting: a person answers later."""
    config = await policy.load(session)
    change = await waiting.leave_contact(
        session, conv, body.email.strip(), body.leave_message, config
    )
    await session.commit()
    for event in change.events:
        await services(request).broker.publish(event)
    notice = [change.notice] if change.notice else []
    return MessagesOut(messages=out(notice), status=conv.status, queue=await _queue(session, conv))


@router.post("/{conversation_id}/handoff", response_model=TurnOut)
async def request_handoff(
    request: Request,
    session: SessionDep,
    conv: CustomerConversation,
) -> TurnOut:
    """The "talk to a person" button."""
    config = await policy.load(session)
    change = await queue.hand_over(
        session, conv, "customer_request", config, {"handoff_button": True}
    )
    await session.commit()
    for event in change.events:
        await services(request).broker.publish(event)
    messages = [change.notice] if change.notice else []
    return _turn_out(Turn(messages, change.status, Verdict("escalated", "customer_request")))


@router.get("/{conversation_id}/export")
async def export(
    session: SessionDep,
    conv: CustomerConversation,
) -> dict[str, Any]:
    """Everything stored about this conversation, for the customer to take away."""
    messages = await conversations.after(session, conv.id, 0, limit=100_000)
    rows = await session.execute(select(Decision).where(Decision.conversation_id == conv.id))
    return {
        "conversation": {
            "id": conv.id,
            "locale": conv.locale,
            "status": conv.status,
            "ai_opt_out": conv.ai_opt_out,
            "created_at": conv.created_at.isoformat(),
            "contact_email": conv.contact_email,
            "escalation_reason": conv.escalation_reason,
        },
        "messages": [MessageOut.model_validate(m).model_dump(mode="json") for m in messages],
        "decisions": [decisions.describe(d) for d in rows.scalars()],
    }


@router.delete("/{conversation_id}", status_code=204)
async def erase(
    session: SessionDep,
    conv: CustomerConversation,
) -> None:
    """Erase the conversation: messages and contact details are deleted, not hidden."""
    await session.execute(delete(Message).where(Message.conversation_id == conv.id))
    await session.delete(conv)
    await session.commit()


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)


@router.post("/{conversation_id}/rating", status_code=204)
async def rate(
    body: RatingIn,
    session: SessionDep,
    conv: CustomerConversation,
) -> None:
    """The customer's satisfaction with the conversation, 1 (bad) to 5 (great)."""
    conv.rating = body.score
    await session.commit()

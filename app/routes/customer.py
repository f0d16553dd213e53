"""The customer API: the widget's only way in. The conversation token is the credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app import conversations, decisions, erasure, pipeline, policy
from app.deps import CustomerConversation, ServicesDep, SessionDep, client_ip
from app.errors import Invalid
from app.escalation import Verdict
from app.events import commit_and_publish
from app.inputs import DbInt
from app.models import Conversation, Message
from app.schemas import (
    ConversationCreate,
    ConversationOut,
    ConversationRecord,
    DecisionView,
    Escalation,
    ExportOut,
    MessageIn,
    MessageOut,
    MessagesOut,
    QueueInfo,
    TurnOut,
)
from app.turns import Turn
from disclosure.texts import choose_locale, notice
from handoff import assignment, queue, waiting

router = APIRouter(prefix="/api/v1/conversations", tags=["customer"])


def out(messages: list[Message]) -> list[MessageOut]:
    return [MessageOut.model_validate(m) for m in messages if not m.internal]


@router.post(
    "",
    status_code=201,
    response_model=ConversationOut,
    responses={429: {"description": "Too many new conversations from this address; "
                     "`Retry-After` says when to retry."}},
)  # fmt: skip
async def create_conversation(
    svc: ServicesDep,
    session: SessionDep,
    request: Request,
    body: ConversationCreate | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> ConversationOut:
    """Start a conversation; its first message is the AI disclosure in the customer's language."""
    await svc.limits.charge(svc.limits.conversations, client_ip(request))
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
        change = await queue.hand_over(
            session,
            conv,
            "ai_opt_out",
            config,
            {"ai_opt_out": True},
            chain_key=decisions.chain_key(svc.settings.secret_key),
            mail=svc.settings.mail_configured,
        )
        messages += [change.notice] if change.notice else []
        events = change.events
    await commit_and_publish(session, svc.broker, events)
    return ConversationOut(
        id=conv.id,
        token=token,
        status=conv.status,
        locale=locale,
        messages=out(messages),
        email_replies=svc.settings.mail_configured,
    )


@router.post("/{conversation_id}/messages", response_model=TurnOut)
async def send_message(
    conversation_id: str,
    body: MessageIn,
    svc: ServicesDep,
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
        svc, conversation_id, text, body.client_id, ai_holds=ai_holds, ip=client_ip(request)
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
    svc: ServicesDep,
    session: SessionDep,
    conv: CustomerConversation,
    after: Annotated[DbInt, Query(ge=0)] = 0,
) -> MessagesOut:
    """Messages after a sequence number, in order (for reconnects)."""
    rows = await conversations.after(session, conv.id, after)
    return MessagesOut(
        messages=out(rows),
        status=conv.status,
        email_replies=svc.settings.mail_configured,
        queue=await _queue(session, conv),
        agent=await assignment.holder_name(session, conv),
    )


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
        agents_online=info.agents_online,
    )


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    leave_message: bool = True


@router.post("/{conversation_id}/contact", response_model=MessagesOut)
async def leave_contact(
    body: ContactIn,
    svc: ServicesDep,
    session: SessionDep,
    conv: CustomerConversation,
) -> MessagesOut:
    """Leave an e-mail address; with leave_message, stop waiting: a person answers later."""
    config = await policy.load(session)
    change = await waiting.leave_contact(
        session,
        conv,
        body.email.strip(),
        body.leave_message,
        config,
        mail=svc.settings.mail_configured,
    )
    await commit_and_publish(session, svc.broker, change.events)
    svc.wake_postman()
    notice = [change.notice] if change.notice else []
    return MessagesOut(
        messages=out(notice),
        status=conv.status,
        email_replies=svc.settings.mail_configured,
        queue=await _queue(session, conv),
    )


@router.post("/{conversation_id}/handoff", response_model=TurnOut)
async def request_handoff(
    svc: ServicesDep,
    session: SessionDep,
    conv: CustomerConversation,
) -> TurnOut:
    """The "talk to a person" button."""
    config = await policy.load(session)
    change = await queue.hand_over(
        session,
        conv,
        "customer_request",
        config,
        {"handoff_button": True},
        chain_key=decisions.chain_key(svc.settings.secret_key),
        mail=svc.settings.mail_configured,
    )
    await commit_and_publish(session, svc.broker, change.events)
    svc.wake_postman()
    messages = [change.notice] if change.notice else []
    return _turn_out(Turn(messages, change.status, Verdict("escalated", "customer_request")))


@router.get("/{conversation_id}/export", response_model=ExportOut)
async def export(
    session: SessionDep,
    conv: CustomerConversation,
) -> ExportOut:
    """Everything stored about this conversation, for the customer to take away."""
    held = await erasure.held(session, conv)
    return ExportOut(
        conversation=ConversationRecord.model_validate(conv, from_attributes=True),
        messages=[MessageOut.model_validate(m) for m in held.messages],
        decisions=[DecisionView.model_validate(decisions.describe(d)) for d in held.decisions],
    )


@router.delete("/{conversation_id}", status_code=204)
async def erase(
    svc: ServicesDep,
    session: SessionDep,
    conv: CustomerConversation,
) -> None:
    """Erase the conversation: messages, notes, summary, contact details and e-mails are
    deleted, not hidden, and overwritten on disk; the erasure is logged without its content."""
    await erasure.erase(session, [conv.id], actor="customer", scope="conversation")
    await commit_and_publish(session, svc.broker, erasure.leaving_queue([conv]))
    await erasure.scrub_files(session)


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

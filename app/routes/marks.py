"""Agents mark the AI's answers good or wrong; the marks feed the knowledge-base suggestions."""

from __future__ import annotations

from fastapi import APIRouter

from app import marks
from app.deps import AgentDep, SessionDep
from app.inputs import DbInt
from app.routes.agent import may_read
from app.schemas import MarkIn, MarkOut
from handoff import assignment

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])


@router.post("/conversations/{conversation_id}/messages/{seq}/mark", response_model=MarkOut)
async def mark_answer(
    conversation_id: str, seq: DbInt, body: MarkIn, user: AgentDep, session: SessionDep
) -> MarkOut:
    """Mark an AI answer good or wrong (422 for any other message), in a conversation you may
    read (agents: waiting or yours; operators: any). One mark per answer and agent: marking
    again replaces the earlier verdict, note and time."""
    conv = await assignment.load(session, conversation_id)
    may_read(conv, user)
    msg = await marks.message(session, conv.id, seq)
    stored = await marks.mark(session, msg, user, body.verdict, body.note)
    await session.commit()
    return MarkOut.model_validate(stored)

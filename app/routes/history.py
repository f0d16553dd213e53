"""Closed conversations, newest first, searchable by message text, e-mail address or id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, exists, or_, select

from app.deps import AgentDep, SessionDep
from app.models import Conversation, Message

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])


class HistoryItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    locale: str
    contact_email: str | None
    escalation_reason: str | None
    rating: int | None
    created_at: datetime
    updated_at: datetime  # when it was closed (its last change)


class HistoryOut(BaseModel):
    items: list[HistoryItem]
    next_before: datetime | None  # pass as `before` for the next page; None: no more


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(q: str) -> ColumnElement[bool]:
    """The conversation's id, its customer's e-mail or one of its messages contains `q`
    (ignoring case; `ilike` is lower() LIKE lower() on SQLite)."""
    pattern = _like(q)
    said = exists().where(
        Message.conversation_id == Conversation.id, Message.text.ilike(pattern, escape="\\")
    )
    return or_(
        Conversation.id.ilike(pattern, escape="\\"),
        Conversation.contact_email.ilike(pattern, escape="\\"),
        said,
    )


@router.get("/history", response_model=HistoryOut)
async def history(
    user: AgentDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    before: datetime | None = None,
) -> HistoryOut:
    """Closed conversations (every agent sees them all, as a team's shared record), newest
    first, `limit` a page; internal notes are searched too, as agents read them."""
    query = select(Conversation).where(Conversation.status == "closed")
    if q.strip():
        query = query.where(_matches(q.strip()))
    if before is not None:
        aware = before if before.tzinfo is not None else before.replace(tzinfo=UTC)
        query = query.where(Conversation.updated_at < aware.astimezone(UTC))
    query = query.order_by(Conversation.updated_at.desc(), Conversation.id).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    items = [HistoryItem.model_validate(c) for c in rows[:limit]]
    more = len(rows) > limit
    return HistoryOut(items=items, next_before=items[-1].updated_at if more else None)

"""Agents' marks on the AI's answers: good or wrong, by whom and when.

One mark per answer and agent; marking again replaces the agent's earlier mark (and its time).
What agents mark wrong feeds the knowledge-base suggestions (`app.suggestions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Invalid, NotFound
from app.models import AnswerMark, Author, Kind, MarkVerdict, Message, User, utcnow


@dataclass(frozen=True)
class Mark:
    """A mark as agents see it, with the name of who made it."""

    message_seq: int
    verdict: MarkVerdict
    note: str | None
    user_id: int
    by: str
    created_at: datetime


def markable(msg: Message) -> bool:
    """Only the AI's own text can be judged: not the disclosure, events, people or notes."""
    return msg.role == Author.assistant and msg.ai and msg.kind == Kind.text and not msg.internal


async def message(session: AsyncSession, conversation_id: str, seq: int) -> Message:
    """The conversation's message with this sequence number."""
    found = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq)
    )
    msg = found.scalar_one_or_none()
    if msg is None:
        raise NotFound("No such message in this conversation.")
    return msg


async def mark(
    session: AsyncSession, msg: Message, user: User, verdict: MarkVerdict, note: str | None
) -> Mark:
    """Store the agent's verdict on an AI answer in the caller's transaction, replacing theirs."""
    if not markable(msg):
        raise Invalid("Only the AI's answers can be marked good or wrong.")
    values: dict[str, Any] = {
        "message_id": msg.id,
        "conversation_id": msg.conversation_id,
        "verdict": verdict.value,
        "note": (note or "").strip() or None,
        "user_id": user.id,
        "created_at": utcnow(),
    }
    # An upsert, so two clicks racing each other leave one row instead of a unique violation.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(AnswerMark).values(**values)
    replace = {k: insert.excluded[k] for k in ("verdict", "note", "created_at")}
    await session.execute(
        insert.on_conflict_do_update(index_elements=["message_id", "user_id"], set_=replace)
    )
    return Mark(
        message_seq=msg.seq,
        verdict=verdict,
        note=values["note"],
        user_id=user.id,
        by=user.display_name,
        created_at=values["created_at"],
    )


async def current(session: AsyncSession, conversation_id: str) -> dict[int, Mark]:
    """The latest mark on each marked answer of a conversation, by the answer's seq."""
    rows = await session.execute(
        select(AnswerMark, Message.seq, User.display_name)
        .join(Message, Message.id == AnswerMark.message_id)
        .join(User, User.id == AnswerMark.user_id)
        .where(AnswerMark.conversation_id == conversation_id)
        .order_by(AnswerMark.created_at, AnswerMark.id)
    )
    latest: dict[int, Mark] = {}
    for row, seq, name in rows:
        latest[seq] = Mark(seq, row.verdict, row.note, row.user_id, name, row.created_at)
    return latest

"""A customer's data: what is held about them, its export, its erasure, and its anonymising by
the retention purge. One implementation for the customer (the widget), operators (by
conversation or by the e-mail address a customer left) and the purge (`app/retention.py`).

The customer text lives in: messages (customer, AI and agents' replies, agents' internal
notes), the conversation row (contact e-mail, handoff summary, escalation detail), answer
marks' notes and the outbox (recipient and body). Knowledge-base suggestions are read from the
messages when asked for (`app/suggestions.py`), so nothing erased here can come back there.
Decisions hold scores and rule names, never text, and have no foreign key to conversations: an
erasure leaves the chain whole.

After the commit, `scrub_files` makes the deletion physical on SQLite: `secure_delete` (set on
every connection in `app/db.py`) has already zeroed the freed space in the database pages, and
a TRUNCATE checkpoint copies those pages home and empties the write-ahead log, which still held
the old page images. PostgreSQL: see docs/decisions.md (VACUUM).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.events import QueueChanged
from app.models import AnswerMark, Conversation, Decision, Erasure, Message, Outbox, Status

log = logging.getLogger("tandem.erasure")
PURGED = ""  # a purged conversation's token hash: no token hashes to it, so none opens it
BATCH = 500  # ids per statement (SQLite allows 32766 parameters)


@dataclass(frozen=True)
class Held:
    """Everything stored about one conversation."""

    conversation: Conversation
    messages: list[Message]  # internal notes included
    marks: list[AnswerMark]
    outbox: list[Outbox]
    decisions: list[Decision]


async def find(
    session: AsyncSession, *, conversation_id: str | None = None, email: str | None = None
) -> list[Conversation]:
    """The conversations of one id, or of every conversation that left this e-mail address
    (compared without regard to case), oldest first."""
    query = select(Conversation).order_by(Conversation.created_at, Conversation.id)
    if conversation_id is not None:
        query = query.where(Conversation.id == conversation_id)
    if email is not None:
        query = query.where(func.lower(Conversation.contact_email) == email.strip().lower())
    return list((await session.execute(query)).scalars())


async def held(session: AsyncSession, conv: Conversation) -> Held:
    async def rows(query: Select[Any]) -> list[Any]:
        return list((await session.execute(query)).scalars())

    return Held(
        conversation=conv,
        messages=await rows(
            select(Message).where(Message.conversation_id == conv.id).order_by(Message.seq)
        ),
        marks=await rows(
            select(AnswerMark).where(AnswerMark.conversation_id == conv.id).order_by(AnswerMark.id)
        ),
        outbox=await rows(
            select(Outbox).where(Outbox.conversation_id == conv.id).order_by(Outbox.id)
        ),
        decisions=await rows(
            select(Decision).where(Decision.conversation_id == conv.id).order_by(Decision.id)
        ),
    )


def leaving_queue(conversations: Sequence[Conversation]) -> list[QueueChanged]:
    """What agents' consoles hear when erased conversations were waiting or held: the queue
    changed (they read it again, without the erased ones)."""
    live = (Status.queued, Status.agent, Status.offline)
    return [QueueChanged(c.id) for c in conversations if c.status in live]


async def count(session: AsyncSession, ids: Sequence[str]) -> dict[str, int]:
    """How much customer text the conversations hold, per kind (what an erasure removes)."""
    totals = dict.fromkeys(
        ("conversations", "messages", "notes", "summaries", "contacts", "mark_notes", "outbox"), 0
    )
    for batch in _batches(ids):
        totals["conversations"] += await _count(session, Conversation, Conversation.id.in_(batch))
        within = Message.conversation_id.in_(batch)
        has_text = Message.text != ""
        note = Message.internal.is_(True)
        totals["messages"] += await _count(session, Message, within, has_text, ~note)
        totals["notes"] += await _count(session, Message, within, has_text, note)
        mine = Conversation.id.in_(batch)
        summaries = Conversation.summary_text.is_not(None)
        totals["summaries"] += await _count(session, Conversation, mine, summaries)
        contacts = Conversation.contact_email.is_not(None)
        totals["contacts"] += await _count(session, Conversation, mine, contacts)
        marked = AnswerMark.conversation_id.in_(batch)
        noted = AnswerMark.note.is_not(None)
        totals["mark_notes"] += await _count(session, AnswerMark, marked, noted)
        totals["outbox"] += await _count(session, Outbox, Outbox.conversation_id.in_(batch))
    return totals


async def _count(session: AsyncSession, table: type[Any], *where: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(table).where(*where)
    return int((await session.execute(query)).scalar_one())


async def erase(
    session: AsyncSession,
    ids: Sequence[str],
    *,
    actor: str,
    scope: str,
    user_id: int | None = None,
) -> dict[str, int]:
    """Delete the conversations and everything about them, and log the erasure (who, when, how
    much, never what) in the caller's transaction. Call `scrub_files` after the commit."""
    counts = await count(session, ids)
    for batch in _batches(ids):
        await session.execute(delete(AnswerMark).where(AnswerMark.conversation_id.in_(batch)))
        await session.execute(delete(Outbox).where(Outbox.conversation_id.in_(batch)))
        await session.execute(delete(Message).where(Message.conversation_id.in_(batch)))
        await session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
    session.add(Erasure(actor=actor, user_id=user_id, scope=scope, counts=counts))
    return counts


async def anonymise(session: AsyncSession, ids: Sequence[str]) -> None:
    """Remove the text but keep the anonymous skeleton the statistics read: the conversation
    (status, times, escalation reason, rating) and who spoke when, with every text emptied."""
    for batch in _batches(ids):
        await session.execute(
            update(Message).where(Message.conversation_id.in_(batch)).values(text="", sources=[])
        )
        await session.execute(
            update(AnswerMark).where(AnswerMark.conversation_id.in_(batch)).values(note=None)
        )
        await session.execute(delete(Outbox).where(Outbox.conversation_id.in_(batch)))
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(batch))
            .values(
                token_hash=PURGED,
                contact_email=None,
                summary_text=None,
                summary_source=None,
                escalation_detail=None,
            )
        )


async def scrub_files(session: AsyncSession) -> None:
    """After an erasure's commit, on SQLite: move the zeroed pages home and empty the WAL."""
    if session.get_bind().dialect.name != "sqlite":
        return
    row = (await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
    await session.commit()
    if row[0]:  # busy: a reader kept some frames; they go at the next checkpoint
        log.warning("the WAL could not be emptied after an erasure: a reader was active")


def _batches(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]

"""Conversations and their messages: sequence numbers, idempotent appends, replay."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Conversation, Message, utcnow
from app.security import hash_token, new_token, token_matches


async def create(session: AsyncSession, locale: str, ai_opt_out: bool) -> tuple[Conversation, str]:
    """A new conversation and its bearer token (returned once, stored only as a hash)."""
    token = new_token()
    conv = Conversation(
        id=uuid.uuid4().hex, token_hash=hash_token(token), locale=locale, ai_opt_out=ai_opt_out
    )
    session.add(conv)
    await session.flush()
    return conv, token


async def authorize(session: AsyncSession, conversation_id: str, token: str | None) -> Conversation:
    """The conversation if `token` belongs to it; the same 404 for unknown and foreign ids."""
    conv = await session.get(Conversation, conversation_id)
    # A wrong token answers as an unknown id does: nobody learns which ids exist.
    if conv is None or not token or not token_matches(token, conv.token_hash):
        raise NotFound("No such conversation, or this token does not open it.")
    return conv


async def append(
    session: AsyncSession,
    conversation_id: str,
    role: str,
    text: str,
    *,
    kind: str = "text",
    ai: bool = False,
    sources: Sequence[dict[str, Any]] = (),
    client_id: str | None = None,
    reply_to: int | None = None,
    author_id: int | None = None,
    author: str | None = None,
    internal: bool = False,
    require_status: str | None = None,
    bot_turn: bool = False,
) -> Message | None:
    """Insert a message with the next sequence number, in the caller's transaction.

    The UPDATE ... RETURNING takes the conversation's row lock (PostgreSQL) or the database
    write lock (SQLite), so two appends to one conversation never get the same number. With
    `require_status`, nothing is written (and None returned) unless the conversation is still
    in that status: a bot reply racing a handoff is dropped atomically. `bot_turn` counts an
    answer towards the policy's limit of bot turns in the same statement.
    """
    query = update(Conversation).where(Conversation.id == conversation_id)
    if require_status is not None:
        query = query.where(Conversation.status == require_status)
    values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1, "updated_at": utcnow()}
    if bot_turn:
        values["bot_turns"] = Conversation.bot_turns + 1
    seq = (
        await session.execute(query.values(**values).returning(Conversation.last_seq))
    ).scalar_one_or_none()
    if seq is None:
        if require_status is None:
            raise NotFound("No such conversation.")
        return None
    msg = Message(
        conversation_id=conversation_id,
        seq=seq,
        role=role,
        kind=kind,
        text=text,
        ai=ai,
        sources=list(sources),
        client_id=client_id,
        reply_to=reply_to,
        author_id=author_id,
        author=author,
        internal=internal,
        created_at=utcnow(),
    )
    session.add(msg)
    await session.flush()
    return msg


async def append_customer(
    session: AsyncSession, conversation_id: str, text: str, client_id: str | None
) -> tuple[Message, bool]:
    """Store a customer message once per `client_id` and commit; returns (message, is_new).

    New messages are the common case, so the insert goes first and the unique
    (conversation_id, client_id) constraint catches a retry, which then reads what it sent.
    """
    try:
        msg = await append(session, conversation_id, "customer", text, client_id=client_id)
        assert msg is not None
        await session.commit()
        return msg, True
    except IntegrityError:
        # A retry: this client_id is stored already (perhaps by a concurrent request). The
        # rollback also undoes our sequence number, so no gap is left.
        await session.rollback()
        assert client_id is not None
        existing = await by_client_id(session, conversation_id, client_id)
        if existing is None:
            raise
        return existing, False


async def by_client_id(
    session: AsyncSession, conversation_id: str, client_id: str
) -> Message | None:
    return (
        await session.execute(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.client_id == client_id
            )
        )
    ).scalar_one_or_none()


async def after(
    session: AsyncSession,
    conversation_id: str,
    seq: int,
    *,
    internal: bool = False,
    limit: int = 500,
) -> list[Message]:
    """Messages with a sequence number above `seq`, in order (agents' notes only if asked)."""
    query = select(Message).where(Message.conversation_id == conversation_id, Message.seq > seq)
    if not internal:
        query = query.where(Message.internal.is_(False))
    rows = await session.execute(query.order_by(Message.seq).limit(limit))
    return list(rows.scalars())


async def history(
    session: AsyncSession, conversation_id: str, seq: int, limit: int = 6
) -> list[tuple[str, str]]:
    """The (role, text) of the last `limit` messages before `seq` both sides saw, oldest first."""
    rows = await session.execute(
        select(Message.role, Message.text)
        .where(Message.conversation_id == conversation_id, Message.seq < seq)
        .where(Message.kind == "text", Message.internal.is_(False))
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return [(role, text) for role, text in reversed(rows.all())]


async def replies_to(session: AsyncSession, conversation_id: str, seq: int) -> list[Message]:
    """What a customer message caused (for answering a retried send identically)."""
    rows = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.reply_to == seq)
        .order_by(Message.seq)
    )
    return list(rows.scalars())

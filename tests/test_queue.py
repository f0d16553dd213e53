"""The ownership state machine, assignment and waiting figures, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import conversations
from app.auth import create_user
from app.db import create_engine, sessionmaker
from app.errors import Conflict
from app.models import Conversation, User, utcnow
from handoff import assignment, queue, waiting
from tests.conftest import Chat

STATUSES = ("bot", "queued", "agent", "offline", "closed")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    yield sessionmaker(engine)
    await engine.dispose()


async def _conversation(s: AsyncSession, status: str, agent_id: int | None = None) -> Conversation:
    conv, _ = await conversations.create(s, "en", False)
    conv.status, conv.agent_id = status, agent_id
    conv.queued_at = utcnow() if status in ("queued", "agent", "offline") else None
    await s.flush()
    return conv


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("to", STATUSES)
async def test_transitions_follow_the_table(
    db: async_sessionmaker[AsyncSession], start: str, to: str
) -> None:
    async with db() as s:
        agent = (await s.execute(select(User.id).where(User.role == "agent"))).scalars().first()
        conv = await _conversation(s, start, agent if start == "agent" else None)
        if to not in queue.ALLOWED[start]:
            with pytest.raises(Conflict):
                await queue.transition(s, conv, to, agent_id=agent)
            return
        change = await queue.transition(s, conv, to, notice="note", agent_id=agent)
        await s.commit()
        stored = await s.get(Conversation, conv.id, populate_existing=True)
        assert stored is not None and stored.status == to == change.status
        assert [e.type for e in change.events] == ["message", "status", "queue"]
        assert (stored.lease_expires_at is not None) == (to == "agent")


async def test_a_stale_writer_loses(db: async_sessionmaker[AsyncSession]) -> None:
    async with db() as s:
        conv = await _conversation(s, "queued")
        await s.commit()
    async with db() as first, db() as second:
        mine = await first.get(Conversation, conv.id)
        theirs = await second.get(Conversation, conv.id)
        assert mine is not None and theirs is not None
        await queue.transition(first, mine, "closed")
        await first.commit()
        with pytest.raises(Conflict):
            await queue.transition(second, theirs, "bot")


async def test_expected_wait_is_the_median_of_recent_claims(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with db() as s:
        assert await waiting.expected_wait(s) >= 0
        now = utcnow() + timedelta(days=1)  # newer than any claim the other tests made
        waits = [30] * 20 + [120] * 25 + [3600] * (waiting.RECENT_CLAIMS - 45)
        for seconds in waits:
            conv = await _conversation(s, "closed")
            conv.queued_at, conv.claimed_at = now - timedelta(seconds=seconds), now
        await s.flush()  # seen by this session only; rolled back below
        assert await waiting.expected_wait(s) == 120
        await s.rollback()


async def test_auto_assignment_is_round_robin_within_capacity(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    async with db() as s:
        await s.execute(update(User).values(last_seen_at=None))
        people = [
            await create_user(
                s, f"rr-{secrets.token_hex(4)}@example.com", "agent-password", "agent"
            )
            for _ in range(2)
        ]
        for person in people:
            person.max_concurrent = 1
        await s.commit()
        ids = [p.id for p in people]
    chats = [Chat(client) for _ in range(3)]
    for chat in chats:
        await chat.start()
        await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    try:
        async with db() as s:
            for person_id in ids:
                await assignment.mark_seen(s, person_id)
            await s.commit()
        held = await _wait_for_holdings(db, ids)
        assert held == {i: 1 for i in ids}  # one each: round-robin, and never over capacity
    finally:
        await _retire(db, ids)


async def _wait_for_holdings(
    db: async_sessionmaker[AsyncSession], ids: list[int]
) -> dict[int, int]:
    held: dict[int, int] = {}
    for _ in range(50):  # the app's clock assigns within a tick
        async with db() as s:
            rows = await s.execute(
                select(Conversation.agent_id).where(
                    Conversation.status == "agent", Conversation.agent_id.in_(ids)
                )
            )
            held = {}
            for (agent_id,) in rows.all():
                if agent_id is not None:
                    held[agent_id] = held.get(agent_id, 0) + 1
        if len(held) == len(ids):
            await asyncio.sleep(0.5)  # and nothing more arrives on a further tick
            return held
        await asyncio.sleep(0.2)
    return held


async def _retire(db: async_sessionmaker[AsyncSession], ids: list[int]) -> None:
    """Take the test agents offline and close what they hold, so other tests are unaffected."""
    async with db() as s:
        await s.execute(
            update(User).where(User.id.in_(ids)).values(last_seen_at=None, active=False)
        )
        rows = await s.execute(select(Conversation).where(Conversation.agent_id.in_(ids)))
        for conv in rows.scalars().all():
            await queue.transition(s, conv, "closed")
        await s.commit()


async def test_leases_renew_and_lapse(db: async_sessionmaker[AsyncSession]) -> None:
    async with db() as s:
        agent = await create_user(
            s, f"lease-{secrets.token_hex(4)}@example.com", "agent-password", "agent"
        )
        conv = await _conversation(s, "queued")
        await queue.transition(s, conv, "agent", agent_id=agent.id)
        conv.lease_expires_at = utcnow() - timedelta(seconds=5)
        await s.execute(
            update(Conversation)
            .where(Conversation.id == conv.id)
            .values(lease_expires_at=conv.lease_expires_at)
        )
        assert await assignment.renew_leases(s, agent.id) == 1
        await s.commit()
        refreshed = await s.get(Conversation, conv.id, populate_existing=True)
        assert refreshed is not None and refreshed.lease_expires_at is not None
        await queue.transition(s, refreshed, "closed")
        agent.active = False
        await s.commit()

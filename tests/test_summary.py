"""The handoff summary is claimed once per handoff: of several replicas hearing about it, one
writes it; a later handoff is summarised again."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import create_engine, sessionmaker
from app.llm import LLM
from app.models import Conversation, utcnow
from handoff import summary
from tests.conftest import Chat, settings_for
from tests.llm_stub import StubState


async def test_one_claim_wins_per_handoff(
    db_url: str, client: httpx.AsyncClient, chat: Chat, llm: Any
) -> None:
    await chat.start()
    r = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code == 200, r.text
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)

    async def claim() -> bool:
        async with sessions() as s:
            won = await summary.claim(s, chat.id)
            await s.commit()
        return won is not None

    try:
        async with asyncio.timeout(5):  # the server's own claim for this handoff
            while True:
                if await claimed_for(sessions, chat.id) is not None:
                    break
                await asyncio.sleep(0.05)
        assert await claim() is False
        async with sessions() as s:  # a new handoff (a new place in the queue)
            values = {"queued_at": utcnow(), "summary_for": None}
            await s.execute(update(Conversation).where(Conversation.id == chat.id).values(values))
            await s.commit()
        results = await asyncio.gather(*(claim() for _ in range(4)))
        assert sorted(results) == [False, False, False, True]
        assert await claim() is False
    finally:
        await engine.dispose()


async def claimed_for(sessions: async_sessionmaker[AsyncSession], cid: str) -> datetime | None:
    async with sessions() as s:
        query = select(Conversation.summary_for).where(Conversation.id == cid)
        return (await s.execute(query)).scalar_one()


async def test_a_summary_that_admits_not_knowing_falls_back_to_the_extractive_one(
    stub: tuple[StubState, str], llm: StubState
) -> None:
    model = LLM(settings_for("sqlite+aiosqlite://", openai_base_url=stub[1]))
    lines = [summary.Line("customer", "Where is my parcel 12345?")]
    try:
        llm.mode, llm.script = "script", "I don't know what the customer wants."
        brief = await summary.summarise(model, lines, "customer_request")
        extractive = summary.extractive(lines, "customer_request")
        assert brief == summary.Summary(extractive, "extractive")
        llm.script = "The customer asks where parcel 12345 is."
        assert await summary.summarise(model, lines, "customer_request") == summary.Summary(
            "The customer asks where parcel 12345 is.", "llm"
        )
    finally:
        await model.close()

"""The decision record: one per turn, chained by hash, surviving erasure, tampering detected."""

from __future__ import annotations

from sqlalchemy import select, update

from app import decisions
from app.db import create_engine, sessionmaker
from app.models import Decision
from tests.conftest import Chat, settings_for
from tests.llm_stub import StubState

KEY = decisions.chain_key(settings_for("sqlite://").secret_key)


async def _verify(db_url: str) -> int | None:
    engine = create_engine(db_url)
    async with sessionmaker(engine)() as s:
        bad = await decisions.verify_chain(s, KEY)
    await engine.dispose()
    return bad


async def test_erasing_a_conversation_keeps_the_chain_intact(
    chat: Chat, llm: StubState, db_url: str
) -> None:
    await chat.start()
    await chat.say("How long does delivery take?")
    erased = await chat.http.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth)
    assert erased.status_code == 204
    assert await _verify(db_url) is None


async def test_tampering_is_detected(chat: Chat, llm: StubState, db_url: str) -> None:
    await chat.start()
    await chat.say("Which payment methods do you accept?")
    engine = create_engine(db_url)
    async with sessionmaker(engine)() as s:
        row = (
            await s.execute(select(Decision).where(Decision.conversation_id == chat.id))
        ).scalar_one()
        original = row.outcome
        await s.execute(update(Decision).where(Decision.id == row.id).values(outcome="escalated"))
        await s.commit()
        try:
            assert await decisions.verify_chain(s, KEY) == row.id
        finally:
            await s.execute(update(Decision).where(Decision.id == row.id).values(outcome=original))
            await s.commit()
    await engine.dispose()
    assert await _verify(db_url) is None

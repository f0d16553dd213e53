"""Agents mark the AI's answers good or wrong, through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import create_engine, sessionmaker
from app.models import AnswerMark, User
from tests.conftest import Chat

AGENT = ("agent@example.com", "agent-password")
AGENT2 = ("agent2@example.com", "agent-password")
OPERATOR = ("operator@example.com", "operator-password")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Direct database access, to see what a mark stored."""
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)
    async with sessions() as s:  # nobody online: a handoff waits in the queue for our claim
        await s.execute(update(User).values(last_seen_at=None))
        await s.commit()
    yield sessions
    await engine.dispose()


async def login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def mark_url(cid: str, seq: int) -> str:
    return f"/api/v1/agent/conversations/{cid}/messages/{seq}/mark"


async def answered(http: httpx.AsyncClient) -> tuple[Chat, dict[str, Any]]:
    """A conversation in which the AI answered (quoting the help centre)."""
    chat = Chat(http)
    await chat.start()
    turn = await chat.say("How long does delivery take?")
    answer = turn["messages"][-1]
    assert answer["role"] == "assistant" and answer["ai"] and answer["kind"] == "text", turn
    return chat, answer


async def claimed(chat: Chat, who: tuple[str, str]) -> dict[str, str]:
    r = await chat.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code == 200 and r.json()["status"] == "queued", r.text
    agent = await login(chat.http, who)
    r = await chat.http.post(f"/api/v1/agent/conversations/{chat.id}/claim", headers=agent)
    assert r.status_code == 200, r.text
    return agent


async def shown_mark(chat: Chat, seq: int, who: dict[str, str]) -> dict[str, Any] | None:
    r = await chat.http.get(f"/api/v1/agent/conversations/{chat.id}", headers=who)
    assert r.status_code == 200, r.text
    mark: dict[str, Any] | None = next(m for m in r.json()["messages"] if m["seq"] == seq)["mark"]
    return mark


async def test_a_mark_stores_who_and_when_and_a_second_one_replaces_it(
    quote_client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    chat, answer = await answered(quote_client)
    agent = await claimed(chat, AGENT)
    assert await shown_mark(chat, answer["seq"], agent) is None
    before = datetime.now(UTC)
    r = await quote_client.post(
        mark_url(chat.id, answer["seq"]), json={"verdict": "good"}, headers=agent
    )
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["verdict"] == "good" and first["by"] == "Alex Agent"
    assert first["message_seq"] == answer["seq"]
    assert before <= datetime.fromisoformat(first["created_at"]) <= datetime.now(UTC)
    again = {"verdict": "wrong", "note": "The page says 1 to 2 days, not 3."}
    r = await quote_client.post(mark_url(chat.id, answer["seq"]), json=again, headers=agent)
    assert r.status_code == 200, r.text
    assert r.json()["created_at"] >= first["created_at"]
    shown = await shown_mark(chat, answer["seq"], agent)
    assert shown is not None
    assert (shown["verdict"], shown["note"], shown["by"]) == ("wrong", again["note"], "Alex Agent")
    async with db() as s:
        rows = await s.execute(select(AnswerMark).where(AnswerMark.conversation_id == chat.id))
        stored = rows.scalars().all()
        agent_id = (await s.execute(select(User.id).where(User.email == AGENT[0]))).scalar_one()
    assert [(m.user_id, m.verdict, m.note) for m in stored] == [(agent_id, "wrong", again["note"])]


async def test_each_agent_has_one_mark_and_the_view_shows_the_latest(
    quote_client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    chat, answer = await answered(quote_client)
    agent = await claimed(chat, AGENT)
    operator = await login(quote_client, OPERATOR)  # operators read every conversation
    url = mark_url(chat.id, answer["seq"])
    assert (await quote_client.post(url, json={"verdict": "wrong"}, headers=agent)).is_success
    assert (await quote_client.post(url, json={"verdict": "good"}, headers=operator)).is_success
    shown = await shown_mark(chat, answer["seq"], agent)
    assert shown is not None and (shown["verdict"], shown["by"]) == ("good", "Ola Op")
    async with db() as s:
        count = select(func.count()).where(AnswerMark.conversation_id == chat.id)
        assert (await s.execute(count)).scalar_one() == 2
    r = await quote_client.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth)
    assert r.status_code == 204
    async with db() as s:  # erasing the conversation takes its marks and notes with it
        assert (await s.execute(count)).scalar_one() == 0


async def test_only_the_ai_answers_can_be_marked(quote_client: httpx.AsyncClient, db: Any) -> None:
    chat, answer = await answered(quote_client)
    agent = await claimed(chat, AGENT)
    note = await quote_client.post(
        f"/api/v1/agent/conversations/{chat.id}/notes", json={"text": "VIP"}, headers=agent
    )
    view = (await quote_client.get(f"/api/v1/agent/conversations/{chat.id}", headers=agent)).json()
    kinds = {(m["role"], m["kind"], m["internal"]): m["seq"] for m in view["messages"]}
    others = [
        kinds["customer", "text", False],
        kinds["assistant", "disclosure", False],
        kinds["system", "event", False],
        note.json()["seq"],
    ]
    for seq in others:
        r = await quote_client.post(mark_url(chat.id, seq), json={"verdict": "good"}, headers=agent)
        assert r.status_code == 422, (seq, r.text)
        assert r.json()["error"] == "invalid"
    assert all(m["mark"] is None for m in view["messages"])
    for body in ({"verdict": "perfect"}, {"verdict": "good", "note": "x" * 1001}, {}):
        r = await quote_client.post(mark_url(chat.id, answer["seq"]), json=body, headers=agent)
        assert r.status_code == 422, (body, r.text)


async def test_unknown_messages_and_conversations_are_not_found(
    quote_client: httpx.AsyncClient, db: Any
) -> None:
    chat, answer = await answered(quote_client)
    agent = await claimed(chat, AGENT)
    good = {"verdict": "good"}
    r = await quote_client.post(mark_url(chat.id, 9999), json=good, headers=agent)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = await quote_client.post(mark_url("0" * 32, answer["seq"]), json=good, headers=agent)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_only_agents_who_may_read_the_conversation_mark(
    quote_client: httpx.AsyncClient, db: Any
) -> None:
    chat, answer = await answered(quote_client)
    url, good = mark_url(chat.id, answer["seq"]), {"verdict": "good"}
    # Without an agent's log-in the answer is 401, as everywhere in the agent API.
    assert (await quote_client.post(url, json=good)).status_code == 401
    assert (await quote_client.post(url, json=good, headers=chat.auth)).status_code == 401
    await claimed(chat, AGENT)
    other = await login(quote_client, AGENT2)  # neither waiting nor theirs
    r = await quote_client.post(url, json=good, headers=other)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"

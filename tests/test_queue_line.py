"""A waiting customer's line, live: whether anyone is online, and the position as the queue
moves, over HTTP and on the socket, without polling."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection

from app.db import create_engine, sessionmaker
from app.models import Conversation, User
from tests.conftest import Chat
from tests.llm_stub import ThreadedServer
from tests.test_websockets import customer, open_socket, until

Frame = dict[str, Any]


async def set_agents(db_url: str, **values: Any) -> None:
    """Presence and capacity straight in the table: the test decides who is online."""
    engine = create_engine(db_url)
    try:
        async with sessionmaker(engine)() as s:
            await s.execute(update(User).where(User.role == "agent").values(**values))
            await s.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def nobody_online(db_url: str) -> AsyncIterator[None]:
    """No agent online and none taking conversations automatically; restored afterwards."""
    await set_agents(db_url, last_seen_at=None, max_concurrent=0)
    yield
    await set_agents(db_url, last_seen_at=None, max_concurrent=3)


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def empty_queue(client: httpx.AsyncClient, db_url: str) -> None:
    """Earlier tests share the server: close what they left waiting, so positions start at 1,
    and what they left held. A held conversation whose agent's lease lapses during the test
    goes back to the front of the queue (the clock's job), ahead of the test's customers."""
    operator = await login(client, "operator@example.com", "operator-password")
    waiting = (await client.get("/api/v1/agent/queue", headers=operator)).json()["queued"]
    for cid in [item["id"] for item in waiting] + await held(db_url):
        r = await client.post(f"/api/v1/agent/conversations/{cid}/close", headers=operator)
        assert r.status_code == 200, r.text


async def held(db_url: str) -> list[str]:
    """Conversations some agent holds (no endpoint lists a colleague's; the table does)."""
    engine = create_engine(db_url)
    try:
        async with sessionmaker(engine)() as s:
            rows = await s.execute(select(Conversation.id).where(Conversation.status == "agent"))
            return list(rows.scalars())
    finally:
        await engine.dispose()


async def queued(client: httpx.AsyncClient) -> Chat:
    chat = Chat(client)
    await chat.start()
    r = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.json()["status"] == "queued", r.text
    return chat


def line(frame: Frame) -> bool:
    return bool(frame["type"] == "status" and frame["status"] == "queued")


async def next_line(ws: ClientConnection) -> Frame:
    return (await until(ws, line))[-1]


async def test_nobody_online_is_said_until_an_agent_console_connects_and_again_when_away(
    server: ThreadedServer, client: httpx.AsyncClient, nobody_online: None
) -> None:
    chat = await queued(client)
    r = await client.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert r.json()["queue"]["agents_online"] is False
    assert r.json()["queue"]["leave_message"] is True
    ws = await customer(server, chat, last_seq=10_000)
    assert (await next_line(ws))["agents_online"] is False

    agent = await open_socket(server, "/api/v1/agent/ws")
    token = (await login(client, "agent2@example.com", "agent-password"))["Authorization"]
    await agent.send(json.dumps({"type": "auth", "token": token.removeprefix("Bearer ")}))
    frame = await next_line(ws)  # pushed by the console's arrival, with no request
    assert frame["agents_online"] is True and frame["position"] >= 1
    r = await client.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert r.json()["queue"]["agents_online"] is True

    bearer = {"Authorization": token}
    try:  # the only agent steps away: the customer hears it at once, not at a heartbeat
        r = await client.patch("/api/v1/agent/me", json={"presence": "away"}, headers=bearer)
        assert r.status_code == 200, r.text
        assert (await next_line(ws))["agents_online"] is False
    finally:
        await client.patch("/api/v1/agent/me", json={"presence": "online"}, headers=bearer)
    await agent.close()
    await ws.close()


async def test_the_position_moves_live_when_someone_ahead_leaves_or_is_claimed(
    server: ThreadedServer, client: httpx.AsyncClient, db_url: str, nobody_online: None
) -> None:
    await empty_queue(client, db_url)
    first, second, third = await queued(client), await queued(client), await queued(client)
    ws = await customer(server, third, last_seq=10_000)
    assert (await next_line(ws))["position"] == 3

    left = {"email": "first@example.com", "leave_message": True}
    r = await client.post(
        f"/api/v1/conversations/{first.id}/contact", json=left, headers=first.auth
    )
    assert r.json()["status"] == "offline", r.text
    assert (await next_line(ws))["position"] == 2

    agent = await login(client, "agent@example.com", "agent-password")
    r = await client.post(f"/api/v1/agent/conversations/{second.id}/claim", headers=agent)
    assert r.status_code == 200, r.text
    frame = await next_line(ws)
    assert (frame["position"], frame["agents_online"]) == (1, False)
    await ws.close()

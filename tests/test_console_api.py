"""What the agent console needs beyond the handoff itself: presence, transfers only to someone
who can take the conversation, canned replies, the history and capacity; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import create_engine, sessionmaker
from app.models import Conversation, Presence, User, utcnow
from app.policy import load as load_policy
from handoff import assignment
from tests.conftest import Chat
from tests.llm_stub import ThreadedServer
from tests.test_websockets import customer, open_socket, until

AGENT = ("agent@example.com", "agent-password")
AGENT2 = ("agent2@example.com", "agent-password")
OPERATOR = ("operator@example.com", "operator-password")
ME = "/api/v1/agent/me"
CANNED = "/api/v1/agent/canned"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Nobody connected and everyone online with room, before and after each test."""
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)
    reset = update(User).values(last_seen_at=None, presence=Presence.online, max_concurrent=3)
    async with sessions() as s:
        await s.execute(reset)
        # Earlier tests' waiting conversations would be assigned to whoever these tests bring
        # online, filling their slots: arranged away here, as a test may (the app never does).
        leftovers = update(Conversation).where(Conversation.status == "queued")
        await s.execute(leftovers.values(status="closed"))
        await s.commit()
    yield sessions
    async with sessions() as s:
        await s.execute(reset)
        await s.commit()
    await engine.dispose()


async def login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def connect(db: async_sessionmaker[AsyncSession], email: str) -> int:
    """As if their console were live (the socket's heartbeat); returns their id."""
    async with db() as s:
        query = update(User).where(User.email == email).values(last_seen_at=utcnow())
        await s.execute(query)
        await s.commit()
        return (await s.execute(select(User.id).where(User.email == email))).scalar_one()


async def assignment_count(db: async_sessionmaker[AsyncSession], user_id: int) -> int:
    async with db() as s:
        return (await assignment.open_counts(s, [user_id])).get(user_id, 0)


def conv_url(cid: str, action: str = "") -> str:
    return f"/api/v1/agent/conversations/{cid}" + (f"/{action}" if action else "")


async def held(chat: Chat, agent: dict[str, str]) -> str:
    await chat.start()
    r = await chat.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.json()["status"] == "queued", r.text
    r = await chat.http.post(conv_url(chat.id, "claim"), headers=agent)
    assert r.status_code == 200, r.text
    return chat.id


async def test_presence_is_set_by_the_agent_and_validated(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    agent = await login(client, AGENT)
    me = (await client.get(ME, headers=agent)).json()
    assert (me["presence"], me["notify_new_messages"]) == ("online", False)
    r = await client.patch(
        ME, json={"presence": "away", "notify_new_messages": True}, headers=agent
    )
    assert r.status_code == 200 and r.json()["presence"] == "away", r.text
    assert (await client.get(ME, headers=agent)).json()["notify_new_messages"] is True
    for bad in ({"presence": "busy"}, {"notify_new_messages": "sometimes"}, {"role": "operator"}):
        r = await client.patch(ME, json=bad, headers=agent)
        assert r.status_code == 422 and r.json()["detail"], (bad, r.text)
    await client.patch(ME, json={"notify_new_messages": False}, headers=agent)

    await connect(db, AGENT[0])
    listed = {
        a["name"]: a for a in (await client.get("/api/v1/agent/agents", headers=agent)).json()
    }
    assert (listed["Alex Agent"]["presence"], listed["Alex Agent"]["online"]) == ("away", False)
    assert listed["Bo Agent"]["presence"] == "offline"  # no console: offline whatever they chose
    bo = listed["Bo Agent"]
    assert bo["capacity"] == 3 and bo["free"] == max(0, 3 - bo["open"])


async def test_colleagues_hear_a_presence_change(
    client: httpx.AsyncClient, server: ThreadedServer, db: async_sessionmaker[AsyncSession]
) -> None:
    alex = await login(client, AGENT)
    ws = await open_socket(server, "/api/v1/agent/ws")
    try:
        bo_token = (await login(client, AGENT2))["Authorization"].removeprefix("Bearer ")
        await ws.send(json.dumps({"type": "auth", "token": bo_token}))
        await until(ws, lambda f: f["type"] == "ready")
        me = (await client.patch(ME, json={"presence": "away"}, headers=alex)).json()
        # (Bo's own console arriving is a presence frame too.)
        heard = await until(ws, lambda f: f["type"] == "presence" and f["agent_id"] == me["id"])
        assert heard[-1] == {"type": "presence", "agent_id": me["id"], "presence": "away"}
    finally:
        await ws.close()


async def test_auto_assignment_and_waiting_skip_away_agents(
    db: async_sessionmaker[AsyncSession],
) -> None:
    alex = await connect(db, AGENT[0])
    async with db() as s:
        await s.execute(update(User).where(User.id == alex).values(presence=Presence.away))
        await s.commit()
        assert alex not in [a.id for a in await assignment.online_agents(s)]
        await s.execute(update(User).where(User.id == alex).values(presence=Presence.online))
        await s.commit()
        assert alex in [a.id for a in await assignment.online_agents(s)]
        await s.execute(update(User).where(User.id == alex).values(presence=Presence.offline))
        await s.commit()
        assert await assignment.online_agents(s) == []
        assert await assignment.assign_next(s, await load_policy(s)) is None


async def test_transfer_only_to_someone_who_can_take_it(
    client: httpx.AsyncClient, chat: Chat, db: async_sessionmaker[AsyncSession]
) -> None:
    one = await login(client, AGENT)
    cid = await held(chat, one)
    bo = (await client.get(ME, headers=await login(client, AGENT2))).json()["id"]

    async def transfer(agent_id: int) -> httpx.Response:
        return await client.post(
            conv_url(cid, "transfer"), json={"agent_id": agent_id}, headers=one
        )

    r = await transfer(999_999)
    assert r.status_code == 422 and "no active agent" in r.json()["detail"], r.text
    for impossible in (-1, 2**31, 10**20):  # refused before the database sees them
        r = await transfer(impossible)
        assert r.status_code == 422 and r.json()["detail"].startswith("agent_id"), r.text
    r = await transfer(bo)
    assert r.status_code == 409 and "Bo Agent is not online" in r.json()["detail"], r.text
    await connect(db, AGENT2[0])
    async with db() as s:
        await s.execute(update(User).where(User.id == bo).values(presence=Presence.away))
        await s.commit()
    assert (await transfer(bo)).status_code == 409
    holding = await assignment_count(db, bo)  # from earlier tests, perhaps
    async with db() as s:
        full = {"presence": Presence.online, "max_concurrent": holding}
        await s.execute(update(User).where(User.id == bo).values(**full))
        await s.commit()
    r = await transfer(bo)
    assert r.status_code == 409 and "no free slot" in r.json()["detail"], r.text
    async with db() as s:
        await s.execute(update(User).where(User.id == bo).values(max_concurrent=holding + 1))
        await s.commit()
    r = await transfer(bo)
    assert r.status_code == 200 and r.json()["agent_id"] == bo, r.text
    said = await client.get(f"/api/v1/conversations/{cid}/messages", headers=chat.auth)
    assert said.json()["messages"][-1]["text"].startswith("Bo Agent")


async def test_the_customer_status_names_whoever_holds_it_now(
    client: httpx.AsyncClient,
    chat: Chat,
    server: ThreadedServer,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """The widget's status line reads `agent` from the status frame: after a transfer it must
    name the new holder, not the first agent."""
    one = await login(client, AGENT)
    cid = await held(chat, one)
    bo = await connect(db, AGENT2[0])
    async with db() as s:  # room for one more, whatever earlier tests handed Bo
        await s.execute(update(User).where(User.id == bo).values(max_concurrent=50))
        await s.commit()
    ws = await customer(server, chat)
    try:
        r = await client.post(conv_url(cid, "transfer"), json={"agent_id": bo}, headers=one)
        assert r.status_code == 200, r.text
        heard = await until(ws, lambda f: f["type"] == "status" and f.get("agent") == "Bo Agent")
        assert "agent_id" not in heard[-1]  # colleagues' ids stay on agents' sockets
    finally:
        await ws.close()
    again = await customer(server, chat)  # a reload: the first status names them too
    try:
        first = await until(again, lambda f: f["type"] == "status")
        assert first[-1]["agent"] == "Bo Agent"
    finally:
        await again.close()
    # A poll (the socket's fallback, or the widget's first look after a reconnect) too.
    r = await client.get(f"/api/v1/conversations/{cid}/messages", headers=chat.auth)
    assert (r.json()["status"], r.json()["agent"]) == ("agent", "Bo Agent")


async def test_canned_replies_personal_and_team(client: httpx.AsyncClient) -> None:
    alex, bo, op = [await login(client, who) for who in (AGENT, AGENT2, OPERATOR)]
    tag = uuid.uuid4().hex[:8]
    mine = {"shortcut": f"hi-{tag}", "text": "Hello from Alex."}
    r = await client.post(CANNED, json=mine, headers=alex)
    assert r.status_code == 201 and r.json()["owner_id"] is not None, r.text
    mine_id = r.json()["id"]
    assert (await client.post(CANNED, json=mine, headers=alex)).status_code == 409
    assert (await client.post(CANNED, json=mine, headers=bo)).status_code == 201  # his own
    team = {**mine, "text": "Hello from the team.", "team": True}
    r = await client.post(CANNED, json=team, headers=alex)
    assert r.status_code == 403 and "operators" in r.json()["detail"], r.text
    r = await client.post(CANNED, json=team, headers=op)
    assert r.status_code == 201 and r.json()["owner_id"] is None, r.text
    team_id = r.json()["id"]
    assert (await client.post(CANNED, json=team, headers=op)).status_code == 409

    texts = {c["text"] for c in (await client.get(CANNED, headers=alex)).json()}
    assert {"Hello from Alex.", "Hello from the team."} <= texts  # not Bo's own
    assert [c for c in (await client.get(CANNED, headers=bo)).json() if c["id"] == mine_id] == []
    edit = {"shortcut": f"hello-{tag}", "text": "Hello again."}
    assert (await client.put(f"{CANNED}/{mine_id}", json=edit, headers=bo)).status_code == 404
    assert (await client.put(f"{CANNED}/{team_id}", json=edit, headers=alex)).status_code == 403
    r = await client.put(f"{CANNED}/{mine_id}", json=edit, headers=alex)
    assert r.status_code == 200 and r.json()["text"] == "Hello again.", r.text
    assert (await client.put(f"{CANNED}/999999", json=edit, headers=alex)).status_code == 404
    assert (await client.put(f"{CANNED}/{2**40}", json=edit, headers=alex)).status_code == 422
    assert (await client.delete(f"{CANNED}/{team_id}", headers=alex)).status_code == 403
    assert (await client.delete(f"{CANNED}/{team_id}", headers=op)).status_code == 204
    assert (await client.delete(f"{CANNED}/{mine_id}", headers=alex)).status_code == 204
    assert (await client.delete(f"{CANNED}/{mine_id}", headers=alex)).status_code == 404


async def closed_chat(chat: Chat, agent: dict[str, str], text: str, email: str) -> str:
    cid = await held(chat, agent)
    await chat.say(text)
    r = await chat.http.post(
        f"/api/v1/conversations/{cid}/contact", json={"email": email}, headers=chat.auth
    )
    assert r.status_code in (200, 204), r.text
    assert (await chat.http.post(conv_url(cid, "close"), headers=agent)).status_code == 200
    return cid


async def test_history_finds_closed_conversations_by_text_email_or_id(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    alex, bo = await login(client, AGENT), await login(client, AGENT2)
    tag = uuid.uuid4().hex[:10]
    first = await closed_chat(Chat(client), alex, f"Parcel {tag} 100% LATE", f"sam.{tag}@x.org")
    second = await closed_chat(Chat(client), alex, f"Refund {tag} please", f"kim.{tag}@x.org")

    async def found(q: str, who: dict[str, str] = bo, **more: Any) -> list[str]:
        r = await client.get("/api/v1/agent/history", params={"q": q, **more}, headers=who)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert await found(f"parcel {tag.upper()} 100% late") == [first]  # any colleague, any case
    assert await found(f"SAM.{tag}") == [first]
    assert await found(second[:12]) == [second]
    assert await found(f"{tag}_") == [] and await found(f"{tag}%") == []  # wildcards are text
    assert await found(tag) == [second, first]  # newest first
    page = await client.get("/api/v1/agent/history", params={"q": tag, "limit": 1}, headers=bo)
    cursor = page.json()["next_before"]
    assert [c["id"] for c in page.json()["items"]] == [second] and cursor
    assert await found(tag, before=cursor, limit=1) == [first]
    r = await client.get(conv_url(first), headers=bo)  # readable, read-only, by colleagues
    assert r.status_code == 200 and r.json()["conversation"]["status"] == "closed"
    assert (
        await client.post(conv_url(first, "messages"), json={"text": "x"}, headers=bo)
    ).status_code == 409
    assert (
        await client.get("/api/v1/agent/history", params={"limit": 0}, headers=bo)
    ).status_code == 422


async def test_operators_set_capacity(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    op, alex = await login(client, OPERATOR), await login(client, AGENT)
    bo = await connect(db, AGENT2[0])
    users = (await client.get("/api/v1/admin/users", headers=op)).json()
    assert {"agent@example.com", "agent2@example.com"} <= {u["email"] for u in users}
    assert (await client.get("/api/v1/admin/users", headers=alex)).status_code == 403
    path = f"/api/v1/admin/users/{bo}"
    assert (await client.patch(path, json={"max_concurrent": 5}, headers=alex)).status_code == 403
    for bad in (-1, 51, "many"):
        r = await client.patch(path, json={"max_concurrent": bad}, headers=op)
        assert r.status_code == 422, r.text
    one = {"max_concurrent": 1}
    huge = await client.patch(f"/api/v1/admin/users/{2**40}", json=one, headers=op)
    assert huge.status_code == 422, huge.text
    assert (
        await client.patch("/api/v1/admin/users/999999", json={"max_concurrent": 1}, headers=op)
    ).status_code == 404
    r = await client.patch(path, json={"max_concurrent": 7}, headers=op)
    assert r.status_code == 200 and r.json()["max_concurrent"] == 7, r.text
    listed = {a["id"]: a for a in (await client.get("/api/v1/agent/agents", headers=alex)).json()}
    assert (listed[bo]["capacity"], listed[bo]["online"]) == (7, True)
    assert listed[bo]["free"] == 7 - listed[bo]["open"]  # tests share the database

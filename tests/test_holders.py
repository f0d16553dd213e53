"""The agent socket follows who holds a conversation: a claim, an auto-assignment or a transfer
subscribes the holder's open consoles with no `resume`; a transfer, a release or a close leaves
the former holder's consoles with nothing more of it, and no way to type to the customer. On one
server (SQLite, PostgreSQL) and on two replicas sharing PostgreSQL through Redis."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import update
from websockets.asyncio.client import ClientConnection

from app.auth import create_user
from app.db import create_engine, sessionmaker
from app.main import create_app
from app.models import Conversation, User
from tests.conftest import Chat, empty_database, settings_for
from tests.llm_stub import ThreadedServer
from tests.test_websockets import Frame, customer, open_socket, until

REDIS = os.environ.get("TANDEM_TEST_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "agent-password"
TOPOLOGIES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("two-replicas", marks=pytest.mark.postgres),
]


@dataclass
class Site:
    """Where the test talks: `a` serves the customer and the HTTP calls, `b` is the other
    replica (the same server when there is only one)."""

    db_url: str
    a: ThreadedServer
    b: ThreadedServer


@pytest.fixture(scope="module", params=TOPOLOGIES)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A database of this module's own (so its queue holds only this module's conversations)."""
    kind = "sqlite" if request.param == "sqlite" else "postgres"
    with empty_database(kind, tmp_path_factory) as url:
        extra = {}
        if request.param == "two-replicas":
            channel = f"tandem:test:{secrets.token_hex(4)}"
            extra = {"redis_url": REDIS, "redis_channel": channel}
        servers = [ThreadedServer(create_app(settings_for(url, **extra))).start()]
        if request.param == "two-replicas":
            servers.append(ThreadedServer(create_app(settings_for(url, **extra))).start())
        try:
            yield Site(url, servers[0], servers[-1])
        finally:
            for srv in servers:
                srv.stop()


@dataclass
class Agent:
    id: int
    email: str
    bearer: dict[str, str]
    token: str


@dataclass
class Scene:
    site: Site
    http: httpx.AsyncClient
    sockets: list[ClientConnection]

    async def agent(self, name: str, *, auto: bool = False, capacity: int = 3) -> Agent:
        """A fresh agent; unless `auto`, one the clock never assigns to (capacity 0)."""
        email = f"{name}-{secrets.token_hex(4)}@example.com"
        engine = create_engine(self.site.db_url)
        async with sessionmaker(engine)() as s:
            user = await create_user(s, email, PASSWORD, "agent", name)
            user.max_concurrent = capacity if auto else 0
            await s.commit()
            user_id = user.id
        await engine.dispose()
        r = await self.http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        return Agent(user_id, email, {"Authorization": f"Bearer {token}"}, token)

    async def console(self, server: ThreadedServer, agent: Agent) -> ClientConnection:
        ws = await open_socket(server, "/api/v1/agent/ws")
        await ws.send(json.dumps({"type": "auth", "token": agent.token}))
        await until(ws, lambda f: f["type"] == "ready")
        self.sockets.append(ws)
        return ws

    async def waiting_chat(self) -> tuple[Chat, ClientConnection]:
        chat = Chat(self.http)
        await chat.start()
        r = await self.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
        assert r.status_code < 300, r.text
        ws = await customer(self.site.a, chat, last_seq=10_000)
        await until(ws, lambda f: f["type"] == "status")
        self.sockets.append(ws)
        return chat, ws

    async def act(self, chat: Chat, agent: Agent, action: str, **body: object) -> None:
        url = f"/api/v1/agent/conversations/{chat.id}/{action}"
        r = await self.http.post(url, headers=agent.bearer, json=body or None)
        assert r.status_code == 200, r.text


@pytest.fixture
async def scene(site: Site) -> AsyncIterator[Scene]:
    """Nobody online and nothing waiting: the clock assigns only what a test arranges."""
    engine = create_engine(site.db_url)
    async with sessionmaker(engine)() as s:
        await s.execute(update(User).values(last_seen_at=None))
        waiting = Conversation.status.in_(("queued", "offline"))
        await s.execute(update(Conversation).where(waiting).values(status="closed"))
        await s.commit()
    await engine.dispose()
    async with httpx.AsyncClient(base_url=site.a.url, timeout=30) as http:
        scene = Scene(site, http, [])
        try:
            yield scene
        finally:
            for ws in scene.sockets:
                await ws.close()


def said(cid: str, text: str) -> Callable[[Frame], bool]:
    def done(f: Frame) -> bool:
        return f["type"] == "message" and (f["conversation_id"], f["message"]["text"]) == (
            cid,
            text,
        )

    return done


async def collect(ws: ClientConnection, within: float = 1.0) -> list[Frame]:
    """Every frame arriving within `within` seconds."""
    frames: list[Frame] = []
    try:
        async with asyncio.timeout(within):
            while True:
                frames.append(json.loads(await ws.recv()))
    except TimeoutError:
        pass
    return frames


def increasing(frames: list[Frame], cid: str) -> bool:
    """The conversation's messages arrived once each and in order."""
    got = [f["message"]["seq"] for f in frames if f["type"] == "message"]
    return (
        bool(got)
        and got == sorted(set(got))
        and all(f["conversation_id"] == cid for f in frames if f["type"] == "message")
    )


async def test_a_claim_subscribes_the_agents_open_consoles(scene: Scene) -> None:
    agent = await scene.agent("Cleo")
    consoles = [await scene.console(scene.site.a, agent), await scene.console(scene.site.b, agent)]
    chat, cust = await scene.waiting_chat()
    await scene.act(chat, agent, "claim")
    await cust.send(json.dumps({"type": "message", "text": "Hello there", "client_id": "h-1"}))
    for ws in consoles:  # no resume sent
        frames = await until(ws, said(chat.id, "Hello there"))
        assert increasing(frames, chat.id)
        if not any(f["type"] == "status" for f in frames):  # not ordered with the messages
            await until(ws, lambda f: f["type"] == "status" and f["status"] == "agent")
    await cust.send(json.dumps({"type": "typing", "typing": True}))
    for ws in consoles:
        assert (await until(ws, lambda f: f["type"] == "typing"))[-1]["role"] == "customer"
    await consoles[-1].send(
        json.dumps({"type": "typing", "conversation_id": chat.id, "typing": True})
    )
    assert (await until(cust, lambda f: f["type"] == "typing"))[-1]["role"] == "agent"


async def test_an_auto_assignment_subscribes_the_agents_open_consoles(scene: Scene) -> None:
    agent = await scene.agent("Dana", auto=True)
    consoles = [await scene.console(scene.site.a, agent), await scene.console(scene.site.b, agent)]
    chat, cust = await scene.waiting_chat()
    for ws in consoles:  # the clock gives it to the only online agent
        await until(ws, lambda f: f["type"] == "status" and f["status"] == "agent", within=15)
    await cust.send(json.dumps({"type": "message", "text": "Anyone?", "client_id": "a-1"}))
    for ws in consoles:
        frames = await until(ws, said(chat.id, "Anyone?"))
        assert increasing(frames, chat.id)
    r = await scene.http.get("/api/v1/agent/queue", headers=agent.bearer)
    assert [c["id"] for c in r.json()["mine"]] == [chat.id]


@pytest.mark.parametrize("action", ["transfer", "release", "close"])
async def test_the_former_holder_hears_nothing_more(scene: Scene, action: str) -> None:
    # Finn has free slots: a transfer goes only to someone who can take the conversation (and
    # more than earlier tests' waiting conversations, which the clock may hand him meanwhile).
    one, two = await scene.agent("Eve"), await scene.agent("Finn", auto=True, capacity=50)
    former = [await scene.console(scene.site.a, one), await scene.console(scene.site.b, one)]
    chat, cust = await scene.waiting_chat()
    await scene.act(chat, one, "claim")
    for ws in former:
        await until(ws, lambda f: f["type"] == "status" and f["status"] == "agent")
    await cust.send(json.dumps({"type": "message", "text": "Before", "client_id": "p-1"}))
    for ws in former:
        await until(ws, said(chat.id, "Before"))
    new = await scene.console(scene.site.b, two)

    if action == "transfer":
        await scene.act(chat, one, "transfer", agent_id=two.id)
    else:
        await scene.act(chat, one, action)
    private = "PRIVATE: my new address is Keizersgracht 1"
    await cust.send(json.dumps({"type": "message", "text": private, "client_id": "p-2"}))
    await until(cust, lambda f: f["type"] == "ack")
    await cust.send(json.dumps({"type": "typing", "typing": True}))
    heard: list[Frame] = []
    for ws in former:  # still connected, and trying to type to the customer
        await ws.send(json.dumps({"type": "typing", "conversation_id": chat.id, "typing": True}))
        await ws.send(json.dumps({"type": "ping"}))  # answered after the typing frame is handled
        heard += await until(ws, lambda f: f["type"] == "pong")
    if action == "transfer":  # the new holder, subscribed by the transfer, gets it all
        got = await until(new, said(chat.id, private))
        assert increasing(got, chat.id)
    await asyncio.sleep(1)  # time for anything leaked to cross Redis

    for ws in former:
        heard += await collect(ws)
    # The change itself (status, queue) may reach them; nothing of what is said afterwards.
    mine = [f for f in heard if f.get("conversation_id") == chat.id]
    assert all(f["type"] in ("status", "queue") for f in mine), mine
    cust_frames = await collect(cust)
    assert not [f for f in cust_frames if f["type"] == "typing" and f["role"] == "agent"]
    if action == "transfer":  # the new holder can type to the customer
        await new.send(json.dumps({"type": "typing", "conversation_id": chat.id, "typing": True}))
        assert (await until(cust, lambda f: f["type"] == "typing"))[-1]["role"] == "agent"


async def test_a_hold_ended_before_its_event_arrives_leaks_no_message(scene: Scene) -> None:
    """The event of a transfer may reach a replica after the customer's next message (another
    replica committed both). Arranged here by moving the hold in the database with no event:
    each message an agent socket is sent is read together with the holder."""
    one, two = await scene.agent("Gus"), await scene.agent("Hana")
    former = [await scene.console(scene.site.a, one), await scene.console(scene.site.b, one)]
    chat, cust = await scene.waiting_chat()
    await scene.act(chat, one, "claim")
    await cust.send(json.dumps({"type": "message", "text": "Before", "client_id": "r-1"}))
    for ws in former:
        await until(ws, said(chat.id, "Before"))
    engine = create_engine(scene.site.db_url)
    async with sessionmaker(engine)() as s:
        held = Conversation.id == chat.id
        await s.execute(update(Conversation).where(held).values(agent_id=two.id))
        await s.commit()
    await engine.dispose()
    private = "PRIVATE: my new address is Keizersgracht 1"
    await cust.send(json.dumps({"type": "message", "text": private, "client_id": "r-2"}))
    await until(cust, lambda f: f["type"] == "ack")
    await asyncio.sleep(1)
    for ws in former:
        heard = [f for f in await collect(ws) if f.get("conversation_id") == chat.id]
        assert not [f for f in heard if f["type"] == "message"], heard

"""The live websockets, through a real server and the `websockets` client: authentication by
first frame, Origin, frame size, resume without loss or duplicates, tokens, typing, slow clients."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from app.auth import ended_logins
from app.db import create_engine, sessionmaker
from app.security import hash_token
from tests.conftest import Chat
from tests.llm_stub import ThreadedServer

Frame = dict[str, Any]
ORIGIN = Origin("http://127.0.0.1")
QUESTION = "How long does delivery take within the Netherlands?"  # answered from the demo KB


def ws_url(server: ThreadedServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


async def open_socket(server: ThreadedServer, path: str, **kw: Any) -> ClientConnection:
    kw.setdefault("origin", ORIGIN)
    return await connect(ws_url(server, path), compression=None, open_timeout=5, **kw)


async def customer(
    server: ThreadedServer, chat: Chat, last_seq: int = 0, **kw: Any
) -> ClientConnection:
    ws = await open_socket(server, f"/api/v1/conversations/{chat.id}/ws", **kw)
    await ws.send(json.dumps({"type": "auth", "token": chat.token, "last_seq": last_seq}))
    return ws


async def until(
    ws: ClientConnection, done: Callable[[Frame], bool], within: float = 10
) -> list[Frame]:
    """Frames received up to and including the first one `done` accepts."""
    frames: list[Frame] = []
    async with asyncio.timeout(within):
        while True:
            frames.append(json.loads(await ws.recv()))
            if done(frames[-1]):
                return frames


def seqs(frames: list[Frame]) -> list[int]:
    return [f["message"]["seq"] for f in frames if f["type"] == "message"]


async def closed_with(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(8):
            while True:
                await ws.recv()
    await ws.close()  # a no-op on the protocol; waits until the socket itself is closed
    assert info.value.rcvd is not None
    return info.value.rcvd.code


async def test_wrong_token_closes_1008_and_url_tokens_are_ignored(
    server: ThreadedServer, chat: Chat
) -> None:
    await chat.start()
    ws = await open_socket(server, f"/api/v1/conversations/{chat.id}/ws")
    await ws.send(json.dumps({"type": "auth", "token": "not-the-token"}))
    assert await closed_with(ws) == 1008
    ws = await open_socket(server, f"/api/v1/conversations/{chat.id}/ws?token={chat.token}")
    await ws.send(json.dumps({"type": "typing", "typing": True}))  # no frame before auth
    assert await closed_with(ws) == 1008


async def test_agent_socket_needs_a_session(server: ThreadedServer) -> None:
    ws = await open_socket(server, "/api/v1/agent/ws")
    await ws.send(json.dumps({"type": "auth", "token": "nope"}))
    assert await closed_with(ws) == 1008


@pytest.mark.parametrize("origin", ["https://evil.test", "http://127.0.0.1.evil.test", "null"])
async def test_foreign_origin_is_refused_at_the_handshake(
    server: ThreadedServer, chat: Chat, origin: str
) -> None:
    await chat.start()
    with pytest.raises(InvalidStatus) as info:
        await open_socket(server, f"/api/v1/conversations/{chat.id}/ws", origin=Origin(origin))
    assert info.value.response.status_code == 403


async def test_no_origin_is_allowed_for_non_browser_clients(
    server: ThreadedServer, chat: Chat
) -> None:
    await chat.start()
    ws = await customer(server, chat, origin=None)
    frames = await until(ws, lambda f: f["type"] == "message")
    assert frames[0]["type"] == "ready" and seqs(frames) == [1]
    await ws.close()


async def test_tandems_own_pages_may_connect(server: ThreadedServer, chat: Chat) -> None:
    """The widget frame is served by Tandem itself: its origin carries our own host and port."""
    await chat.start()
    ws = await customer(server, chat, origin=Origin(server.url))
    frames = await until(ws, lambda f: f["type"] == "message")
    assert frames[0]["type"] == "ready"
    await ws.close()


async def test_oversize_frame_closes_1009(server: ThreadedServer, chat: Chat) -> None:
    await chat.start()
    ws = await customer(server, chat)
    await until(ws, lambda f: f["type"] == "ready")
    await ws.send(json.dumps({"type": "message", "text": "x" * 70_000}))
    assert await closed_with(ws) == 1009


async def test_reconnect_with_stale_seq_is_gap_and_duplicate_free(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient, llm: Any
) -> None:
    await chat.start()
    await chat.say("How long does delivery take within the Netherlands?")
    ws = await customer(server, chat)
    first = await until(ws, lambda f: f["type"] == "message" and f["message"]["seq"] >= 3)
    await ws.close()
    await chat.say("And can I return shoes?")  # sent while the socket is down
    stale = seqs(first)[1]  # the client only rendered up to here
    ws = await customer(server, chat, last_seq=stale)
    stored = (
        await client.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    ).json()
    latest = stored["messages"][-1]["seq"]
    second = await until(ws, lambda f: f["type"] == "message" and f["message"]["seq"] == latest)
    await ws.close()
    assert seqs(second) == list(range(stale + 1, latest + 1))
    assert sorted(set(seqs(first)[:2] + seqs(second))) == [m["seq"] for m in stored["messages"]]


async def test_socket_message_streams_tokens_then_the_stored_reply(
    server: ThreadedServer, chat: Chat, llm: Any
) -> None:
    await chat.start()
    ws = await customer(server, chat, last_seq=1)
    await until(ws, lambda f: f["type"] == "status")
    await ws.send(json.dumps({"type": "message", "text": QUESTION, "client_id": "c-1"}))
    frames = await until(
        ws, lambda f: f["type"] == "message" and f["message"]["role"] == "assistant"
    )
    ack = next(f for f in frames if f["type"] == "ack")
    assert ack == {"type": "ack", "client_id": "c-1", "seq": 2}
    kinds = [f["type"] for f in frames]
    assert "token" in kinds and kinds.index("token") < len(kinds) - 1
    streamed = "".join(f["text"] for f in frames if f["type"] == "token")
    assert streamed and streamed in frames[-1]["message"]["text"]
    await ws.send(json.dumps({"type": "message", "text": QUESTION, "client_id": "c-1"}))
    again = await until(ws, lambda f: f["type"] == "ack")
    assert again[-1]["seq"] == 2 and not seqs(again)  # stored once, nothing new
    await ws.close()


async def agent_holding(
    server: ThreadedServer, client: httpx.AsyncClient, chat: Chat
) -> tuple[str, ClientConnection]:
    """Hand over, log in as an agent, claim the conversation and resume it on the agent socket."""
    r = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code < 300, r.text
    login = await client.post(
        "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
    )
    token = login.json()["token"]
    r = await client.post(
        f"/api/v1/agent/conversations/{chat.id}/claim", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    ws = await open_socket(server, "/api/v1/agent/ws")
    await ws.send(json.dumps({"type": "auth", "token": token}))
    await until(ws, lambda f: f["type"] == "ready")
    await ws.send(json.dumps({"type": "resume", "conversation_id": chat.id, "last_seq": 0}))
    await until(ws, lambda f: f["type"] == "message")
    return token, ws


async def test_typing_and_messages_both_ways(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient
) -> None:
    await chat.start()
    token, agent = await agent_holding(server, client, chat)
    cust = await customer(server, chat, last_seq=10_000)
    await until(cust, lambda f: f["type"] == "status")
    await cust.send(json.dumps({"type": "typing", "typing": True}))
    got = await until(agent, lambda f: f["type"] == "typing")
    assert got[-1]["role"] == "customer" and got[-1]["typing"] is True
    await agent.send(json.dumps({"type": "typing", "conversation_id": chat.id, "typing": True}))
    got = await until(cust, lambda f: f["type"] == "typing")
    assert got[-1]["role"] == "agent"
    await cust.send(json.dumps({"type": "message", "text": "Are you there?", "client_id": "t-1"}))
    got = await until(
        agent, lambda f: f["type"] == "message" and f["message"]["role"] == "customer"
    )
    assert got[-1]["message"]["text"] == "Are you there?"
    r = await client.post(
        f"/api/v1/agent/conversations/{chat.id}/messages",
        json={"text": "Yes, I am here."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code < 300, r.text
    got = await until(cust, lambda f: f["type"] == "message" and f["message"]["role"] == "agent")
    assert got[-1]["message"]["text"] == "Yes, I am here."
    await agent.close()
    await cust.close()


def _frames_to_fill_buffers(frame_bytes: int = 110) -> int:
    """Typing frames that outgrow the largest TCP send buffer the kernel may grant, twice over."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            largest = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        largest = 4 * 1024 * 1024
    return min(200_000, 2 * largest // frame_bytes)


def tiny_socket(server: ThreadedServer) -> socket.socket:
    """A client socket with a small receive buffer, so a client that stops reading is slow fast."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    return sock


async def test_slow_client_loses_typing_first_then_resumes(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient
) -> None:
    await chat.start()
    token, agent = await agent_holding(server, client, chat)
    slow = await customer(server, chat, sock=tiny_socket(server), max_queue=1)
    await until(slow, lambda f: f["type"] == "status")
    # Enough typing to fill the kernel's loopback buffers (autotuned up to a few MiB) so the
    # server really meets a client that does not read; fewer frames are absorbed silently.
    sent = _frames_to_fill_buffers()
    for n in range(sent):  # the customer stops reading while the agent keeps typing
        await agent.send(
            json.dumps({"type": "typing", "conversation_id": chat.id, "typing": n % 2 == 0})
        )
    r = await client.post(
        f"/api/v1/agent/conversations/{chat.id}/messages",
        json={"text": "Still with me?"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code < 300, r.text
    await asyncio.sleep(1)
    frames: list[Frame] = []
    with pytest.raises((ConnectionClosed, TimeoutError)):
        async with asyncio.timeout(5):
            while True:
                frames.append(json.loads(await slow.recv()))
    typing = [f for f in frames if f["type"] == "typing"]
    assert len(typing) < sent  # ephemeral events were dropped, durable ones were not
    if not any(f["type"] == "message" and f["message"]["text"] == "Still with me?" for f in frames):
        assert slow.close_code == 1013  # disconnected instead: the resume brings the message
        again = await customer(server, chat, last_seq=max(seqs(frames), default=0))
        got = await until(
            again, lambda f: f["type"] == "message" and f["message"]["text"] == "Still with me?"
        )
        assert got
        await again.close()
    await slow.close()
    await agent.close()


async def test_logout_closes_the_agents_console_at_once(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient
) -> None:
    await chat.start()
    token, agent = await agent_holding(server, client, chat)
    r = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    assert await closed_with(agent) == 1008  # within closed_with's few seconds, not a heartbeat
    again = await open_socket(server, "/api/v1/agent/ws")
    await again.send(json.dumps({"type": "auth", "token": token}))
    assert await closed_with(again) == 1008


async def test_heartbeat_finds_revoked_and_unknown_logins(
    db_url: str, client: httpx.AsyncClient
) -> None:
    """The safety net for a logout event a replica missed, or an account disabled in the
    database: the heartbeat asks which of its consoles' logins no longer hold."""
    login = await client.post(
        "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
    )
    token = login.json()["token"]
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)
    try:
        live, unknown = hash_token(token), hash_token("never-issued")
        async with sessions() as s:
            assert await ended_logins(s, {live, unknown}) == {unknown}
        await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        async with sessions() as s:
            assert await ended_logins(s, {live}) == {live}
    finally:
        await engine.dispose()


async def test_agents_see_a_preview_of_a_waiting_customers_message(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient
) -> None:
    await chat.start()
    r = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code < 300, r.text
    login = await client.post(
        "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
    )
    agent = await open_socket(server, "/api/v1/agent/ws")
    await agent.send(json.dumps({"type": "auth", "token": login.json()["token"]}))
    await until(agent, lambda f: f["type"] == "ready")
    cust = await customer(server, chat, last_seq=10_000)
    await until(cust, lambda f: f["type"] == "status")
    await cust.send(json.dumps({"type": "message", "text": "Still there?", "client_id": "w-1"}))
    got = await until(agent, lambda f: f["type"] == "preview")
    assert (got[-1]["conversation_id"], got[-1]["text"]) == (chat.id, "Still there?")
    await agent.close()
    await cust.close()

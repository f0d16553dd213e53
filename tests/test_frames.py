"""One wire contract: docs/websocket.md and handoff/frames.py list the same frames, the hub and
the socket routes build no frame of their own, and a real session sends only frames it defines."""

from __future__ import annotations

import ast
import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection

from app import conversations
from app.db import create_engine, sessionmaker
from handoff import frames
from tests.conftest import Chat
from tests.llm_stub import StubState, ThreadedServer
from tests.test_websockets import QUESTION, customer, open_socket

ROOT = Path(__file__).resolve().parent.parent
Frame = dict[str, Any]
Table = dict[str, dict[str, bool]]  # kind -> field -> optional


def doc_tables() -> dict[str, Table]:
    """The frame tables of docs/websocket.md, by the heading or label above each."""
    tables: dict[str, Table] = {}
    label = ""
    for line in (ROOT / "docs" / "websocket.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or (line.endswith(":") and not line.startswith("|")):
            label = line.lstrip("# ").rstrip(":")
        row = re.match(r"\| `(\w+)` \|([^|]*)\|", line)
        if row and row.group(1) != "type":  # not the header
            names = re.findall(r"`(\w+)`(\??)", row.group(2))
            tables.setdefault(label, {})[row.group(1)] = {n: bool(q) for n, q in names}
    return tables


def module_table(kinds: dict[str, type[BaseModel]]) -> Table:
    return {
        kind: {n: not f.is_required() for n, f in cls.model_fields.items() if n != "type"}
        for kind, cls in kinds.items()
    }


def test_docs_and_module_define_the_same_frames() -> None:
    tables = doc_tables()
    assert tables["Server → client"] == module_table(dict(frames.SERVER_FRAMES))
    assert tables["Customer"] == module_table(dict(frames.CUSTOMER_FRAMES))
    assert tables["Agent"] == module_table(dict(frames.AGENT_FRAMES))


def test_the_hub_and_the_sockets_build_no_raw_frames() -> None:
    """Outbound frames are typed objects only: no `{"type": ...}` dict in the code that sends."""
    for path in ("handoff/hub.py", "app/routes/sockets.py"):
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        raw = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Dict)
            and any(isinstance(k, ast.Constant) and k.value == "type" for k in node.keys)
        ]
        assert raw == [], f"{path} builds frames by hand at lines {raw}"


def test_encode_leaves_out_empty_optional_fields_only() -> None:
    assert json.loads(frames.encode(frames.Status(conversation_id="c", status="bot"))) == {
        "type": "status",
        "conversation_id": "c",
        "status": "bot",
    }
    assert json.loads(frames.encode(frames.Ack(client_id=None, seq=3))) == {
        "type": "ack",
        "client_id": None,
        "seq": 3,
    }


def test_inbound_frames_are_parsed_or_answered_with_an_error() -> None:
    cases: list[tuple[Any, str]] = [
        ({"type": "typing", "typing": 1}, "CustomerTyping"),
        ({"type": "message", "text": "hi", "client_id": "c-1", "extra": 1}, "Say"),
        ({"type": "message", "text": "", "client_id": "c-2"}, "Error"),
        ({"type": "resume", "conversation_id": "x"}, "Error"),  # an agent's kind
        ({"type": "auth", "token": "t"}, "Error"),  # first frame only
        ({"type": ""}, "Error"),
        (["not", "an", "object"], "Error"),
        (None, "Error"),
    ]
    for data, expected in cases:
        assert type(frames.parse(data, frames.CUSTOMER_FRAMES)).__name__ == expected, data
    error = frames.parse(
        {"type": "message", "text": "", "client_id": "c-2"}, frames.CUSTOMER_FRAMES
    )
    assert isinstance(error, frames.Error) and error.client_id == "c-2"
    resume = frames.parse(
        {"type": "resume", "conversation_id": "x", "last_seq": True}, frames.AGENT_FRAMES
    )
    assert isinstance(resume, frames.Resume) and resume.last_seq == 0
    assert frames.parse_auth({"type": "auth", "token": 5}) is None


class Recorder:
    """Every frame one socket received, each checked against handoff/frames.py."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws, self.frames = ws, list[Frame]()

    async def until(self, kind: str, within: float = 10, **match: Any) -> Frame:
        async with asyncio.timeout(within):
            while True:
                frame = json.loads(await self.ws.recv())
                frames.check(frame)  # an unknown kind or field fails here
                self.frames.append(frame)
                if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                    return frame

    async def send(self, data: Any) -> None:
        await self.ws.send(data if isinstance(data, str) else json.dumps(data))

    def kinds(self) -> set[str]:
        return {f["type"] for f in self.frames}


async def test_a_real_session_sends_only_defined_frames(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient, llm: StubState, db_url: str
) -> None:
    await chat.start()
    cust = Recorder(await customer(server, chat))
    await cust.until("message")
    await cust.send({"type": "ping"})
    await cust.until("pong")
    await cust.send("not json")
    await cust.until("error")
    await cust.send({"type": "message", "text": "   ", "client_id": "f-0"})
    assert (await cust.until("error"))["client_id"] == "f-0"
    await cust.send({"type": "message", "text": QUESTION, "client_id": "f-1"})
    await cust.until("ack", client_id="f-1")
    await cust.until("message", conversation_id=chat.id)

    # The operator's console: it never takes part in auto-assignment, so the queue stays put.
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": "operator@example.com", "password": "operator-password"},
    )
    token = login.json()["token"]
    agent = Recorder(await open_socket(server, "/api/v1/agent/ws"))
    await agent.send({"type": "auth", "token": token})
    await agent.until("ready")
    r = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code == 200, r.text
    await cust.until("status", status="queued")
    await agent.until("queue", conversation_id=chat.id)
    await cust.send({"type": "message", "text": "Still there?", "client_id": "f-2"})
    await agent.until("preview", conversation_id=chat.id)
    await agent.send({"type": "resume", "conversation_id": chat.id, "last_seq": 0})
    assert (await agent.until("error"))["conversation_id"] == chat.id  # not held yet
    await agent.send({"type": "hello"})
    await agent.until("error")

    bearer = {"Authorization": f"Bearer {token}"}
    r = await client.post(f"/api/v1/agent/conversations/{chat.id}/claim", headers=bearer)
    assert r.status_code == 200, r.text
    await cust.until("status", status="agent")
    await agent.send({"type": "resume", "conversation_id": chat.id, "last_seq": 0})
    await agent.until("message", conversation_id=chat.id)
    await cust.send({"type": "typing", "typing": True})
    await agent.until("typing", role="customer")
    await agent.send({"type": "typing", "conversation_id": chat.id, "typing": True})
    await cust.until("typing", role="agent")
    await agent.send({"type": "ping"})
    await agent.until("pong")
    r = await client.post(
        f"/api/v1/agent/conversations/{chat.id}/notes", json={"text": "vip"}, headers=bearer
    )
    assert r.status_code == 200, r.text
    note = await agent.until("message", conversation_id=chat.id)
    assert note["message"]["internal"] is True

    await many_messages(db_url, chat.id, 510)
    late = Recorder(await customer(server, chat))
    await late.until("resync", conversation_id=chat.id)
    for ws in (cust, agent, late):
        await ws.ws.close()
    seen = cust.kinds() | agent.kinds() | late.kinds()
    expected = {"ready", "status", "message", "token", "typing", "queue", "preview"}
    assert expected | {"ack", "error", "pong", "resync"} <= seen


async def many_messages(db_url: str, cid: str, n: int) -> None:
    """More internal notes than a resume replays (arranged in the database: it is quicker)."""
    engine = create_engine(db_url)
    try:
        async with sessionmaker(engine)() as s:
            for _ in range(n):
                await conversations.append(s, cid, "agent", "note", internal=True)
            await s.commit()
    finally:
        await engine.dispose()

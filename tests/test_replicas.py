"""Two `tandem serve` processes sharing PostgreSQL and the real Redis: a customer on one replica
and an agent on the other see each other's messages and typing."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.db import create_engine, sessionmaker
from tests.conftest import Chat, empty_database
from tests.llm_stub import free_port
from tests.test_websockets import until

pytestmark = pytest.mark.postgres
REDIS = os.environ.get("TANDEM_TEST_REDIS", "redis://127.0.0.1:6379/0")


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def ws(self, path: str) -> str:
        return self.url.replace("http://", "ws://") + path


async def _seed(url: str) -> None:
    from app.auth import create_user

    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        await create_user(s, "agent@example.com", "agent-password", "agent", "Alex Agent")
        await s.commit()
    await engine.dispose()


def _start(env: dict[str, str], log: Path) -> Replica:
    port = free_port()
    cmd = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Replica(f"http://127.0.0.1:{port}", proc, log)


def _wait_healthy(replica: Replica, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if replica.proc.poll() is not None:
            raise RuntimeError(f"replica exited: {replica.log.read_text()[-2000:]}")
        try:
            if httpx.get(replica.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("replica did not become healthy")


def _stop(replica: Replica) -> None:
    replica.proc.terminate()
    try:
        replica.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        replica.proc.kill()
        replica.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replica, Replica]]:
    """A fresh database and Redis channel for this run, and two replicas on loopback ports."""
    # Migrated once here, before two processes would race to do it.
    with empty_database("postgres", tmp_path_factory) as url:
        asyncio.run(_seed(url))
        env = _environment(url)
        logs = tmp_path_factory.mktemp("replicas")
        started: list[Replica] = []
        try:
            for name in ("a", "b"):
                started.append(_start(env, logs / f"{name}.log"))
            for replica in started:
                _wait_healthy(replica)
            yield started[0], started[1]
        finally:
            for replica in started:
                _stop(replica)


def _environment(url: str) -> dict[str, str]:
    """The replicas' environment: ours only, with a Redis channel private to this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TANDEM_"))}
    env.update(
        TANDEM_DATABASE_URL=url,
        TANDEM_REDIS_URL=REDIS,
        TANDEM_REDIS_CHANNEL=f"tandem:test:{secrets.token_hex(4)}",
        TANDEM_SECRET_KEY=secrets.token_urlsafe(32),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


async def _socket(url: str, auth: dict[str, object]) -> ClientConnection:
    ws = await connect(url, compression=None, open_timeout=5)
    await ws.send(json.dumps({"type": "auth", **auth}))
    await until(ws, lambda f: f["type"] == "ready")
    return ws


async def test_a_customer_waiting_on_a_hears_the_queue_and_the_agents_of_b(
    replicas: tuple[Replica, Replica],
) -> None:
    """First in this module: nobody has been online yet. The agent fills their capacity by
    claiming, so their console coming online assigns nothing behind the test's back."""
    a, b = replicas
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as http_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as http_b,
    ):
        chats = [Chat(http_a) for _ in range(5)]
        for chat in chats:
            await chat.start(ai_opt_out=True)  # queued from the first message
        *held, ahead, me = chats
        login = await http_b.post(
            "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
        )
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        for chat in held:
            r = await http_b.post(f"/api/v1/agent/conversations/{chat.id}/claim", headers=bearer)
            assert r.status_code == 200, r.text

        def line(f: dict[str, object]) -> bool:
            return f["type"] == "status" and f["status"] == "queued"

        cust = await _socket(a.ws(f"/api/v1/conversations/{me.id}/ws"), {"token": me.token})
        first = (await until(cust, line))[-1]
        assert (first["position"], first["agents_online"]) == (2, False)
        r = await http_b.post(f"/api/v1/agent/conversations/{ahead.id}/claim", headers=bearer)
        assert r.status_code == 200, r.text
        moved = (await until(cust, line))[-1]  # B's queue event, through Redis
        assert (moved["position"], moved["agents_online"]) == (1, False)
        agent = await _socket(b.ws("/api/v1/agent/ws"), {"token": login.json()["token"]})
        online = (await until(cust, line))[-1]  # B's agents event, through Redis
        assert (online["position"], online["agents_online"]) == (1, True)
        await agent.close()
        await cust.close()


async def test_customer_on_a_and_agent_on_b_reach_each_other(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as http_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as http_b,
    ):
        chat = Chat(http_a)
        await chat.start()
        r = await http_a.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
        assert r.status_code < 300, r.text
        login = await http_b.post(
            "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
        )
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        r = await http_b.post(f"/api/v1/agent/conversations/{chat.id}/claim", headers=bearer)
        assert r.status_code == 200, r.text
        cust = await _socket(a.ws(f"/api/v1/conversations/{chat.id}/ws"), {"token": chat.token})
        agent = await _socket(b.ws("/api/v1/agent/ws"), {"token": login.json()["token"]})
        await agent.send(json.dumps({"type": "resume", "conversation_id": chat.id, "last_seq": 0}))
        await until(agent, lambda f: f["type"] == "message")
        await until(cust, lambda f: f["type"] == "status")

        await cust.send(json.dumps({"type": "typing", "typing": True}))
        assert (await until(agent, lambda f: f["type"] == "typing"))[-1]["role"] == "customer"
        await cust.send(json.dumps({"type": "message", "text": "Hello from A", "client_id": "a-1"}))
        got = await until(
            agent, lambda f: f["type"] == "message" and f["message"]["role"] == "customer"
        )
        assert got[-1]["message"]["text"] == "Hello from A"

        await agent.send(json.dumps({"type": "typing", "conversation_id": chat.id, "typing": True}))
        assert (await until(cust, lambda f: f["type"] == "typing"))[-1]["role"] == "agent"
        r = await http_b.post(
            f"/api/v1/agent/conversations/{chat.id}/messages",
            json={"text": "Hi from B"},
            headers=bearer,
        )
        assert r.status_code < 300, r.text
        got = await until(
            cust, lambda f: f["type"] == "message" and f["message"]["role"] == "agent"
        )
        assert got[-1]["message"]["text"] == "Hi from B"
        await agent.close()
        await cust.close()


async def test_logout_on_a_closes_the_console_on_b(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http_a:
        login = await http_a.post(
            "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
        )
        token = login.json()["token"]
        agent = await _socket(b.ws("/api/v1/agent/ws"), {"token": token})
        r = await http_a.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 204
        with pytest.raises(ConnectionClosed) as info:
            async with asyncio.timeout(5):  # through Redis, not the 20 s heartbeat
                while True:
                    await agent.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008

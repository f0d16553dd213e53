"""When what Tandem stands on goes away (issue 15, point 5): PostgreSQL or Redis behind a TCP
proxy on loopback that the test stops and starts again, under a running server; and a
`tandem serve` whose database or Redis is down at start."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import Chat, settings_for
from tests.databases import pg_database
from tests.llm_stub import StubState, ThreadedServer, free_port
from tests.test_websockets import QUESTION, customer, until

ROOT = Path(__file__).resolve().parent.parent


class TcpProxy:
    """Forwards a loopback port to another; `stop` refuses new connections and cuts the open
    ones (as a database host going away does), `start` serves again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    def start(self) -> TcpProxy:
        self._run(self._start())
        return self

    def stop(self) -> None:
        self._run(self._stop())

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def pg_behind_proxy() -> Iterator[tuple[str, TcpProxy]]:
    with pg_database() as url:
        proxy = TcpProxy(5432).start()
        try:
            yield url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), proxy
        finally:
            proxy.close()


async def test_a_database_outage_answers_json_503_and_refuses_socket_messages(
    pg_behind_proxy: tuple[str, TcpProxy], stub: tuple[StubState, str], llm: StubState
) -> None:
    url, proxy = pg_behind_proxy
    settings = settings_for(url, openai_base_url=stub[1], openai_api_key="k")
    server = ThreadedServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            chat = Chat(http)
            await chat.start()
            ws = await customer(server, chat, last_seq=1)
            await until(ws, lambda f: f["type"] == "status")
            # The pong comes after the socket's catch-up read: nothing is left to read.
            await ws.send(json.dumps({"type": "ping"}))
            await until(ws, lambda f: f["type"] == "pong")
            proxy.stop()  # PostgreSQL goes away under the running server
            for answer in (
                await http.post("/api/v1/conversations", json={}),
                await http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth),
                await http.post(
                    f"/api/v1/conversations/{chat.id}/messages",
                    json={"text": QUESTION},
                    headers=chat.auth,
                ),
            ):
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "5"
                assert answer.headers["content-type"] == "application/json"
                assert answer.json()["error"] == "unavailable"
                assert "database" in answer.json()["detail"]
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json()["down"] == ["database"]
            await ws.send(json.dumps({"type": "message", "text": QUESTION, "client_id": "o-1"}))
            refused = (await until(ws, lambda f: f["type"] in ("ack", "error")))[-1]
            assert refused["type"] == "error" and refused["client_id"] == "o-1", refused
            assert refused["retry_after"] == 5 and refused["stored"] is False
            proxy.start()  # back: the same client and socket work again
            await ws.send(json.dumps({"type": "message", "text": QUESTION, "client_id": "o-1"}))
            acked = await until(ws, lambda f: f["type"] in ("ack", "error"), within=20)
            assert acked[-1]["type"] == "ack" and acked[-1]["client_id"] == "o-1", acked
            await ws.close()
            assert (await http.post("/api/v1/conversations", json={})).status_code == 201
    finally:
        server.stop()


async def test_readyz_reports_redis(db_url: str) -> None:
    proxy = TcpProxy(6379).start()
    settings = settings_for(db_url, redis_url=f"redis://127.0.0.1:{proxy.port}/0")
    server = ThreadedServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            ok = await http.get("/readyz")
            assert ok.status_code == 200 and ok.json()["redis"] == "ok", ok.text
            proxy.stop()
            down = await http.get("/readyz")
            assert down.status_code == 503, down.text
            assert down.json()["down"] == ["redis"] and down.json()["database"] == "ok"
            proxy.start()
            assert (await http.get("/readyz")).status_code == 200
    finally:
        server.stop()
        proxy.close()


def serve_once(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TANDEM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 't.db'}",
        "TANDEM_SECRET_KEY": "outage-test-" + "x" * 32,
        "TANDEM_EMBEDDING_MODEL": "none",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"TANDEM_DATABASE_URL": "postgresql+asyncpg://tandem:secret@127.0.0.1:{port}/x"},
            "cannot use the database (ConnectionRefusedError",
        ),
        ({"TANDEM_REDIS_URL": "redis://127.0.0.1:{port}/0"}, "cannot use Redis (ConnectionError"),
    ],
)
def test_a_service_down_at_start_is_one_line_that_says_what_to_fix(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    closed = free_port()  # nothing listens here
    result = serve_once(tmp_path, **{k: v.format(port=closed) for k, v in env.items()})
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tandem: " + says) and "is it running" in lines[0]
    assert "secret" not in result.stderr  # the URL's password is never printed

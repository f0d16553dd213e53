"""`tandem serve` closes a connection whose request head does not arrive in time (slow-headers
attacks), and leaves whole requests, kept-alive connections and open websockets alone."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from app.http_protocol import headers_in_time
from app.main import create_app
from tests.conftest import settings_for
from tests.llm_stub import free_port


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@contextmanager
def served_with_header_timeout(db_url: str, seconds: float) -> Iterator[str]:
    """The app under uvicorn with the protocol `tandem serve` uses (wsproto for sockets)."""
    app = create_app(settings_for(db_url, embedding_model="none"))
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="wsproto",
        http=headers_in_time(seconds),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _closed_after(conn: socket.socket, within: float) -> float:
    """Seconds until the server closes `conn` (it sends nothing more)."""
    start = time.monotonic()
    conn.settimeout(within)
    assert conn.recv(1024) == b""
    return time.monotonic() - start


def _trickle_cut_after(host: str, port: int) -> float:
    """Send a request head one byte every 0.1 s; seconds until the server cuts it off."""
    with socket.create_connection((host, port)) as conn:
        start = time.monotonic()
        for byte in b"GET /healthz HTTP/1.1\r\nHost: tandem\r\nX-Slow: " + b"a" * 200:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return time.monotonic() - start
            time.sleep(0.1)
            if time.monotonic() - start > 3:
                break
        return _closed_after(conn, 10) + (time.monotonic() - start)


async def test_a_request_head_must_arrive_in_time(db_url: str, http: httpx.AsyncClient) -> None:
    with served_with_header_timeout(db_url, 0.5) as where:
        host, port = where.split(":")
        with socket.create_connection((host, int(port))) as partial:
            partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: tandem\r\n")  # never the blank line
            assert 0.4 <= await asyncio.to_thread(_closed_after, partial, 10) < 5
        # A trickle (one header byte every 0.1 s) is cut off too: the clock is the whole head's.
        assert await asyncio.to_thread(_trickle_cut_after, host, int(port)) < 5
        # Whole requests, one after another on a kept-alive connection, and sockets still work.
        for _ in range(3):
            assert (await http.get(f"http://{where}/healthz")).status_code == 200
        conv = (await http.post(f"http://{where}/api/v1/conversations")).json()
        ws = await connect(f"ws://{where}/api/v1/conversations/{conv['id']}/ws", open_timeout=5)
        await ws.send(json.dumps({"type": "auth", "token": conv["token"], "last_seq": 0}))
        async with asyncio.timeout(10):
            assert json.loads(await ws.recv())["type"] == "ready"
        await asyncio.sleep(1.0)  # past the header timeout: an open socket is not cut
        await ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(10):
            while json.loads(await ws.recv())["type"] != "pong":
                pass
        await ws.close()

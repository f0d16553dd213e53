"""Nobody is stranded by a crash (issue 15, point 5): a real `tandem serve` killed with
SIGKILL in the middle of two turns, then restarted on the same database. The turn whose
customer retries gets the handoff as its answer; the other is found by the rescuer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db import create_engine
from tests.conftest import BACKENDS
from tests.databases import pg_database
from tests.llm_stub import StubState, free_port

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "How long does delivery take within the Netherlands?"


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind for `tandem serve` to migrate."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    else:
        with pg_database() as url:
            yield url


@contextmanager
def tandem_serve(db: str, llm_url: str, log: Path, **env: str) -> Iterator[Served]:
    """`tandem serve --demo` on a free loopback port, once it answers /readyz."""
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TANDEM_DATABASE_URL": db,
        "TANDEM_SECRET_KEY": "stranded-test-" + "x" * 32,
        "OPENAI_BASE_URL": llm_url,
        "OPENAI_API_KEY": "test-key",
        "TANDEM_EMBEDDING_MODEL": "none",  # quick start-ups; retrieval is tested elsewhere
        **env,
    }
    for name in ("TANDEM_SMTP_URL", "TANDEM_REDIS_URL"):
        environment.pop(name, None)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(proc, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(served.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "tandem serve did not become ready"
            time.sleep(0.3)
        yield served
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def start_conversation(url: str) -> dict[str, Any]:
    r = httpx.post(url + "/api/v1/conversations", json={}, timeout=30)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def send(url: str, conv: dict[str, Any], client_id: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/conversations/{conv['id']}/messages",
        json={"text": QUESTION, "client_id": client_id},
        headers={"Authorization": f"Bearer {conv['token']}"},
        timeout=timeout,
    )


def transcript(url: str, conv: dict[str, Any]) -> dict[str, Any]:
    r = httpx.get(
        f"{url}/api/v1/conversations/{conv['id']}/messages",
        headers={"Authorization": f"Bearer {conv['token']}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_turns_a_kill_9_stranded_are_handed_over_after_the_restart(
    tmp_path: Path, database: str, stub: tuple[StubState, str], llm: StubState
) -> None:
    db, log = database, tmp_path / "serve.log"
    llm.mode = "hang"
    # The first process would wait long for the model: the kill comes first.
    patient = {"TANDEM_LLM_FIRST_TOKEN_TIMEOUT": "60", "TANDEM_LLM_TURN_TIMEOUT": "90"}
    with tandem_serve(db, stub[1], log, **patient) as first:
        url = first.url
        retried, left = start_conversation(url), start_conversation(url)
        for conv, cid in ((retried, "send-1"), (left, "send-2")):
            threading.Thread(target=_ignore_errors, args=(url, conv, cid), daemon=True).start()
        deadline = time.monotonic() + 30
        while len(llm.drafts) < 2:  # both turns are with the (hanging) model
            assert time.monotonic() < deadline, "the turns never reached the model"
            time.sleep(0.1)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
    for conv in (retried, left):
        assert [m["role"] for m in transcript_offline(db, conv)] == [
            "assistant",
            "customer",
        ]  # the disclosure, the question

    fast = {
        "TANDEM_LLM_FIRST_TOKEN_TIMEOUT": "1.5",
        "TANDEM_LLM_TURN_TIMEOUT": "3",  # so the grace (turn budget + 5 s) is 8 s
        "TANDEM_RESCUE_POLL_SECONDS": "1",
    }
    with tandem_serve(db, stub[1], log, **fast) as second:
        url = second.url
        started = time.monotonic()
        again = send(url, retried, "send-1")
        assert again.status_code == 200, again.text
        body = again.json()
        assert body["status"] == "queued"
        assert body["escalation"]["reason"] == "llm_unavailable"
        roles = [m["role"] for m in body["messages"]]
        assert roles == ["customer", "system"], body  # its message once, and the handoff
        assert "person" in body["messages"][-1]["text"]
        assert time.monotonic() - started < 15
        deadline = time.monotonic() + 20
        while transcript(url, left)["status"] != "queued":
            assert time.monotonic() < deadline, "the rescuer never handed the other turn over"
            time.sleep(0.3)
        shown = transcript(url, left)["messages"]
        assert [m["role"] for m in shown] == ["assistant", "customer", "system"]
        # Asked twice, answered once: the retry now reads the stored handoff at once.
        assert send(url, retried, "send-1", timeout=5).json()["messages"] == body["messages"]
    assert "handed over a stranded turn" in log.read_text()


def _ignore_errors(url: str, conv: dict[str, Any], client_id: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
        send(url, conv, client_id)


def transcript_offline(db: str, conv: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored messages, read straight from the database while no server runs."""

    async def read() -> list[dict[str, Any]]:
        engine = create_engine(db)
        try:
            async with engine.connect() as c:
                query = text("SELECT role FROM messages WHERE conversation_id = :c ORDER BY seq")
                rows = (await c.execute(query, {"c": conv["id"]})).all()
        finally:
            await engine.dispose()
        return [{"role": r[0]} for r in rows]

    return asyncio.run(read())


@pytest.fixture(params=BACKENDS)
def empty_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    from tests.conftest import empty_database

    with empty_database(request.param, tmp_path_factory) as url:
        yield url


async def test_only_recent_turns_of_conversations_someone_can_return_to_are_rescued(
    empty_url: str,
) -> None:
    """A turn stranded two days ago (before this code ran, or a replica down for days) and a
    purged conversation stay where they are; a turn stranded a minute ago is found."""
    from datetime import UTC, datetime, timedelta

    from app import erasure, recovery
    from app.db import sessionmaker
    from app.models import Conversation, Message

    now = datetime.now(UTC)
    ages = {"recent": (timedelta(minutes=1), "h" * 64), "old": (timedelta(days=2), "h" * 64)}
    ages["purged"] = (timedelta(minutes=1), erasure.PURGED)
    engine = create_engine(empty_url)
    try:
        async with sessionmaker(engine)() as s:
            for name, (age, token) in ages.items():
                s.add(Conversation(id=name, token_hash=token, status="bot", last_seq=1))
                s.add(
                    Message(
                        conversation_id=name, seq=1, role="customer", text="?", created_at=now - age
                    )
                )
            await s.commit()
            found = await recovery.stranded(s, now - timedelta(seconds=10))
    finally:
        await engine.dispose()
    assert found == [("recent", 1)]

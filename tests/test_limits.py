"""Every limit answers 429 with Retry-After and a sentence (or closes a socket 1008 with a
reason); logins lock after too many wrong passwords and take as long for unknown e-mails;
sessions expire and are capped; Redis shares the counts between replicas;
TANDEM_LIMITS_SCALE=0 turns everything off (the password policy: tests/test_passwords.py; the
header-read timeout: tests/test_header_timeout.py). The suite runs with limits off
(tests/conftest.py): each test here starts a server with the limits it proves turned on."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from app.db import create_engine, sessionmaker
from app.errors import TooMany
from app.limits import Limiter, RedisCounters
from app.main import create_app
from app.models import AuthSession, utcnow
from app.security import hash_token
from tests.conftest import StubState, settings_for
from tests.llm_stub import ThreadedServer
from tests.test_websockets import open_socket

AGENT = ("agent@example.com", "agent-password")
OPERATOR = ("operator@example.com", "operator-password")
REDIS = "redis://127.0.0.1:6379/0"
QUESTION = "How long does delivery take within the Netherlands?"  # answered from the demo KB


@contextmanager
def limited(db_url: str, **limits: Any) -> Iterator[ThreadedServer]:
    """A server of its own (fresh counters) with limits on, scaled 1, and these overrides."""
    settings = settings_for(db_url, limits_scale=1.0, embedding_model="none", **limits)
    srv = ThreadedServer(create_app(settings)).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def assert_limited(r: httpx.Response, words: str) -> None:
    """A 429 that says which limit, with a whole number of seconds to wait."""
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "rate_limited"
    assert words in r.json()["detail"], r.json()["detail"]
    assert int(r.headers["Retry-After"]) >= 1


async def login(http: httpx.AsyncClient, url: str, email: str, password: str) -> httpx.Response:
    return await http.post(f"{url}/api/v1/auth/login", json={"email": email, "password": password})


async def test_login_attempts_per_address(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, limit_login_per_ip=3) as srv:
        for _ in range(3):
            assert (await login(http, srv.url, "nobody@example.com", "wrong")).status_code == 401
        r = await login(http, srv.url, *AGENT)
        assert_limited(r, "Too many login attempts from your network")
        assert int(r.headers["Retry-After"]) <= 60


async def test_sixty_wrong_passwords_lock_the_account(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, limit_login_per_ip=1000, limit_login_failures=10) as srv:
        codes = [
            (await login(http, srv.url, AGENT[0], f"guess-{i}")).status_code for i in range(60)
        ]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
        right = await login(http, srv.url, *AGENT)  # the right password, too late
        assert_limited(right, "This account is locked after too many wrong passwords")
        assert 800 <= int(right.headers["Retry-After"]) <= 900  # the 15-minute lockout
        # Only that account: a colleague on the same address still logs in.
        assert (await login(http, srv.url, "agent2@example.com", AGENT[1])).status_code == 200


async def test_unknown_emails_take_as_long_as_known_ones(
    db_url: str, http: httpx.AsyncClient
) -> None:
    """A dummy hash is verified for unknown e-mails: the time does not tell who has an account."""

    async def timed(email: str, i: int) -> float:
        start = time.perf_counter()
        assert (await login(http, srv.url, email, f"wrong-{i}")).status_code == 401
        return time.perf_counter() - start

    known: list[float] = []
    unknown: list[float] = []
    with limited(db_url, limit_login_per_ip=1000, limit_login_failures=1000) as srv:
        await timed("no-such-person@example.com", 0)  # the dummy hash is made once, lazily
        for i in range(8):  # interleaved, so that a busy moment weighs on both alike
            known.append(await timed(AGENT[0], i))
            unknown.append(await timed("no-such-person@example.com", i))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 <= ratio <= 2.0, (known, unknown)


async def test_new_conversations_per_address(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, limit_conversations_per_ip=2) as srv:
        for _ in range(2):
            assert (await http.post(f"{srv.url}/api/v1/conversations", json={})).status_code == 201
        r = await http.post(f"{srv.url}/api/v1/conversations", json={})
        assert_limited(r, "Too many new conversations from your network")
        assert int(r.headers["Retry-After"]) <= 600


async def _say(http: httpx.AsyncClient, url: str, conv: dict[str, Any]) -> httpx.Response:
    return await http.post(
        f"{url}/api/v1/conversations/{conv['id']}/messages",
        json={"text": QUESTION},
        headers={"Authorization": f"Bearer {conv['token']}"},
    )


async def test_llm_budget_per_conversation_hands_over(
    db_url: str, stub: tuple[StubState, str], llm: StubState, http: httpx.AsyncClient
) -> None:
    """When a conversation's LLM calls run out, the turn goes to a person and says why."""
    llm_settings = {"openai_base_url": stub[1], "openai_api_key": "test-key"}
    with limited(db_url, limit_llm_calls_per_conversation=1, **llm_settings) as srv:
        conv = (await http.post(f"{srv.url}/api/v1/conversations", json={})).json()
        first = await _say(http, srv.url, conv)
        assert first.status_code == 200 and first.json()["status"] == "bot", first.text
        asked = len(llm.requests)
        second = await _say(http, srv.url, conv)
        assert second.status_code == 200, second.text
        turn = second.json()
        assert turn["escalation"]["reason"] == "llm_unavailable"
        assert turn["status"] in ("queued", "offline")
        said = " ".join(m["text"] for m in turn["messages"] if m["role"] != "customer")
        assert "not available" in said
        assert len(llm.requests) == asked  # the LLM was not asked again


async def test_llm_budget_per_address(
    db_url: str, stub: tuple[StubState, str], llm: StubState, http: httpx.AsyncClient
) -> None:
    llm_settings = {"openai_base_url": stub[1], "openai_api_key": "test-key"}
    with limited(db_url, limit_llm_calls_per_ip=1, **llm_settings) as srv:
        one, two = [(await http.post(f"{srv.url}/api/v1/conversations")).json() for _ in "12"]
        assert (await _say(http, srv.url, one)).json()["status"] == "bot"
        turn = (await _say(http, srv.url, two)).json()
        assert turn["escalation"]["reason"] == "llm_unavailable"


async def ready_socket(srv: ThreadedServer, conv: dict[str, Any]) -> ClientConnection:
    """The conversation's socket once served ('ready'); ConnectionClosed when refused."""
    ws = await open_socket(srv, f"/api/v1/conversations/{conv['id']}/ws")
    await ws.send(json.dumps({"type": "auth", "token": conv["token"], "last_seq": 0}))
    async with asyncio.timeout(10):
        frame = json.loads(await ws.recv())
    assert frame["type"] == "ready", frame
    return ws


async def test_sockets_per_token(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, limit_sockets_per_token=2) as srv:
        conv = (await http.post(f"{srv.url}/api/v1/conversations")).json()
        kept = [await ready_socket(srv, conv) for _ in range(2)]
        with pytest.raises(ConnectionClosed) as refused:
            await ready_socket(srv, conv)
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 1008
        assert "at most 2 open connections per login or conversation" in refused.value.rcvd.reason
        await kept.pop().close()  # its slot is given back once the server sees it go
        async with asyncio.timeout(10):
            while True:
                try:
                    kept.append(await ready_socket(srv, conv))
                    break
                except ConnectionClosed:
                    await asyncio.sleep(0.05)
        for ws in kept:
            await ws.close()


async def test_sockets_per_address(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, limit_sockets_per_ip=2) as srv:
        convs = [(await http.post(f"{srv.url}/api/v1/conversations")).json() for _ in "123"]
        kept = [await ready_socket(srv, c) for c in convs[:2]]
        with pytest.raises(ConnectionClosed) as refused:
            await ready_socket(srv, convs[2])
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 1008
        assert "per address" in refused.value.rcvd.reason
        for ws in kept:
            await ws.close()


async def test_agent_sockets_per_login(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, limit_sockets_per_token=1) as srv:
        token = (await login(http, srv.url, *AGENT)).json()["token"]

        async def console() -> ClientConnection:
            ws = await open_socket(srv, "/api/v1/agent/ws")
            await ws.send(json.dumps({"type": "auth", "token": token}))
            async with asyncio.timeout(10):
                frame = json.loads(await ws.recv())
            assert frame["type"] == "ready", frame
            return ws

        first = await console()
        with pytest.raises(ConnectionClosed) as refused:
            await console()
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 1008
        assert "per login or conversation" in refused.value.rcvd.reason
        await first.close()


async def _backdate(db_url: str, token: str, **ago: timedelta) -> None:
    """Move a login's created_at / last_used_at into the past."""
    engine = create_engine(db_url)
    async with sessionmaker(engine)() as s:
        values = {column: utcnow() - delta for column, delta in ago.items()}
        await s.execute(
            update(AuthSession).where(AuthSession.token_hash == hash_token(token)).values(**values)
        )
        await s.commit()
    await engine.dispose()


async def _queue(http: httpx.AsyncClient, url: str, token: str) -> int:
    r = await http.get(f"{url}/api/v1/agent/queue", headers={"Authorization": f"Bearer {token}"})
    return r.status_code


async def test_sessions_expire_idle_and_absolute(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, session_idle_hours=12, session_lifetime_days=7) as srv:
        idle, old, fresh = [(await login(http, srv.url, *AGENT)).json()["token"] for _ in "123"]
        await _backdate(db_url, idle, created_at=timedelta(hours=13))  # never used since
        await _backdate(
            db_url, old, created_at=timedelta(days=8), last_used_at=timedelta(minutes=5)
        )
        await _backdate(db_url, fresh, created_at=timedelta(hours=11))
        assert await _queue(http, srv.url, idle) == 401
        assert await _queue(http, srv.url, old) == 401
        assert await _queue(http, srv.url, fresh) == 200
        # That use was recorded: the idle clock starts again from now.
        engine = create_engine(db_url)
        async with sessionmaker(engine)() as s:
            query = select(AuthSession.last_used_at).where(
                AuthSession.token_hash == hash_token(fresh)
            )
            used = (await s.execute(query)).scalar_one()
        await engine.dispose()
        assert used is not None
        assert (utcnow() - used.replace(tzinfo=utcnow().tzinfo)) < timedelta(minutes=1)


async def test_logins_per_account_are_capped(db_url: str, http: httpx.AsyncClient) -> None:
    with limited(db_url, sessions_per_account=3) as srv:
        tokens = [(await login(http, srv.url, *OPERATOR)).json()["token"] for _ in range(4)]
        codes = [await _queue(http, srv.url, t) for t in tokens]
        assert codes == [401, 200, 200, 200]  # the oldest login was revoked


async def test_redis_counts_are_shared_by_two_replicas() -> None:
    """Two limiters (as on two replicas) with one Redis share a window: the limit holds across."""
    channel = f"tandem-test-{uuid.uuid4().hex}"
    settings = settings_for(
        "sqlite+aiosqlite://", redis_url=REDIS, redis_channel=channel, limits_scale=1.0
    )
    settings = settings.model_copy(update={"limit_conversations_per_ip": 3})
    one, two = Limiter(settings), Limiter(settings)
    assert isinstance(one.counters, RedisCounters)
    try:
        await one.charge(one.conversations, "203.0.113.9")
        await two.charge(two.conversations, "203.0.113.9")
        await one.charge(one.conversations, "203.0.113.9")
        with pytest.raises(TooMany) as refused:
            await two.charge(two.conversations, "203.0.113.9")
        assert 590 <= refused.value.retry_after <= 600
        await two.charge(two.conversations, "198.51.100.7")  # another address has its own
        # The lockout too: failures on one replica lock the account on the other.
        for _ in range(two.login_failures.limit):
            await one.login_failed("ann@example.com")
        with pytest.raises(TooMany):
            await two.check_login("ann@example.com", "198.51.100.7")
    finally:
        await one.counters.clear("conv-ip:203.0.113.9")
        await one.counters.clear("conv-ip:198.51.100.7")
        await one.counters.clear("login-fail:ann@example.com")
        await one.close()
        await two.close()


async def test_scale_zero_turns_every_limit_off(db_url: str, http: httpx.AsyncClient) -> None:
    tight = {
        "limit_login_per_ip": 1,
        "limit_login_failures": 1,
        "limit_conversations_per_ip": 1,
        "limit_sockets_per_token": 1,
        "sessions_per_account": 1,
    }
    with limited(db_url, **tight) as srv:  # first, with the scale at 1, these bite
        assert (await http.post(f"{srv.url}/api/v1/conversations")).status_code == 201
        assert (await http.post(f"{srv.url}/api/v1/conversations")).status_code == 429
    settings = settings_for(db_url, limits_scale=0.0, embedding_model="none", **tight)
    srv = ThreadedServer(create_app(settings)).start()
    try:
        convs = [(await http.post(f"{srv.url}/api/v1/conversations")).json() for _ in range(5)]
        assert all("token" in c for c in convs)
        for i in range(5):
            assert (await login(http, srv.url, AGENT[0], f"wrong-{i}")).status_code == 401
        tokens = [(await login(http, srv.url, *AGENT)).json()["token"] for _ in range(3)]
        assert [await _queue(http, srv.url, t) for t in tokens] == [200, 200, 200]
        sockets = [await ready_socket(srv, convs[0]) for _ in range(3)]
        for ws in sockets:
            await ws.close()
    finally:
        srv.stop()


def test_the_scale_multiplies_every_limit() -> None:
    doubled = Limiter(settings_for("sqlite+aiosqlite://", limits_scale=2.0))
    plain = Limiter(settings_for("sqlite+aiosqlite://", limits_scale=1.0))
    assert doubled.conversations.limit == 2 * plain.conversations.limit
    assert doubled.login_failures.limit == 2 * plain.login_failures.limit
    assert doubled.sockets.per_ip == 2 * plain.sockets.per_ip

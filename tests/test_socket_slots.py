"""The cap on open sockets holds across replicas through Redis: a slot taken on one replica
counts on the other, a released one frees up there, and the slots of a replica that vanished
lapse with their lease. Without Redis (or while it is unreachable) each replica counts its own;
TANDEM_LIMITS_SCALE=0 turns the cap off without a Redis call."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed

from app.limits import Limiter
from app.main import create_app
from app.security import hash_token
from app.socket_slots import SocketSlots
from tests.conftest import settings_for
from tests.llm_stub import ThreadedServer
from tests.test_limits import REDIS, ready_socket

TOKEN, IP = "f" * 64, "203.0.113.7"


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    """The real Redis and a prefix of this test's own, emptied afterwards."""
    client = Redis.from_url(REDIS)
    prefix = f"tandem-test-{uuid.uuid4().hex}"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_two_replicas_share_the_cap_per_token(db_url: str, redis: tuple[Redis, str]) -> None:
    client, channel = redis
    settings = settings_for(
        db_url,
        limits_scale=1.0,
        embedding_model="none",
        redis_url=REDIS,
        redis_channel=channel,
        limit_sockets_per_token=2,
    )
    a = ThreadedServer(create_app(settings)).start()
    b = ThreadedServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            conv = (await http.post(f"{a.url}/api/v1/conversations")).json()
        on_a, on_b = await ready_socket(a, conv), await ready_socket(b, conv)
        for over in (a, b):  # two open in all: a third is refused on either replica
            with pytest.raises(ConnectionClosed) as refused:
                await ready_socket(over, conv)
            assert refused.value.rcvd is not None and refused.value.rcvd.code == 1008
            reason = refused.value.rcvd.reason
            assert "at most 2 open connections per login or conversation" in reason
        held = await client.zcard(f"{channel}:limits:sockets:token:{hash_token(conv['token'])}")
        assert held == 2
        await on_a.close()  # released on a: b has a slot again, once a has seen it go
        async with asyncio.timeout(10):
            while True:
                try:
                    again = await ready_socket(b, conv)
                    break
                except ConnectionClosed:
                    await asyncio.sleep(0.05)
        for ws in (on_b, again):
            await ws.close()
    finally:
        a.stop()
        b.stop()


async def test_a_vanished_replicas_slots_lapse_with_their_lease(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    gone = SocketSlots(2, 100, redis=client, prefix=prefix, lease=1.5)
    other = SocketSlots(2, 100, redis=client, prefix=prefix, lease=1.5)
    gone.start()
    assert await gone.take(1, TOKEN, IP) is None
    assert await gone.take(2, TOKEN, IP) is None
    assert await other.take(3, TOKEN, IP) is not None
    await asyncio.sleep(3.0)  # two leases: renewed meanwhile, so still held
    assert await other.take(3, TOKEN, IP) == (
        "at most 2 open connections per login or conversation"
    )
    await gone.stop()  # the replica dies: no release, no more renewals
    stopped = time.monotonic()
    async with asyncio.timeout(10):
        while True:
            if await other.take(3, TOKEN, IP) is None:
                break
            await asyncio.sleep(0.1)
    assert time.monotonic() - stopped <= 1.5 + 2.0  # within a lease (and slack for load)
    assert await other.take(4, TOKEN, IP) is None  # both of its slots lapsed
    assert await other.take(5, TOKEN, IP) is not None  # and the cap holds again


async def test_a_release_frees_the_slot_for_another_replica(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    one = SocketSlots(5, 1, redis=client, prefix=prefix)
    two = SocketSlots(5, 1, redis=client, prefix=prefix)
    assert await one.take(1, TOKEN, IP) is None
    assert await two.take(2, "e" * 64, IP) == "at most 1 open connections per address"
    await one.release(1)
    assert await two.take(2, "e" * 64, IP) is None
    assert await client.zcard(f"{prefix}sockets:ip:{IP}") == 1


async def test_redis_unreachable_falls_back_to_this_replicas_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nobody is refused for Redis being down, and no socket fails: each replica counts its own."""
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)  # nothing listens
    slots = SocketSlots(2, 100, redis=down, prefix="tandem-test-down:")
    try:
        with caplog.at_level(logging.WARNING, logger="tandem.limits"):
            assert await slots.take(1, TOKEN, IP) is None
            assert await slots.take(2, TOKEN, IP) is None
            assert await slots.take(3, TOKEN, IP) is not None  # the local cap still holds
            await slots.release(1)
            await slots.renew()
            assert await slots.take(3, TOKEN, IP) is None
        warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(warnings) == 1  # logged once for the outage, not once per socket
    finally:
        await down.aclose()


async def test_without_redis_each_process_counts_in_memory() -> None:
    slots = Limiter(settings_for("sqlite+aiosqlite://", limits_scale=1.0)).sockets
    slots.per_token = 2
    refused = "at most 2 open connections per login or conversation"
    assert [await slots.take(i, TOKEN, IP) for i in range(3)] == [None, None, refused]
    await slots.release(0)
    assert await slots.take(9, TOKEN, IP) is None


async def test_scale_zero_means_no_cap_and_no_redis_call(redis: tuple[Redis, str]) -> None:
    client, channel = redis
    settings = settings_for(
        "sqlite+aiosqlite://", limits_scale=0.0, redis_url=REDIS, redis_channel=channel
    )
    limiter = Limiter(settings)
    slots = limiter.sockets
    slots.start()  # nothing to renew: no task either
    assert [await slots.take(i, TOKEN, IP) for i in range(500)] == [None] * 500
    assert [key async for key in client.scan_iter(match=f"{channel}*")] == []
    await slots.stop()
    await limiter.close()

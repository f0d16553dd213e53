"""The SQLite engine: writers in one process take turns for the write lock in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine

INSERT = text("INSERT INTO rows (n) VALUES (:n)")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE rows (id INTEGER PRIMARY KEY, n INTEGER UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_sqlite_writers_take_turns_in_arrival_order(engine: AsyncEngine) -> None:
    async def writer(n: int, ready: asyncio.Event) -> None:
        async with engine.begin() as conn:
            ready.set()  # connected: the next statement is the write that waits its turn
            await conn.execute(INSERT, {"n": n})
            await asyncio.sleep(0.02)  # hold the write lock while the others arrive

    # Each writer arrives while the one before it holds the lock or waits for it. SQLite alone
    # would let whichever waiting connection polls first after a commit write next. A writer
    # starts only once the one before it has its connection, so that a slow connect on a busy
    # machine cannot change the order in which they reach the lock.
    tasks = []
    for n in range(8):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(writer(n, ready)))
        await ready.wait()
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)

    async with engine.connect() as conn:
        order = (await conn.execute(text("SELECT n FROM rows ORDER BY id"))).scalars()
        assert list(order) == list(range(8))


async def test_readers_do_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    holding, done = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with engine.begin() as conn:
            await conn.execute(INSERT, {"n": 1})
            holding.set()
            await done.wait()

    task = asyncio.create_task(writer())
    await holding.wait()
    async with asyncio.timeout(5), engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM rows"))).scalar() == 0
    done.set()
    await task


async def test_a_failed_write_gives_the_turn_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(INSERT, {"n": 1})
    for _ in range(3):  # a duplicate rolls back; the next writer must not wait forever
        with pytest.raises(IntegrityError, match="UNIQUE"):
            async with engine.begin() as conn:
                await conn.execute(INSERT, {"n": 1})
    async with asyncio.timeout(5), engine.begin() as conn:
        await conn.execute(INSERT, {"n": 2})

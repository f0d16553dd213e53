"""The SQLite engine: writers in one process take turns for the write lock in arrival order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from app.db import create_engine


async def test_sqlite_writers_take_turns_in_arrival_order(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE turns (n INTEGER NOT NULL)"))

        async def writer(n: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO turns (n) VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.02)  # hold the write lock while the others arrive

        # Each writer arrives while the one before it holds the lock. SQLite alone would let
        # whichever waiting connection polls first after a commit write next.
        tasks = []
        for n in range(8):
            tasks.append(asyncio.create_task(writer(n)))
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)

        async with engine.connect() as conn:
            order = (await conn.execute(text("SELECT n FROM turns ORDER BY rowid"))).scalars()
            assert list(order) == list(range(8))
    finally:
        await engine.dispose()


async def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'read.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE notes (n INTEGER NOT NULL)"))
        holding, done = asyncio.Event(), asyncio.Event()

        async def writer() -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO notes (n) VALUES (1)"))
                holding.set()
                await done.wait()

        task = asyncio.create_task(writer())
        await holding.wait()
        async with asyncio.timeout(5), engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar() == 0
        done.set()
        await task
    finally:
        await engine.dispose()


async def test_a_failed_write_gives_the_turn_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'failed.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE once (n INTEGER PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO once (n) VALUES (1)"))
        for _ in range(3):  # a duplicate key rolls back; the next writer must not wait forever
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO once (n) VALUES (1)"))
            except Exception as exc:
                assert "UNIQUE" in str(exc)
        async with asyncio.timeout(5), engine.begin() as conn:
            await conn.execute(text("INSERT INTO once (n) VALUES (2)"))
    finally:
        await engine.dispose()

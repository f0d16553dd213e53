"""The async engine, one session per request, and migrations at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from fastapi import Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_
from sqlalchemy.util.concurrency import in_greenlet

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_LOCK_SECONDS = 30


def create_engine(url: str) -> AsyncEngine:
    """An engine with the pragmas SQLite needs for concurrent readers, foreign keys and
    erasures that leave no bytes behind."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_LOCK_SECONDS})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_SECONDS * 1000}")
            # Deleted content is overwritten with zeros, not left in free pages (erasure).
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        WriterQueue(SQLITE_LOCK_SECONDS).attach(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class WriterQueue:
    """Writers in this process take turns for SQLite's one write lock, first come first served.

    A SQLite writer that finds the database locked polls, sleeping up to 100 ms between tries,
    and the next writer is whoever polls first after a commit. Under load some writers starved
    for seconds (p99 1.5 s at 16 back-to-back conversations). Here a transaction waits on an
    asyncio lock before its first write and gives it back when its connection returns to the
    pool, after the commit or rollback. Other processes (the CLI) still meet busy_timeout.
    """

    def __init__(self, timeout: float) -> None:
        self._lock = asyncio.Lock()
        self._timeout = timeout

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(engine.sync_engine.pool, "checkin", self._checkin)

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if conn.info.get("writer") or _reads(statement) or not in_greenlet():
            return
        await_(self._acquire())
        conn.info["writer"] = True  # the pool record's info: it lasts until check-in

    async def _acquire(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._lock.acquire()
        except TimeoutError:
            raise TimeoutError(
                f"database is locked: no turn to write in {self._timeout} s"
            ) from None

    def _checkin(self, _dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop("writer", False):
            self._lock.release()


def _reads(statement: str) -> bool:
    return statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest schema (blocking; call before serving)."""
    command.upgrade(alembic_config(url), "head")


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session

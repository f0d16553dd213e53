"""Throwaway PostgreSQL databases for the tests and the benchmarks: created and migrated on
entry, dropped on exit (TANDEM_TEST_PG names the server, through any database on it)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from app.db import migrate

PG_ADMIN = os.environ.get("TANDEM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def pg_database(prefix: str = "tandem_t") -> Iterator[str]:
    """The SQLAlchemy URL of a new, migrated database, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        migrate(f"{base}/{name}")
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

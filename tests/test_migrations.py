"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and
upgrade a database that already holds rows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from app.db import alembic_config, create_engine
from app.models import Base
from tests.conftest import BACKENDS, empty_database


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _compare(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_differences)
    finally:
        await engine.dispose()


# Synchronous tests: the migrations run their own event loop.
@pytest.mark.parametrize("kind", BACKENDS)
def test_migrations_match_the_models(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    with empty_database(kind, tmp_path_factory) as url:
        assert asyncio.run(_compare(url)) == []


def test_canned_replies_survive_the_upgrade_as_team_replies(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0003")
    asyncio.run(_query(url, "INSERT INTO canned_replies (shortcut, text) VALUES ('hi', 'Hi!')"))
    command.upgrade(config, "head")
    rows = asyncio.run(_query(url, "SELECT owner_id, shortcut, text FROM canned_replies"))
    assert rows == [(None, "hi", "Hi!")]
    command.downgrade(config, "0003")
    assert asyncio.run(_query(url, "SELECT shortcut, text FROM canned_replies")) == [("hi", "Hi!")]

"""Periodic jobs that one replica at a time runs (the retention purge, the rescue of stranded
turns): a lease on the job's `scheduled_jobs` row, taken by one compare-and-set UPDATE, and the
background task that tries each round. The row says when the job last ran and what it did."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ScheduledJob, utcnow

log = logging.getLogger("tandem.jobs")


async def ensure(session: AsyncSession, name: str) -> None:
    """The job's row, inserted by whichever replica comes first (the others' inserts do
    nothing)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(ScheduledJob).values(name=name, last_result={}).on_conflict_do_nothing()
    )


async def claim(
    session: AsyncSession, name: str, now: datetime, lease: float, every: float = 0.0
) -> bool:
    """Take the job for this replica (commit before running it): True only if no lease is held
    and, with `every`, the last run is at least that many seconds old."""
    await ensure(session, name)
    due = or_(
        ScheduledJob.last_run_at.is_(None),
        ScheduledJob.last_run_at <= now - timedelta(seconds=every),
    )
    query = (
        update(ScheduledJob)
        .where(
            ScheduledJob.name == name,
            or_(ScheduledJob.claimed_until.is_(None), ScheduledJob.claimed_until < now),
            *([due] if every > 0 else []),
        )
        .values(claimed_until=now + timedelta(seconds=lease))
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], await session.execute(query))
    return result.rowcount == 1


async def release(session: AsyncSession, name: str, result: dict[str, Any] | None = None) -> None:
    """Give the lease back; with `result`, record the run (when, and what it did)."""
    done = {"last_run_at": utcnow(), "last_result": result} if result is not None else {}
    await session.execute(
        update(ScheduledJob).where(ScheduledJob.name == name).values(claimed_until=None, **done)
    )


class Periodic:
    """A background task that calls `round` every `poll` seconds until stopped; one failed
    round (a database blip) is logged and does not end it."""

    def __init__(self, name: str, round: Callable[[], Awaitable[Any]], poll: float) -> None:
        self.name = name
        self.round = round
        self.poll = poll
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()  # a round cut off rolls back; its lease lapses, and it runs again
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:
                log.exception("%s: a round failed", self.name)
            await asyncio.sleep(self.poll)

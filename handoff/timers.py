"""The handoff clock: lapsed leases back to the queue, queued conversations to free agents.

It runs on every replica. The database is the truth and each step is a compare-and-set (with
`SKIP LOCKED` on PostgreSQL), so replicas ticking at once never act twice on one conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import DBAPIError

from app import policy
from app.errors import Conflict
from app.events import Event, QueueChanged, StatusChanged, commit_and_publish
from app.services import Services
from handoff.assignment import assign_next, requeue_expired

log = logging.getLogger("tandem.handoff")
TICK_SECONDS = 2.0
MAX_ASSIGN_PER_TICK = 100


async def expire_leases(svc: Services) -> int:
    """One pass of lease expiry; returns how many conversations were requeued."""
    async with svc.sessions() as s:
        config = await policy.load(s)
        changes = await requeue_expired(s, config)
        await commit_and_publish(s, svc.broker, [e for c in changes for e in c.events])
    return len(changes)


async def auto_assign(svc: Services) -> int:
    """Assign queued conversations to free online agents, one short transaction each."""
    done = 0
    for _ in range(MAX_ASSIGN_PER_TICK):
        async with svc.sessions() as s:
            config = await policy.load(s)
            try:
                change = await assign_next(s, config)
            except Conflict:  # another replica or a manual claim won this one
                await s.rollback()
                continue
            if change is None:
                return done
            await commit_and_publish(s, svc.broker, change.events)
        done += 1
    return done


async def tick(svc: Services) -> None:
    await expire_leases(svc)
    await auto_assign(svc)


class Clock:
    """A background task ticking every `interval` seconds, and at once when the queue moves."""

    def __init__(self, svc: Services, interval: float = TICK_SECONDS) -> None:
        self.svc = svc
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _on_event(self, event: Event) -> None:
        if isinstance(event, StatusChanged | QueueChanged):
            self._wake.set()

    def start(self) -> None:
        self.svc.broker.subscribe(self._on_event)
        self._task = asyncio.create_task(self._run(), name="handoff-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await tick(self.svc)
            except (DBAPIError, Conflict) as exc:  # a deadlock victim or a lost race: next tick
                log.warning("handoff tick failed: %s", exc)
            except Exception:  # the clock must outlive one bad tick
                log.exception("handoff tick crashed")

"""The retention purge: conversations idle for longer than the operator's `retention_days` lose
their text; the anonymous skeleton the statistics count stays (see `erasure.anonymise`).

The purge runs inside the app, on one replica at a time: `Purger` polls, and a replica runs it
only after taking the `scheduled_jobs` row "purge" by one compare-and-set UPDATE, which succeeds
only when no lease is held and the last run is older than the interval. By hand:
`tandem purge [--dry-run] [--as-of DATE]`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import erasure, jobs, policy
from app.models import Conversation, Erasure, Message, ScheduledJob, utcnow

log = logging.getLogger("tandem.retention")
JOB = "purge"
INTERVAL_SECONDS = 3600.0  # how often the purge runs, across all replicas
POLL_SECONDS = 300.0  # how often each replica looks whether it is due
LEASE_SECONDS = 900.0  # longer than a purge takes; a replica that dies frees it after this


@dataclass(frozen=True)
class Purged:
    """What a purge removed (or, dry, would remove)."""

    as_of: datetime
    cutoff: datetime  # conversations idle since before this lost their text
    retention_days: int
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report `tandem purge` prints."""
        verb = "would purge" if self.dry_run else "purged"
        head = (
            f"{verb} {self.counts.get('conversations', 0)} conversations idle since before "
            f"{self.cutoff.isoformat(timespec='seconds')} "
            f"(retention {self.retention_days} days, as of {self.as_of.isoformat()})"
        )
        rest = [f"  {kind}: {n}" for kind, n in self.counts.items() if kind != "conversations"]
        return [head, *rest]


async def expired(session: AsyncSession, cutoff: datetime) -> list[str]:
    """Conversations not yet purged whose last activity (the conversation's `updated_at` and
    its latest message) is before the cutoff."""
    recent = exists().where(
        Message.conversation_id == Conversation.id, Message.created_at >= cutoff
    )
    query = select(Conversation.id).where(
        Conversation.token_hash != erasure.PURGED, Conversation.updated_at < cutoff, ~recent
    )
    return list((await session.execute(query.order_by(Conversation.id))).scalars())


async def purge(session: AsyncSession, as_of: datetime, dry_run: bool = False) -> Purged:
    """Purge what has expired as of `as_of` in the caller's transaction (commit, then call
    `erasure.scrub_files`). A dry run changes nothing."""
    days = (await policy.load(session)).policy.retention_days
    cutoff = as_of - timedelta(days=days)
    ids = await expired(session, cutoff)
    counts = await erasure.count(session, ids)
    result = Purged(as_of, cutoff, days, dry_run, counts)
    if dry_run:
        return result
    if ids:
        await erasure.anonymise(session, ids)
        session.add(Erasure(actor="retention", scope="expired", counts=counts))
    await jobs.ensure(session, JOB)
    summary = {**counts, "as_of": as_of.isoformat(), "cutoff": cutoff.isoformat()}
    await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.name == JOB)
        .values(last_run_at=utcnow(), last_result=summary)
    )
    return result


async def last_run(session: AsyncSession) -> datetime | None:
    """When the purge last ran, by hand or on schedule (None: never)."""
    query = select(ScheduledJob.last_run_at).where(ScheduledJob.name == JOB)
    return (await session.execute(query)).scalar_one_or_none()


async def claim(session: AsyncSession, now: datetime, interval: float, lease: float) -> bool:
    """Take the purge for this replica: True only if no lease is held and it is due."""
    return await jobs.claim(session, JOB, now, lease, every=interval)


async def release(session: AsyncSession) -> None:
    await jobs.release(session, JOB)


async def run_due(
    sessions: async_sessionmaker[AsyncSession],
    interval: float = INTERVAL_SECONDS,
    lease: float = LEASE_SECONDS,
    as_of: datetime | None = None,
) -> Purged | None:
    """Purge now (as of `as_of`, by default now) if this process takes the lease; None when
    another holds it or it is not due. `tandem purge` passes interval 0: due whenever free."""
    async with sessions() as s:
        taken = await claim(s, utcnow(), interval, lease)
        await s.commit()
    if not taken:
        return None
    try:
        async with sessions() as s:
            result = await purge(s, as_of or utcnow())
            await s.commit()
            await erasure.scrub_files(s)
    finally:
        async with sessions() as s:
            await release(s)
            await s.commit()
    if result.counts.get("conversations"):
        log.info("retention purge: %s", ", ".join(result.lines()))
    return result


async def by_hand(
    sessions: async_sessionmaker[AsyncSession], as_of: datetime | None, dry_run: bool
) -> Purged | None:
    """`tandem purge`: a dry run only reads; a real one takes the schedule's lease (so never
    two purges at once) and runs whenever it is free. None: a replica is purging right now."""
    if dry_run:
        async with sessions() as s:
            return await purge(s, as_of or utcnow(), dry_run=True)
    return await run_due(sessions, interval=0, as_of=as_of)


class Purger(jobs.Periodic):
    """The background task that runs the purge when it is due (started in the lifespan)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        interval: float = INTERVAL_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        due = min(poll, interval)
        super().__init__("retention-purger", lambda: run_due(sessions, interval), due)

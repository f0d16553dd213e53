"""The numbers operators watch: containment, escalations by reason, waits, satisfaction."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Conversation, Decision, Message


async def compute_stats(session: AsyncSession) -> dict[str, Any]:
    turns = (await session.execute(select(func.count(Decision.id)))).scalar_one()
    by_outcome = dict(
        (
            await session.execute(select(Decision.outcome, func.count()).group_by(Decision.outcome))
        ).all()
    )
    by_reason = dict(
        (
            await session.execute(
                select(Decision.reason, func.count())
                .where(Decision.outcome == "escalated")
                .group_by(Decision.reason)
            )
        ).all()
    )
    talked = select(Message.conversation_id).where(Message.role == "customer").distinct()
    total = (
        await session.execute(select(func.count()).select_from(talked.subquery()))
    ).scalar_one()
    escalated = (
        await session.execute(
            select(func.count(func.distinct(Decision.conversation_id))).where(
                Decision.outcome == "escalated"
            )
        )
    ).scalar_one()
    rated = await session.execute(
        select(Conversation.rating).where(Conversation.rating.is_not(None))
    )
    ratings = [int(r) for (r,) in rated.all() if r is not None]
    return {
        "turns": turns,
        "conversations": total,
        "containment_rate": round(1 - escalated / total, 4) if total else None,
        "outcomes": by_outcome,
        "escalations_by_reason": by_reason,
        "wait_seconds": await _waits(session),
        "satisfaction": {
            "ratings": len(ratings),
            "average": round(statistics.fmean(ratings), 2) if ratings else None,
        },
    }


async def _waits(session: AsyncSession) -> dict[str, float | None]:
    """From the first escalation to the first agent message, over recent conversations."""
    first_escalation = (
        select(Decision.conversation_id, func.min(Decision.created_at).label("at"))
        .where(Decision.outcome == "escalated")
        .group_by(Decision.conversation_id)
        .subquery()
    )
    first_agent = (
        select(Message.conversation_id, func.min(Message.created_at).label("at"))
        .where(Message.role == "agent")
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await session.execute(
        select(first_escalation.c.at, first_agent.c.at)
        .join(first_agent, first_agent.c.conversation_id == first_escalation.c.conversation_id)
        .limit(1000)
    )
    waits = sorted(
        max(0.0, (answered - escalated).total_seconds())
        for escalated, answered in rows.all()
        if answered is not None and escalated is not None
    )
    if not waits:
        return {"median": None, "p90": None, "count": 0}
    p90 = waits[min(len(waits) - 1, int(len(waits) * 0.9))]
    return {"median": statistics.median(waits), "p90": p90, "count": len(waits)}

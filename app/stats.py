"""The numbers operators watch, over a range of UTC days. Their definitions are written on the
stats page (frontend/admin/stats.js) and in docs/decisions.md; keep the three in step.

- A conversation belongs to the range by the day it started.
- conversations: those started in the range with at least one typed customer message.
- contained: of those, the ones that never had an escalated decision (no person was asked for
  or brought in). containment_rate = contained / conversations, so it lies in 0..1.
- handed_over_before_typing: started in the range, escalated (the button, an opt-out) before
  the customer typed anything; in neither the numerator nor the denominator, counted apart.
- handoffs: escalated decisions made in the range, per UTC day and reason.
- waiting time: for each conversation started in the range that reached a person, from its
  first escalated decision to the first agent message the customer saw (notes excluded).
- satisfaction: the customers' ratings (1-5) of conversations started in the range.
- per agent: the conversations of the range in which they wrote to the customer, the median
  time from the conversation's first escalation to their first message, and the ratings of
  those conversations.
Medians are the middle value (the mean of the two middle ones for an even count); p90 is the
nearest rank: the smallest value at least 90 % of the values do not exceed.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Conversation, Decision, Message, User


@dataclass(frozen=True)
class Range:
    """UTC days `first` to `last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """Median and nearest-rank p90 of `values` (seconds), with their count."""
    if not values:
        return {"median": None, "p90": None, "count": 0}
    ordered = sorted(values)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return {"median": statistics.median(ordered), "p90": p90, "count": len(ordered)}


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def compute_stats(session: AsyncSession, span: Range) -> dict[str, Any]:
    started = (Conversation.created_at >= span.start) & (Conversation.created_at < span.end)
    convs = dict(
        (await session.execute(select(Conversation.id, Conversation.rating).where(started))).all()
    )
    typed = set(
        (
            await session.execute(
                select(Message.conversation_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(started, Message.role == "customer", Message.kind == "text")
                .distinct()
            )
        ).scalars()
    )
    first_escalation = await _first_escalations(session, started)
    escalated = set(first_escalation)
    contained = typed - escalated
    ratings = [int(r) for c, r in convs.items() if r is not None]
    answered = await _first_agent_messages(session, started)
    return {
        "from": span.first.isoformat(),
        "to": span.last.isoformat(),
        "conversations": len(typed),
        "contained": len(contained),
        "containment_rate": round(len(contained) / len(typed), 4) if typed else None,
        "handed_over_before_typing": len(escalated - typed),
        **await _turns(session, span),
        "handoffs_by_day": await _handoffs_by_day(session, span),
        "wait_seconds": percentiles(_waits(first_escalation, answered)),
        "satisfaction": _satisfaction(ratings),
        "agents": await _agents(session, first_escalation, answered, convs),
    }


async def _turns(session: AsyncSession, span: Range) -> dict[str, Any]:
    """Every decision of the range by outcome, and the escalations by reason."""
    made = (Decision.created_at >= span.start) & (Decision.created_at < span.end)
    rows = (
        await session.execute(
            select(Decision.outcome, Decision.reason, func.count())
            .where(made)
            .group_by(Decision.outcome, Decision.reason)
        )
    ).all()
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for outcome, reason, n in rows:
        outcomes[outcome] += n
        if outcome == "escalated":
            reasons[reason or "unknown"] += n
    return {
        "turns": sum(outcomes.values()),
        "outcomes": dict(outcomes),
        "escalations_by_reason": dict(reasons),
    }


async def _handoffs_by_day(session: AsyncSession, span: Range) -> list[dict[str, Any]]:
    made = (Decision.created_at >= span.start) & (Decision.created_at < span.end)
    rows = await session.execute(
        select(Decision.created_at, Decision.reason).where(made, Decision.outcome == "escalated")
    )
    per_day: dict[date, Counter[str]] = {day: Counter() for day in span.days()}
    for at, reason in rows.all():
        per_day[_utc(at).date()][reason or "unknown"] += 1
    return [{"day": d.isoformat(), "reasons": dict(c)} for d, c in per_day.items()]


async def _first_escalations(session: AsyncSession, started: Any) -> dict[str, datetime]:
    rows = await session.execute(
        select(Decision.conversation_id, func.min(Decision.created_at))
        .join(Conversation, Conversation.id == Decision.conversation_id)
        .where(started, Decision.outcome == "escalated")
        .group_by(Decision.conversation_id)
    )
    return {c: _utc(at) for c, at in rows.all() if c is not None}


async def _first_agent_messages(
    session: AsyncSession, started: Any
) -> dict[tuple[str, int | None], datetime]:
    """(conversation, agent) -> that agent's first message the customer saw."""
    rows = await session.execute(
        select(Message.conversation_id, Message.author_id, func.min(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(started, Message.role == "agent", Message.internal.is_(False))
        .group_by(Message.conversation_id, Message.author_id)
    )
    return {(c, a): _utc(at) for c, a, at in rows.all()}


def _waits(
    escalated: dict[str, datetime], answered: dict[tuple[str, int | None], datetime]
) -> list[float]:
    first: dict[str, datetime] = {}
    for (conv, _), at in answered.items():
        first[conv] = min(at, first.get(conv, at))
    return [
        max(0.0, (at - escalated[conv]).total_seconds())
        for conv, at in first.items()
        if conv in escalated
    ]


def _satisfaction(ratings: list[int]) -> dict[str, Any]:
    return {
        "ratings": len(ratings),
        "average": round(statistics.fmean(ratings), 2) if ratings else None,
        "distribution": {str(score): ratings.count(score) for score in range(1, 6)},
    }


async def _agents(
    session: AsyncSession,
    escalated: dict[str, datetime],
    answered: dict[tuple[str, int | None], datetime],
    ratings: dict[str, int | None],
) -> list[dict[str, Any]]:
    handled: dict[int, list[str]] = defaultdict(list)
    for conv, agent in answered:
        if agent is not None:
            handled[agent].append(conv)
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(handled)))
    names: dict[int, str] = {uid: name for uid, name in rows.all()}
    out = []
    for agent, convs in sorted(handled.items()):
        responses = [
            max(0.0, (answered[(c, agent)] - escalated[c]).total_seconds())
            for c in convs
            if c in escalated
        ]
        rated = [r for c in convs if (r := ratings.get(c)) is not None]
        out.append(
            {
                "id": agent,
                "name": names.get(agent, ""),
                "conversations": len(convs),
                "median_first_response_seconds": statistics.median(responses)
                if responses
                else None,
                "ratings": len(rated),
                "average_rating": round(statistics.fmean(rated), 2) if rated else None,
            }
        )
    return out

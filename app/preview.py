"""Replaying recent decisions under a proposed policy: operators see a change before making it.

Each stored turn's raw signals (as `decisions.signals_of` reads them back) go through the same
`escalation.decide` the live turn uses, streaks included, so a proposed policy decides each
turn as the live pipeline would have decided it under that policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.checks.topics import match_topic
from app.decisions import signals_of
from app.escalation import Signals, decide
from app.models import Decision, Message
from app.policy import Policy


def _signals(d: Decision, text: str | None, policy: Policy) -> Signals | None:
    """The signals a stored decision saw, with restricted topics re-matched on the message
    (the topics are the policy's; an erased message matches none)."""
    signals = signals_of(d.signals or {}, d.confidence)
    if signals is None:
        return None
    topic = match_topic(text, policy.restricted_topics) if text else None
    return replace(signals, restricted_topic=topic.name if topic else None)


async def preview(session: AsyncSession, proposed: Policy, limit: int) -> dict[str, Any]:
    """How many of the last `limit` turns would end differently, and which."""
    rows = await session.execute(
        select(Decision, Message.text)
        .outerjoin(
            Message,
            (Message.conversation_id == Decision.conversation_id)
            & (Message.seq == Decision.message_seq),
        )
        .order_by(Decision.id.desc())
        .limit(limit)
    )
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    changed: list[dict[str, Any]] = []
    considered = changes = 0
    for d, text in rows.all():
        signals = _signals(d, text, proposed)
        if signals is None:
            continue
        considered += 1
        verdict = decide(signals, proposed)
        was = f"{d.outcome}:{d.reason or '-'}"
        now = f"{verdict.outcome}:{verdict.reason or '-'}"
        before[was] += 1
        after[now] += 1
        if was != now:
            changes += 1
        if was != now and len(changed) < 50:
            changed.append(
                {
                    "decision_id": d.id,
                    "conversation_id": d.conversation_id,
                    "before": was,
                    "after": now,
                }
            )
    return {
        "considered": considered,
        "before": dict(before),
        "after": dict(after),
        "changed": changed,
        "changed_count": changes,
    }

"""Replaying recent decisions under a proposed policy: operators see a change before making it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.checks.topics import match_topic
from app.escalation import Signals, decide
from app.models import Decision, Message
from app.policy import Policy


def _signals(d: Decision, text: str | None, policy: Policy) -> Signals | None:
    """The signals a stored decision saw, with restricted topics re-matched on the message."""
    s = d.signals or {}
    if "sentiment" not in s:  # button presses and opt-outs carry no turn signals
        return None
    confidence = s.get("confidence") or {}
    topic = match_topic(text, policy.restricted_topics) if text else None
    return Signals(
        human_request=bool((s.get("human_request") or {}).get("requested")),
        restricted_topic=topic.name if topic else None,
        negative=float((s.get("sentiment") or {}).get("negative", 0.0)),
        negative_streak=int(s.get("negative_streak", 0)),
        llm_error=s.get("llm_error"),
        unsafe=tuple(s.get("unsafe") or ()),
        confidence=d.confidence if confidence or s.get("mode") else None,
        bot_turns=int(s.get("bot_turns", 0)),
    )


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

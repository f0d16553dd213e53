"""The append-only decision record, one per turn, chained by SHA-256 so tampering shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.checks.sentiment import rolling
from app.escalation import Signals, negative_streak
from app.models import Decision, utcnow
from app.policy import Policy

if TYPE_CHECKING:
    from app.analysis import Analysis

GENESIS = "0" * 64
CHAIN_LOCK = 0x7A4D  # advisory lock key for appending to the chain


def _digest(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _body(d: Decision) -> dict[str, Any]:
    return {
        "conversation_id": d.conversation_id,
        "message_seq": d.message_seq,
        "outcome": d.outcome,
        "reason": d.reason,
        "signals": d.signals,
        "thresholds": d.thresholds,
        "confidence": d.confidence,
        "created_at": _utc(d.created_at),
    }


def _utc(moment: datetime) -> str:
    """One canonical form: SQLite hands datetimes back without their time zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


async def record(
    session: AsyncSession,
    *,
    conversation_id: str,
    message_seq: int,
    outcome: str,
    reason: str | None,
    signals: dict[str, Any],
    thresholds: dict[str, Any],
    confidence: float | None,
) -> Decision:
    """Append a record in the caller's transaction. Signals must already be free of PII.

    Writers are serialised so the chain never forks: PostgreSQL through a transaction-level
    advisory lock; SQLite because the caller's transaction already holds the write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    last = (
        await session.execute(select(Decision.hash).order_by(Decision.id.desc()).limit(1))
    ).scalar_one_or_none()
    decision = Decision(
        conversation_id=conversation_id,
        message_seq=message_seq,
        outcome=outcome,
        reason=reason,
        signals=signals,
        thresholds=thresholds,
        confidence=confidence,
        created_at=utcnow().replace(microsecond=0),
        prev_hash=last or GENESIS,
    )
    decision.hash = _digest(decision.prev_hash, _body(decision))
    session.add(decision)
    await session.flush()
    return decision


async def for_message(session: AsyncSession, conversation_id: str, seq: int) -> Decision | None:
    """The decision a customer message caused, once its turn has been decided."""
    query = select(Decision).where(
        Decision.conversation_id == conversation_id, Decision.message_seq == seq
    )
    return (await session.execute(query.limit(1))).scalars().first()


async def latest_signals(session: AsyncSession, conversation_id: str) -> dict[str, Any]:
    """The signals of the conversation's most recent decision ({} before the first)."""
    last = await session.execute(
        select(Decision.signals)
        .where(Decision.conversation_id == conversation_id)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    return last.scalar_one_or_none() or {}


def signals_record(
    s: Signals, a: Analysis, previous: dict[str, Any], policy: Policy
) -> dict[str, Any]:
    """A turn's signals for its record: scores and rule names, never customer text. What the
    escalation policy reads is stored exactly, so `signals_of` gives the same `Signals` back."""
    return {
        "human_request": {
            "requested": s.human_request,
            "rule": a.human.rule,
            "score": a.human.score,
        },
        "ai_opt_out": s.ai_opt_out,
        "pii_kinds": a.redacted.kinds,
        "sentiment": {
            "label": a.sentiment.label,
            "negative": s.negative,
            "score": round(a.sentiment.score, 4),
        },
        "sentiment_rolling": round(
            rolling(previous.get("sentiment_rolling"), a.sentiment.score), 4
        ),
        "earlier_negative": list(s.earlier_negative),
        "negative_streak": negative_streak(s, policy),  # under the policy in force, for people
        "restricted_topic": s.restricted_topic,
        "retrieval": [
            {
                "document_id": p.document_id,
                "chunk_id": p.chunk_id,
                "score": round(p.score, 4),
                "lexical": round(p.lexical, 4),
                "dense": None if p.dense is None else round(p.dense, 4),
            }
            for p in a.passages
        ],
        "bot_turns": s.bot_turns,
    }


def signals_of(record: dict[str, Any], confidence: float | None = None) -> Signals | None:
    """The `Signals` a turn's decision saw, from its record (and the record's confidence);
    None for decisions without a turn behind them (the handoff button, opting out)."""
    if "sentiment" not in record:
        return None
    return Signals(
        human_request=bool((record.get("human_request") or {}).get("requested")),
        ai_opt_out=bool(record.get("ai_opt_out", False)),
        restricted_topic=record.get("restricted_topic"),
        negative=float((record.get("sentiment") or {}).get("negative", 0.0)),
        earlier_negative=tuple(float(v) for v in record.get("earlier_negative") or ()),
        llm_error=record.get("llm_error"),
        unsafe=tuple(record.get("unsafe") or ()),
        confidence=confidence,
        bot_turns=int(record.get("bot_turns", 0)),
    )


def describe(d: Decision) -> dict[str, Any]:
    """A decision as shown to agents and in a customer's export (no hashes)."""
    return {
        "message_seq": d.message_seq,
        "outcome": d.outcome,
        "reason": d.reason,
        "confidence": d.confidence,
        "signals": d.signals,
        "created_at": d.created_at.isoformat(),
    }


async def verify_chain(session: AsyncSession) -> int | None:
    """The id of the first record whose hash does not match, or None when the chain holds."""
    prev = GENESIS
    rows = await session.execute(select(Decision).order_by(Decision.id))
    for d in rows.scalars():
        if d.prev_hash != prev or d.hash != _digest(prev, _body(d)):
            return d.id
        prev = d.hash
    return None

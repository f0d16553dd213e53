"""The append-only decision record, one per turn, chained by HMAC-SHA256 so tampering shows.

Each record's hash is HMAC(key, previous hash + the record's canonical body), keyed from
TANDEM_SECRET_KEY: someone who can write to the database but does not know the key cannot
recompute the chain after changing a row. Records written before issue 13 carry a plain SHA-256
(`scheme` "sha256"); they are verified as such, and only as the chain's start: the first keyed
record is anchored on the last plain hash, and a plain record after a keyed one is a break.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
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
KEYED = "hmac-sha256"
PLAIN = "sha256"  # records from before issue 13
KEY_LABEL = b"tandem decision chain v1"


def chain_key(secret_key: str) -> bytes:
    """The chain's own key, derived from the secret so the secret itself is never the key."""
    return hmac.new(secret_key.encode(), KEY_LABEL, hashlib.sha256).digest()


def _digest(prev_hash: str, body: dict[str, Any], scheme: str, key: bytes) -> str:
    message = prev_hash + json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    if scheme == KEYED:
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(message.encode()).hexdigest()


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
    key: bytes,
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
        scheme=KEYED,
    )
    decision.hash = _digest(decision.prev_hash, _body(decision), KEYED, key)
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


@dataclass(frozen=True)
class Break:
    """The first record that does not hold, and why."""

    id: int
    created_at: datetime
    problem: str


@dataclass(frozen=True)
class Verdict:
    records: int
    plain: int  # records under the old unkeyed scheme, at the chain's start
    broken: Break | None

    def lines(self) -> list[str]:
        """The report `tandem audit verify` prints."""
        if self.broken is not None:
            b = self.broken
            return [
                f"The decision chain is broken at record {b.id} "
                f"(created {b.created_at.isoformat(sep=' ')}): {b.problem}."
            ]
        head = f"The decision chain holds: {self.records} records."
        if not self.plain:
            return [head]
        return [
            head,
            f"The first {self.plain} predate the keyed chain (plain SHA-256, which anyone who "
            "can write to the database could recompute); the keyed records after them are "
            "anchored on their last hash.",
        ]


async def verify(session: AsyncSession, key: bytes) -> Verdict:
    """Walk the chain from the start: each record must link to the one before and carry the
    hash its scheme gives; plain (unkeyed) records only before the first keyed one."""
    prev, count, plain, keyed_seen = GENESIS, 0, 0, False
    rows = await session.stream_scalars(select(Decision).order_by(Decision.id))
    async for d in rows:
        count += 1
        problem = _problem(d, prev, key, keyed_seen)
        if problem is not None:
            return Verdict(count, plain, Break(d.id, d.created_at, problem))
        keyed_seen = keyed_seen or d.scheme == KEYED
        plain += d.scheme == PLAIN
        prev = d.hash
    return Verdict(count, plain, None)


def _problem(d: Decision, prev: str, key: bytes, keyed_seen: bool) -> str | None:
    if d.prev_hash != prev:
        return "its prev_hash is not the hash of the record before it"
    if d.scheme not in (KEYED, PLAIN):
        return f"unknown scheme {d.scheme!r}"
    if d.scheme == PLAIN and keyed_seen:
        return "an unkeyed (sha256) record after keyed ones"
    if not hmac.compare_digest(d.hash, _digest(prev, _body(d), d.scheme, key)):
        return f"its {d.scheme} hash does not match its content"
    return None


async def verify_chain(session: AsyncSession, key: bytes) -> int | None:
    """The id of the first record that does not hold, or None when the chain holds."""
    broken = (await verify(session, key)).broken
    return None if broken is None else broken.id

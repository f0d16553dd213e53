"""Stranded turns: a customer message the AI holds that never got a decision, because the
process answering it died (kill -9, a crash, a deploy) in the middle of the turn.

Such a message is handed over to a person (reason `llm_unavailable`, the detail saying the
turn was interrupted): answering it again could answer a question the customer has since
given up on, and a person is always the safe way out. A message is stranded only when it is
the latest one of a `bot` conversation, has no decision, and is older than the longest a live
turn can take (`grace`), so a turn still running on another replica is never taken over.

`Rescuer` looks at start-up and then every `poll` seconds, on one replica at a time: each
round first takes the `scheduled_jobs` row "rescue" by a compare-and-set, as the retention
purge does. A retried send whose turn is stranded rescues it itself (`rescue_one`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app import decisions, erasure, jobs, policy
from app.errors import Conflict
from app.events import Event, commit_and_publish
from app.models import Author, Conversation, Decision, Message, utcnow
from app.services import Services
from handoff import queue

log = logging.getLogger("tandem.recovery")
JOB = "rescue"
REASON = "llm_unavailable"
DETAIL = "the turn was interrupted before it was answered (the server stopped)"
LEASE_SECONDS = 60.0
# How far back a stranded turn is still rescued. Older ones (a message from before this code
# ran, or from a replica down for days) would put a customer who left long ago at the front of
# today's queue; they stay as they are, and their decisionless turn shows in the transcript.
WINDOW = timedelta(days=1)


def grace_seconds(svc: Services) -> float:
    """Longer than any live turn: the LLM's whole budget plus time to store the outcome."""
    return svc.settings.llm_turn_timeout + 5.0


def overdue(svc: Services, message: Message) -> bool:
    """Whether a message is older than the grace (SQLite hands back naive UTC times)."""
    sent = message.created_at
    sent = sent if sent.tzinfo is not None else sent.replace(tzinfo=UTC)
    return (utcnow() - sent).total_seconds() > grace_seconds(svc)


async def stranded(session: AsyncSession, before: datetime) -> list[tuple[str, int]]:
    """(conversation id, seq) of customer messages stranded since before `before`."""
    later = aliased(Message)
    latest = (
        select(func.max(later.seq))
        .where(later.conversation_id == Message.conversation_id)
        .scalar_subquery()
    )
    decided = exists().where(
        Decision.conversation_id == Message.conversation_id, Decision.message_seq == Message.seq
    )
    query = (
        select(Message.conversation_id, Message.seq)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.status == "bot",
            Conversation.token_hash != erasure.PURGED,  # nobody can come back to it
            Message.role == Author.customer,
            Message.created_at < before,
            Message.created_at >= before - WINDOW,
            Message.seq == latest,
            ~decided,
        )
        .order_by(Message.created_at)
    )
    return [(cid, seq) for cid, seq in (await session.execute(query)).all()]


async def hand_over(svc: Services, conversation_id: str, seq: int) -> bool:
    """Hand one stranded message's conversation to people and record the decision, in one
    transaction; False when it was decided or handed over meanwhile."""
    try:
        return await _hand_over(svc, conversation_id, seq)
    except Conflict:
        # The background round and a retried send (or two replicas) reached it at once: the
        # other one handed it over, and its answer is the customer's (seen as a 409 on retry).
        return False


async def _hand_over(svc: Services, conversation_id: str, seq: int) -> bool:
    events: list[Event] = []
    async with svc.sessions() as s:
        conv = await s.get(Conversation, conversation_id)
        if conv is None or conv.status != "bot":
            return False
        if await decisions.for_message(s, conversation_id, seq) is not None:
            return False
        config = await policy.load(s)
        change = await queue.escalate(
            s, conv, REASON, DETAIL, config, reply_to=seq, mail=svc.settings.mail_configured
        )
        events.extend(change.events)
        await decisions.record(
            s,
            key=decisions.chain_key(svc.settings.secret_key),
            conversation_id=conversation_id,
            message_seq=seq,
            outcome="escalated",
            reason=REASON,
            signals={"recovered": True, "llm_error": DETAIL},
            thresholds=config.policy.model_dump(mode="json"),
            confidence=None,
        )
        await commit_and_publish(s, svc.broker, events)
    log.warning("handed over a stranded turn (conversation %s, message %d)", conversation_id, seq)
    return True


async def rescue_all(svc: Services) -> int:
    """Hand over every stranded message older than the grace; how many were."""
    before = utcnow() - timedelta(seconds=grace_seconds(svc))
    async with svc.sessions() as s:
        found = await stranded(s, before)
    return sum([await hand_over(svc, cid, seq) for cid, seq in found])


async def rescue_one(svc: Services, message: Message) -> bool:
    """A retried send's turn, if it is stranded (its first send's process died)."""
    before = utcnow() - timedelta(seconds=grace_seconds(svc))
    async with svc.sessions() as s:
        found = await stranded(s, before)
    if (message.conversation_id, message.seq) not in found:
        return False
    return await hand_over(svc, message.conversation_id, message.seq)


async def run_round(svc: Services) -> int | None:
    """One round on this replica if it takes the lease (None: another replica has it)."""
    async with svc.sessions() as s:
        taken = await jobs.claim(s, JOB, utcnow(), LEASE_SECONDS)
        await s.commit()
    if not taken:
        return None
    count = 0
    try:
        count = await rescue_all(svc)
    finally:
        async with svc.sessions() as s:
            await jobs.release(s, JOB, {"handed": count})
            await s.commit()
    return count


class Rescuer(jobs.Periodic):
    """The background task: a round at start-up, then every `poll` seconds."""

    def __init__(self, svc: Services, poll: float) -> None:
        super().__init__("stranded-turns", lambda: run_round(svc), poll)

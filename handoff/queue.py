"""The ownership state machine of a conversation. Every status change happens here.

bot ──► queued ──► agent ──► closed
 │        │  ▲       │
 │        ▼  └───────┘ (lease expired, transfer)
 └──► offline (message left for later) ──► agent
queued / agent / offline ──► bot (released back to the AI)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import conversations, decisions, outbox
from app.errors import Conflict
from app.escalation import REASONS
from app.events import Event, MessageCreated, QueueChanged, StatusChanged
from app.models import Conversation, Message, utcnow
from app.policy import OperatorConfig, is_open
from disclosure.texts import phrase, worded

ALLOWED: dict[str, set[str]] = {
    "bot": {"queued", "offline", "closed"},
    "queued": {"agent", "offline", "closed", "bot"},
    "agent": {"queued", "closed", "bot", "agent"},
    "offline": {"agent", "queued", "closed", "bot"},
    "closed": {"bot", "queued", "offline"},
}


@dataclass
class Change:
    """What a transition wrote, and the events to publish once it is committed."""

    status: str
    notice: Message | None = None
    events: list[Event] = field(default_factory=list)


LEASE_SECONDS = 45  # an assignment lapses unless heartbeats or agent actions renew it


def lease_deadline(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(seconds=LEASE_SECONDS)


def _values(
    conv: Conversation, to: str, reason: str | None, detail: str | None, agent_id: int | None
) -> dict[str, object]:
    now = utcnow()
    values: dict[str, object] = {"status": to, "updated_at": now}
    if to in ("queued", "offline"):
        values.update(agent_id=None, lease_expires_at=None)
        if reason is not None or conv.status in ("bot", "closed"):
            values.update(escalation_reason=reason, escalation_detail=detail)
        # Back from an agent (lease expiry, hand-back): keep the original place in the queue.
        if conv.status in ("bot", "closed") or conv.queued_at is None:
            values["queued_at"] = now
    if to == "agent":
        values.update(agent_id=agent_id, lease_expires_at=lease_deadline(now))
        if conv.status == "queued":  # the waiting-time statistics count live waits only
            values["claimed_at"] = now
    if to in ("bot", "closed"):
        values.update(agent_id=None, lease_expires_at=None, queued_at=None)
    return values


async def transition(
    session: AsyncSession,
    conv: Conversation,
    to: str,
    *,
    notice: str | None = None,
    reason: str | None = None,
    detail: str | None = None,
    agent_id: int | None = None,
    agent_name: str | None = None,
    where: ColumnElement[bool] | None = None,
    reply_to: int | None = None,
) -> Change:
    """Move `conv` to status `to` (in the caller's transaction) and tell the customer.

    The UPDATE is a compare-and-set on the status and agent we read (plus `where`): of two
    replicas or requests acting on one conversation at once exactly one wins, the other gets
    Conflict and has written nothing.
    """
    if to not in ALLOWED[conv.status]:
        raise Conflict(f"A conversation that is {conv.status} cannot become {to}.")
    values = _values(conv, to, reason, detail, agent_id)
    same_agent = (
        Conversation.agent_id.is_(None)
        if conv.agent_id is None
        else Conversation.agent_id == conv.agent_id
    )
    query = update(Conversation).where(
        Conversation.id == conv.id, Conversation.status == conv.status, same_agent
    )
    if where is not None:
        query = query.where(where)
    # The row lock makes the returned last_seq the conversation's latest at this change.
    query = query.values(**values).returning(Conversation.last_seq)
    # our own setattr below keeps `conv` in step; no in-Python evaluation of the criteria
    won = (await session.execute(query.execution_options(synchronize_session=False))).first()
    if won is None:
        raise Conflict("Someone else changed this conversation first; reload it.")
    for key, value in values.items():
        setattr(conv, key, value)
    name = agent_name if to == "agent" else None  # who the customer talks to now, by name
    changed = StatusChanged(
        conv.id, to, reason, agent_id=conv.agent_id, seq=won.last_seq, agent_name=name
    )
    change = Change(status=to, events=[changed, QueueChanged(conv.id)])
    if notice:
        msg = await conversations.append(
            session, conv.id, "system", notice, kind="event", reply_to=reply_to
        )
        assert msg is not None
        change.notice = msg
        change.events.insert(0, MessageCreated.of(msg))
    return change


async def escalate(
    session: AsyncSession,
    conv: Conversation,
    reason: str,
    detail: str,
    config: OperatorConfig,
    *,
    priority: int = 0,
    now: datetime | None = None,
    reply_to: int | None = None,
    mail: bool = False,
) -> Change:
    """Hand the conversation to people: the queue when the team is open, else `offline`.
    `reply_to` links the notice to the customer message that caused it; `mail`: replies can
    go by e-mail (SMTP is configured), so the offline notice may ask for an address."""
    if conv.status in ("queued", "agent", "offline"):
        return Change(status=conv.status)
    overrides = config.disclosure.texts
    if is_open(config.policy.business_hours, now or utcnow()):
        to, key = "queued", "handoff_queued"
    else:
        to, key = "offline", worded("handoff_offline", mail)
    if priority:
        conv.priority = priority
        await session.execute(
            update(Conversation).where(Conversation.id == conv.id).values(priority=priority)
        )
    text = phrase(key, conv.locale, overrides)
    if reason == "llm_unavailable":
        text = phrase("llm_unavailable", conv.locale, overrides) + " " + text
    elif reason == "ai_opt_out":
        text = phrase("opt_out", conv.locale, overrides)
    change = await transition(
        session, conv, to, notice=text, reason=reason, detail=detail, reply_to=reply_to
    )
    if to == "offline" and mail and conv.contact_email:
        # The address is known from before, so this is a message left for the team; without
        # one, it is left when the customer gives it (handoff/waiting.py).
        await outbox.enqueue_new_message(session, conv.id)
    return change


async def hand_over(
    session: AsyncSession,
    conv: Conversation,
    reason: str,
    config: OperatorConfig,
    signals: dict[str, Any],
    *,
    chain_key: bytes,
    mail: bool = False,
) -> Change:
    """Escalate without a bot turn (opt-out, the button) and record the decision if it moved."""
    seq = conv.last_seq  # the message that caused it: the disclosure or the latest one
    change = await escalate(session, conv, reason, REASONS[reason], config, mail=mail)
    if change.events:
        await decisions.record(
            session,
            key=chain_key,
            conversation_id=conv.id,
            message_seq=seq,
            outcome="escalated",
            reason=reason,
            signals=signals,
            thresholds=config.policy.model_dump(mode="json"),
            confidence=None,
        )
    return change

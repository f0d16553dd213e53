"""What a waiting customer sees: their place in the queue and how long it should take."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import conversations, outbox
from app.events import MessageCreated
from app.models import Conversation
from app.policy import OperatorConfig
from disclosure.texts import phrase, worded
from handoff.assignment import online_agents
from handoff.queue import Change, transition

DEFAULT_WAIT_SECONDS = 120  # before any claim has been measured
RECENT_CLAIMS = 50


@dataclass(frozen=True)
class Waiting:
    position: int
    expected_wait_seconds: int
    leave_message: bool  # offer to leave a message and a contact instead of waiting
    agents_online: bool  # nobody online: say so rather than promise a wait


async def position(session: AsyncSession, conv: Conversation) -> int:
    """1 for the front of the queue; ordered by priority, then by how long they have waited."""
    if conv.status != "queued" or conv.queued_at is None:
        return 0
    ahead = await session.execute(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == "queued",
            Conversation.id != conv.id,
            or_(
                Conversation.priority > conv.priority,
                and_(
                    Conversation.priority == conv.priority,
                    Conversation.queued_at < conv.queued_at,
                ),
            ),
        )
    )
    return int(ahead.scalar_one()) + 1


async def expected_wait(session: AsyncSession) -> int:
    """The median time from joining the queue to an agent's claim, over recent claims."""
    rows = await session.execute(
        select(Conversation.queued_at, Conversation.claimed_at)
        .where(Conversation.claimed_at.is_not(None), Conversation.queued_at.is_not(None))
        .order_by(Conversation.claimed_at.desc())
        .limit(RECENT_CLAIMS)
    )
    waits = [
        (claimed - queued).total_seconds()
        for queued, claimed in rows.all()
        if queued is not None and claimed is not None and claimed >= queued
    ]
    return round(median(waits)) if waits else DEFAULT_WAIT_SECONDS


async def waiting(session: AsyncSession, conv: Conversation, long_wait_seconds: int) -> Waiting:
    """Position and expected wait; a message is offered when nobody is online or it is long."""
    place = await position(session, conv)
    wait = await expected_wait(session)
    online = bool(await online_agents(session))
    return Waiting(place, wait, not online or wait > long_wait_seconds, online)


async def leave_contact(
    session: AsyncSession,
    conv: Conversation,
    email: str,
    leave: bool,
    config: OperatorConfig,
    *,
    mail: bool = False,
) -> Change:
    """Store the customer's e-mail; with `leave`, stop waiting and leave a message instead.

    `mail`: SMTP is configured, so the notice may promise an e-mail, and the agents who opted
    in are e-mailed that a message was left: once, when it is left (not when the address of an
    already left message is changed). Without it the notice points back to this chat, and the
    address is still stored for the agents to see.
    """
    first = conv.contact_email is None
    await session.execute(
        update(Conversation).where(Conversation.id == conv.id).values(contact_email=email)
    )
    conv.contact_email = email
    text = phrase(worded("message_left", mail), conv.locale, config.disclosure.texts)
    if leave and conv.status == "queued":
        change = await transition(session, conv, "offline", notice=text)
    elif conv.status != "offline":
        return Change(status=conv.status)
    else:
        msg = await conversations.append(session, conv.id, "system", text, kind="event")
        assert msg is not None
        change = Change(status=conv.status, notice=msg, events=[MessageCreated.of(msg)])
        if not first:
            return change
    if mail:
        await outbox.enqueue_new_message(session, conv.id)
    return change

"""Who holds a conversation: claim, auto-assignment, transfer, release, close, leases.

Every status change goes through `handoff.queue.transition`, a compare-and-set on the row, so
requests and replicas racing on one conversation never both win. Callers commit, then publish
the returned changes' events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, Invalid, NotFound
from app.models import Conversation, Presence, User, UserRole, utcnow
from app.policy import OperatorConfig
from disclosure.texts import phrase
from handoff.queue import Change, lease_deadline, transition

PRESENCE_SECONDS = 30  # an agent is online while heartbeats arrive at least this often
FRONT_PRIORITY = 100  # a conversation whose agent vanished goes back to the front


def _text(key: str, conv: Conversation, config: OperatorConfig, **fields: str) -> str:
    text = phrase(key, conv.locale, config.disclosure.texts)
    return text.format(**fields) if fields else text


async def mark_seen(session: AsyncSession, user_id: int) -> None:
    """Record a presence heartbeat (called by the agent websocket)."""
    await session.execute(update(User).where(User.id == user_id).values(last_seen_at=utcnow()))


async def renew_leases(session: AsyncSession, agent_id: int) -> int:
    """Extend the leases of every conversation this agent holds; returns how many."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.agent_id == agent_id, Conversation.status == "agent")
        .values(lease_expires_at=lease_deadline())
        .returning(Conversation.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def load(session: AsyncSession, conversation_id: str) -> Conversation:
    conv = await session.get(Conversation, conversation_id, populate_existing=True)
    if conv is None:
        raise NotFound("No such conversation.")
    return conv


def require_holder(conv: Conversation, user: User) -> None:
    """Only the agent holding a conversation acts in it."""
    if conv.status != "agent" or conv.agent_id != user.id:
        raise Conflict("Claim this conversation first; another agent or nobody holds it.")


async def claim(
    session: AsyncSession, conv: Conversation, agent: User, config: OperatorConfig
) -> Change:
    """Take a queued or offline conversation; a no-op for the agent already holding it."""
    if conv.status == "agent" and conv.agent_id == agent.id:
        await renew_leases(session, agent.id)
        return Change(status="agent")
    if conv.status not in ("queued", "offline"):
        raise Conflict(f"This conversation is {conv.status}; it cannot be claimed.")
    notice = _text("agent_joined", conv, config, name=agent.display_name)
    return await transition(
        session, conv, "agent", notice=notice, agent_id=agent.id, agent_name=agent.display_name
    )


async def transfer(
    session: AsyncSession, conv: Conversation, agent: User, target_id: int, config: OperatorConfig
) -> Change:
    """Hand a held conversation to a colleague who can take it now: an active agent or
    operator (both work the queue), online and connected, with a free slot."""
    require_holder(conv, agent)
    if target_id == agent.id:
        raise Invalid("agent_id: you already hold this conversation.")
    target = await session.get(User, target_id)
    if target is None or not target.active:
        raise Invalid("agent_id: there is no active agent with this id.")
    name = target.display_name or target.email
    if not is_connected(target) or target.presence != Presence.online:
        raise Conflict(f"{name} is not online now; pick someone who is.")
    held = (await open_counts(session, [target.id])).get(target.id, 0)
    if held >= target.max_concurrent:
        raise Conflict(f"{name} has no free slot ({held} of {target.max_concurrent} taken).")
    notice = _text("agent_joined", conv, config, name=target.display_name)
    return await transition(
        session, conv, "agent", notice=notice, agent_id=target.id, agent_name=target.display_name
    )


async def release(
    session: AsyncSession, conv: Conversation, agent: User, config: OperatorConfig
) -> Change:
    """Give the conversation back to the AI."""
    require_holder(conv, agent)
    return await transition(session, conv, "bot", notice=_text("agent_left", conv, config))


async def close(
    session: AsyncSession, conv: Conversation, user: User, config: OperatorConfig
) -> Change:
    """Close a held conversation (or a waiting one nobody needs to answer)."""
    if conv.status == "agent" and conv.agent_id != user.id and user.role != "operator":
        raise Conflict("Another agent holds this conversation.")
    if conv.status in ("bot", "closed"):
        raise Conflict(f"This conversation is {conv.status}; there is nothing to close.")
    return await transition(session, conv, "closed", notice=_text("closed", conv, config))


async def requeue_expired(session: AsyncSession, config: OperatorConfig) -> list[Change]:
    """Return conversations whose agent's lease lapsed to the front of the queue."""
    now = utcnow()
    query = (
        select(Conversation)
        .where(Conversation.status == "agent", Conversation.lease_expires_at < now)
        .limit(50)
        .with_for_update(skip_locked=True)  # PostgreSQL: another replica's rows are skipped
        .execution_options(populate_existing=True)
    )
    changes = []
    for conv in (await session.execute(query)).scalars().all():
        try:
            change = await transition(
                session,
                conv,
                "queued",
                notice=_text("lease_expired", conv, config),
                where=Conversation.lease_expires_at < now,
            )
        except Conflict:  # renewed or taken meanwhile
            continue
        conv.priority = max(conv.priority, FRONT_PRIORITY)  # the row is ours: the CAS won
        await session.execute(
            update(Conversation).where(Conversation.id == conv.id).values(priority=conv.priority)
        )
        changes.append(change)
    return changes


async def holder_name(session: AsyncSession, conv: Conversation) -> str | None:
    """The name the customer knows the person holding the conversation by, if one does."""
    if conv.status != "agent" or conv.agent_id is None:
        return None
    holder = await session.get(User, conv.agent_id)
    return holder.display_name if holder is not None else None


def is_connected(user: User, now: datetime | None = None) -> bool:
    """Whether a console of theirs sent a heartbeat within the presence window."""
    seen = _aware(user.last_seen_at)
    since = (now or utcnow()) - timedelta(seconds=PRESENCE_SECONDS)
    return seen is not None and seen >= since


def presence(user: User, now: datetime | None = None) -> Presence:
    """What colleagues see: what they chose, or offline with no console connected."""
    return user.presence if is_connected(user, now) else Presence.offline


async def online_agents(session: AsyncSession, now: datetime | None = None) -> list[User]:
    """Agents taking new conversations: connected (a heartbeat within the presence window)
    and set to online; `away` is connected but takes none, and counts as nobody online."""
    since = (now or utcnow()) - timedelta(seconds=PRESENCE_SECONDS)
    rows = await session.execute(
        select(User).where(
            User.role == UserRole.agent,
            User.active.is_(True),
            User.presence == Presence.online,
            User.last_seen_at >= since,
        )
    )
    return list(rows.scalars())


async def open_counts(session: AsyncSession, user_ids: list[int]) -> dict[int, int]:
    """How many conversations each of these people holds now."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Conversation.agent_id, func.count())
        .where(Conversation.status == "agent", Conversation.agent_id.in_(user_ids))
        .group_by(Conversation.agent_id)
    )
    return {agent_id: count for agent_id, count in rows.all() if agent_id is not None}


async def _free_agents(session: AsyncSession) -> list[User]:
    """Online agents below their concurrency limit, least recently assigned first."""
    agents = await online_agents(session)
    load = await open_counts(session, [a.id for a in agents])
    free = [a for a in agents if load.get(a.id, 0) < a.max_concurrent]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(free, key=lambda a: (_aware(a.last_assigned_at) or epoch, a.id))


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


async def _take_turn(session: AsyncSession, agent: User) -> bool:
    """Round-robin pointer as a compare-and-set: two replicas never both assign to `agent`."""
    previous = agent.last_assigned_at
    same = (
        User.last_assigned_at.is_(None) if previous is None else User.last_assigned_at == previous
    )
    won = await session.execute(
        update(User)
        .where(User.id == agent.id, same)
        .values(last_assigned_at=utcnow())
        .returning(User.id)
    )
    return won.first() is not None


async def assign_next(session: AsyncSession, config: OperatorConfig) -> Change | None:
    """Give the front of the queue to the next free online agent (one per transaction)."""
    free = await _free_agents(session)
    if not free:
        return None
    query = (
        select(Conversation)
        .where(Conversation.status == "queued")
        .order_by(Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    conv = (await session.execute(query)).scalar_one_or_none()
    if conv is None:
        return None
    for agent in free:
        if not await _take_turn(session, agent):
            continue
        notice = _text("agent_joined", conv, config, name=agent.display_name)
        return await transition(
            session, conv, "agent", notice=notice, agent_id=agent.id, agent_name=agent.display_name
        )
    return None

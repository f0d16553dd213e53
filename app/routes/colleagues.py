"""An agent's own settings (presence, e-mail alerts) and the team as colleagues see it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.deps import AgentDep, ServicesDep, SessionDep
from app.events import PresenceChanged, commit_and_publish
from app.models import Presence, User
from handoff import assignment

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])


class MeOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    presence: Presence  # what they chose
    connected: bool  # a console of theirs is live now
    notify_new_messages: bool
    max_concurrent: int


class MeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    presence: Presence | None = None
    notify_new_messages: bool | None = None


class AgentOut(BaseModel):
    id: int
    name: str
    role: str
    presence: Presence  # offline whenever no console of theirs is connected
    online: bool  # takes conversations now: connected and set to online
    open: int  # conversations they hold
    capacity: int
    free: int


def _me(user: User) -> MeOut:
    return MeOut(
        id=user.id,
        name=user.display_name,
        email=user.email,
        role=user.role,
        presence=user.presence,
        connected=assignment.is_connected(user),
        notify_new_messages=user.notify_new_messages,
        max_concurrent=user.max_concurrent,
    )


@router.get("/me", response_model=MeOut)
async def get_me(user: AgentDep) -> MeOut:
    """Who you are, and your presence and alert settings."""
    return _me(user)


@router.patch("/me", response_model=MeOut)
async def patch_me(body: MeIn, svc: ServicesDep, user: AgentDep, session: SessionDep) -> MeOut:
    """Set your presence (`away`: no new conversations) or your e-mail alert opt-in;
    colleagues' consoles hear of a presence change (a `presence` frame)."""
    changed = body.presence is not None and body.presence != user.presence
    if body.presence is not None:
        user.presence = body.presence
    if body.notify_new_messages is not None:
        user.notify_new_messages = body.notify_new_messages
    events = [PresenceChanged.of(user.id, user.presence)] if changed else []
    await commit_and_publish(session, svc.broker, events)
    return _me(user)


@router.get("/agents", response_model=list[AgentOut])
async def list_agents(user: AgentDep, session: SessionDep) -> list[AgentOut]:
    """Active colleagues (agents and operators), with presence and free slots: whom a
    conversation can be transferred to (`online` and `free` > 0)."""
    rows = await session.execute(select(User).where(User.active.is_(True)).order_by(User.id))
    people = list(rows.scalars())
    load = await assignment.open_counts(session, [u.id for u in people])
    return [_agent(u, load.get(u.id, 0)) for u in people]


def _agent(u: User, held: int) -> AgentOut:
    presence = assignment.presence(u)
    return AgentOut(
        id=u.id,
        name=u.display_name or u.email,
        role=u.role,
        presence=presence,
        online=presence == Presence.online,
        open=held,
        capacity=u.max_concurrent,
        free=max(0, u.max_concurrent - held),
    )

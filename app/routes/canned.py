"""Canned replies: each agent's own, and the team's (managed by operators)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.deps import AgentDep, PathId, SessionDep
from app.errors import Conflict, Forbidden, NotFound
from app.models import CannedReply, User, UserRole, utcnow
from app.schemas import MAX_TEXT

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])


class CannedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: str = Field(min_length=1, max_length=50, pattern=r"^\S+$")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    team: bool = False  # team-wide (operators only) rather than your own


class CannedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shortcut: str
    text: str
    owner_id: int | None  # None: the team's
    updated_at: datetime


def _may_edit(row: CannedReply, user: User) -> None:
    """Your own replies are yours to change; the team's are the operators'."""
    if row.owner_id == user.id:
        return
    if row.owner_id is None and user.role == UserRole.operator:
        return
    if row.owner_id is None:
        raise Forbidden("Only operators change the team's canned replies.")
    raise NotFound("No such canned reply.")  # a colleague's own: not even shown


async def _save(session: AsyncSession, row: CannedReply) -> CannedOut:
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"The shortcut /{row.shortcut} exists already.") from None
    return CannedOut.model_validate(row)


@router.get("/canned", response_model=list[CannedOut])
async def list_canned(user: AgentDep, session: SessionDep) -> list[CannedOut]:
    """Your own canned replies and the team's, by shortcut (yours first on a tie)."""
    rows = await session.execute(
        select(CannedReply)
        .where(or_(CannedReply.owner_id.is_(None), CannedReply.owner_id == user.id))
        .order_by(CannedReply.shortcut, CannedReply.owner_id.is_(None))
    )
    return [CannedOut.model_validate(r) for r in rows.scalars()]


@router.post("/canned", status_code=201, response_model=CannedOut)
async def add_canned(body: CannedIn, user: AgentDep, session: SessionDep) -> CannedOut:
    """Add a canned reply of your own, or (operators) the team's; a shortcut is unique among
    your own and among the team's."""
    if body.team and user.role != UserRole.operator:
        raise Forbidden("Only operators add team-wide canned replies; add it as your own.")
    row = CannedReply(
        owner_id=None if body.team else user.id, shortcut=body.shortcut, text=body.text
    )
    session.add(row)
    return await _save(session, row)


@router.put("/canned/{canned_id}", response_model=CannedOut)
async def edit_canned(
    canned_id: PathId, body: CannedIn, user: AgentDep, session: SessionDep
) -> CannedOut:
    """Change a canned reply's shortcut and text (where it belongs does not change)."""
    row = await session.get(CannedReply, canned_id)
    if row is None:
        raise NotFound("No such canned reply.")
    _may_edit(row, user)
    row.shortcut, row.text, row.updated_at = body.shortcut, body.text, utcnow()
    return await _save(session, row)


@router.delete("/canned/{canned_id}", status_code=204)
async def delete_canned(canned_id: PathId, user: AgentDep, session: SessionDep) -> Response:
    """Delete a canned reply."""
    row = await session.get(CannedReply, canned_id)
    if row is None:
        raise NotFound("No such canned reply.")
    _may_edit(row, user)
    await session.delete(row)
    await session.commit()
    return Response(status_code=204)

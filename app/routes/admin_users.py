"""The operator's team: who logs in to the consoles, their role, capacity and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import create_user
from app.deps import OperatorDep, PathId, SessionDep
from app.errors import Conflict, NotFound
from app.models import AuthSession, User, UserRole, utcnow
from app.passwords import password_problem
from app.security import hash_password
from handoff import assignment

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])


def _policy(password: str) -> str:
    """The password policy (app/passwords.py) as a field error, its sentence beside the field."""
    problem = password_problem(password)
    if problem is not None:
        raise ValueError(problem)
    return password


Password = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_policy)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


class TeamMemberOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    active: bool
    presence: str  # offline whenever no console of theirs is connected
    open: int  # conversations they hold now
    max_concurrent: int


class TeamMemberIn(BaseModel):
    """What an operator changes about a person; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent: int | None = Field(None, ge=0, le=50)  # 0: takes no conversations at all
    active: bool | None = None  # false: cannot log in, and every login of theirs ends
    role: UserRole | None = None
    name: str | None = Field(None, min_length=1, max_length=100)


class NewMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: str = Field("", max_length=100)
    role: UserRole
    password: Password
    max_concurrent: int = Field(3, ge=0, le=50)


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password


def _member(u: User, held: int) -> TeamMemberOut:
    return TeamMemberOut(
        id=u.id,
        email=u.email,
        name=u.display_name,
        role=u.role,
        active=u.active,
        presence=assignment.presence(u),
        open=held,
        max_concurrent=u.max_concurrent,
    )


async def _out(session: AsyncSession, u: User) -> TeamMemberOut:
    return _member(u, (await assignment.open_counts(session, [u.id])).get(u.id, 0))


async def _person(session: AsyncSession, user_id: int) -> User:
    u = await session.get(User, user_id)
    if u is None:
        raise NotFound("No such user.")
    return u


async def _end_logins(session: AsyncSession, user_id: int) -> None:
    """Revoke every login of this person: their consoles are signed out on the next request."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@router.get("/users", response_model=list[TeamMemberOut])
async def list_users(_: OperatorDep, session: SessionDep) -> list[TeamMemberOut]:
    """Everyone who logs in to the consoles, with their capacity and load."""
    people = (await session.execute(select(User).order_by(User.id))).scalars().all()
    load = await assignment.open_counts(session, [u.id for u in people])  # one query for all
    return [_member(u, load.get(u.id, 0)) for u in people]


@router.post("/users", status_code=201, response_model=TeamMemberOut)
async def add_user(body: NewMember, _: OperatorDep, session: SessionDep) -> TeamMemberOut:
    """A new agent or operator, who logs in with this e-mail and password."""
    email = body.email.lower()
    if (await session.execute(select(User.id).where(User.email == email))).first():
        raise Conflict(f"Someone already logs in as {email}.")
    u = await create_user(session, email, body.password, body.role, body.name.strip())
    u.max_concurrent = body.max_concurrent
    await session.commit()
    return _member(u, 0)


@router.patch("/users/{user_id}", response_model=TeamMemberOut)
async def patch_user(
    user_id: PathId, body: TeamMemberIn, me: OperatorDep, session: SessionDep
) -> TeamMemberOut:
    """Change a person's capacity (what they hold already stays theirs), role, name, or
    disable them (their logins end at once) or enable them again."""
    u = await _person(session, user_id)
    losing_operator = (
        u.role == UserRole.operator
        and u.active
        and (body.active is False or (body.role is not None and body.role != UserRole.operator))
    )
    if losing_operator:
        _keep_an_operator(u, me)
    if body.max_concurrent is not None:
        u.max_concurrent = body.max_concurrent
    if body.role is not None:
        u.role = body.role
    if body.name is not None:
        u.display_name = body.name.strip()
    if body.active is not None and body.active != u.active:
        u.active = body.active
        if not body.active:
            await _end_logins(session, u.id)
    await session.commit()
    return await _out(session, u)


def _keep_an_operator(u: User, me: User) -> None:
    """Only an active operator gets here, so the last active operator is always `me`:
    refusing `me` keeps at least one operator who can change the settings."""
    if u.id == me.id:
        raise Conflict(
            "You cannot disable yourself or take away your own operator role: another "
            "operator must do it, so that someone can always change the settings."
        )


@router.post("/users/{user_id}/password", status_code=204)
async def reset_password(
    user_id: PathId, body: NewPassword, _: OperatorDep, session: SessionDep
) -> None:
    """Set a new password; every login of theirs ends, so they sign in again with it."""
    u = await _person(session, user_id)
    u.password_hash = hash_password(body.password)
    await _end_logins(session, u.id)
    await session.commit()
